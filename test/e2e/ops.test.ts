/**
 * The ops CLI (`npm run ops -- …`) against the local cloud: every command, as an operator runs it with `--local`
 * (the cloud found through its endpoints.json), real SDK clients, checked on exit codes and `--json` output. Most
 * runs call the CLI's entry in-process; the first and last spawn it as a process (help, usage errors, Ctrl-C).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOps } from "../../ops/cli";
import { parseWebhookSecrets } from "../../shared/delivery/signing";
import { operatorDependencies, platformReport } from "./actors";
import { eventually, type Filed, fileComplaint, startTestCloud, type TestCloud } from "./harness";

let hub: TestCloud;

beforeAll(async () => {
  hub = await startTestCloud();
});
afterAll(async () => {
  await hub?.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON output, inspected freely
  json: () => any;
}

const OPERATOR = "e2e-operator";

/** One command line, in-process, against the test cloud (stage "test" in its state folder). */
async function ops(
  args: string[],
  options: { interrupt?: AbortSignal; onStderr?: (text: string) => void } = {},
) {
  let stdout = "";
  let stderr = "";
  const code = await runOps(
    ["--local", "--state-dir", hub.stateDir, "--stage", "test", "--operator", OPERATOR, ...args],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: {
        write: (text: string) => {
          stderr += text;
          options.onStderr?.(text);
        },
      },
      env: {},
      ...(options.interrupt ? { interrupt: options.interrupt } : {}),
    },
  );
  return { code, stdout, stderr, json: () => JSON.parse(stdout) } satisfies Run;
}

/** The CLI as a process (`node --import tsx ops/cli.ts …`), optionally interrupted once `interruptOn` is printed. */
function spawnOps(args: string[], options: { interruptOn?: RegExp } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "ops/cli.ts", "--local", "--state-dir", hub.stateDir, "--stage", "test", ...args],
      { cwd: process.cwd(), env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.interruptOn && !interrupted && options.interruptOn.test(stderr)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }),
    );
  });
}

const setMode = (platform: string, mode: "ok" | "gone") => hub.cloud.sandbox.setMode(platform, { mode });

const complaintOf = async (id: string) => {
  const record = await operatorDependencies(hub.cloud).store.get(id);
  if (!record) throw new Error(`no complaint ${id}`);
  return record;
};

const statusOf = async (id: string) => (await complaintOf(id)).status;

describe("the command line", () => {
  it("finds the local cloud by its endpoints.json, answers --help with exit codes, refuses bad usage with 2", async () => {
    const endpoints = JSON.parse(readFileSync(join(hub.stateDir, "test", "endpoints.json"), "utf8"));
    expect(endpoints).toMatchObject({
      stage: "test",
      awsEndpoint: hub.cloud.awsEndpoint,
      apiUrl: hub.cloud.apiUrl,
    });
    expect(endpoints.outputs.TableName).toBe(hub.cloud.output("TableName"));

    const help = await spawnOps(["--help"]);
    expect(help.code).toBe(0);
    for (const command of [
      "status",
      "dlq",
      "redrive",
      "replay",
      "complaint",
      "supervise",
      "mediate",
      "reroute",
    ]) {
      expect(help.stdout).toContain(command);
    }
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*130/);
    const unknown = await spawnOps(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command");
  });

  it("has --help on every command", async () => {
    const commands = [
      ["status"],
      ["dlq", "list"],
      ["dlq", "show"],
      ["redrive"],
      ["replay"],
      ["complaint", "show"],
      ["supervise"],
      ["mediate"],
      ["pause-mediation"],
      ["resume-mediation"],
      ["reroute"],
      ["close"],
      ["refuse"],
      ["note"],
      ["platform", "list"],
      ["platform", "rotate-secret"],
      ["stats"],
    ];
    for (const command of commands) {
      const run = await ops([...command, "--help"]);
      expect(run.code, command.join(" ")).toBe(0);
      expect(run.stdout, command.join(" ")).toMatch(/^Usage: ops /);
    }
    expect((await ops(["close", "--help"])).stdout).toContain("mediation_settled");
    expect((await ops(["redrive", "taobao", "--rate", "0"])).code).toBe(2);
    expect((await ops(["complaint", "show"])).code).toBe(2);
  });

  it("says when no local cloud runs for a stage", async () => {
    const run = await runOps(["--local", "--state-dir", hub.stateDir, "--stage", "nostage", "status"], {
      stdout: { write: () => undefined },
      stderr: { write: () => undefined },
      env: {},
    });
    expect(run).toBe(1);
  });
});

describe("parked notices: status, dlq, redrive", () => {
  const parked: Filed[] = [];

  beforeAll(async () => {
    setMode("taobao", "gone");
    for (let i = 0; i < 3; i++) {
      // A second apart: EventBridge keeps whole seconds, and a replay is cut between seconds only.
      if (i > 0) await new Promise((r) => setTimeout(r, 1100));
      parked.push(await fileComplaint(hub.cloud, { platform: "taobao" }));
    }
    await eventually(async () => {
      const states = await Promise.all(
        parked.map(async (f) => (await complaintOf(f.complaintId)).delivery.state),
      );
      return states.every((s) => s === "parked") ? true : undefined;
    });
    setMode("taobao", "ok");
  });

  it("status shows them parked, the failed attempts of the last hour, per platform", async () => {
    // The failures are the delivery function's metrics, logged as each invocation ends.
    const report = await eventually(async () => {
      const run = await ops(["status", "--json"]);
      expect(run.code, run.stderr).toBe(0);
      const taobao = run.json().platforms.find((p: { platform: string }) => p.platform === "taobao");
      return taobao.failedLastHour >= 3 ? run.json() : undefined;
    });
    expect(report).toMatchObject({ stage: "test", target: "local" });
    const taobao = report.platforms.find((p: { platform: string }) => p.platform === "taobao");
    expect(taobao).toMatchObject({ mode: "push", parked: 3, queued: 0, overdue: 0 });
    expect(taobao.failedLastHour).toBeGreaterThanOrEqual(3);
    expect(report.platforms.find((p: { platform: string }) => p.platform === "jd")).toMatchObject({
      mode: "pull",
      parked: 0,
    });
    expect(
      report.platforms.find((p: { platform: string }) => p.platform === "jd").deliveredLastHour,
    ).toBeUndefined();
    expect(report.queues.map((q: { name: string }) => q.name)).toEqual(["triage", "routing DLQ"]);
    const human = await ops(["status", "--platform", "taobao"]);
    expect(human.stdout).toMatch(/taobao\s+push\s+0\s+0\s+0\s+3/);
    expect(human.stdout).not.toContain("\u001b[");
  });

  it("dlq list shows each with its complaint and reason; dlq show adds the recorded attempts", async () => {
    const list = await ops(["dlq", "list", "taobao", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const messages = list.json().messages as { messageId: string; complaintId: string; reason: string }[];
    expect(messages.map((m) => m.complaintId).sort()).toEqual(parked.map((f) => f.complaintId).sort());
    for (const message of messages) expect(message.reason).toContain("410");

    const first = messages[0] as (typeof messages)[number];
    const show = await ops(["dlq", "show", first.messageId, "--json"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.json()).toMatchObject({
      messageId: first.messageId,
      platform: "taobao",
      deliveryState: "parked",
    });
    expect(show.json().attemptLog[0]).toMatchObject({ outcome: "parked", httpStatus: 410 });
    // Looking does not take: the messages are all still there.
    expect((await ops(["dlq", "list", "taobao", "--json"])).json().count).toBe(3);
    expect((await ops(["dlq", "show", "no-such-message", "--platform", "taobao"])).code).toBe(3);
    expect((await ops(["dlq", "list", "nosuchplatform"])).code).toBe(3);
  });

  it("redrive --message sends one back; redrive sends the rest with a move task and counts them", async () => {
    const list = (await ops(["dlq", "list", "taobao", "--json"])).json().messages as {
      messageId: string;
      complaintId: string;
    }[];
    const one = list[0] as (typeof list)[number];
    const single = await ops(["redrive", "taobao", "--message", one.messageId, "--json"]);
    expect(single.code, single.stderr).toBe(0);
    expect(single.json()).toMatchObject({ outcome: "completed", moved: 1, queue: "queue" });
    await eventually(async () => ((await statusOf(one.complaintId)) === "DELIVERED" ? true : undefined));

    const rest = await ops(["redrive", "taobao", "--rate", "5", "--json"]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.json()).toMatchObject({ outcome: "completed", moved: 2, toMove: 2 });
    for (const filed of parked) {
      await eventually(async () => ((await statusOf(filed.complaintId)) === "DELIVERED" ? true : undefined));
    }
    const nothing = await ops(["redrive", "taobao", "--json"]);
    expect(nothing.json()).toMatchObject({ outcome: "nothing", moved: 0 });
    const status = await eventually(async () => {
      const report = (await ops(["status", "--platform", "taobao", "--json"])).json();
      return report.platforms[0].deliveredLastHour >= 3 ? report : undefined;
    });
    expect(status.platforms[0]).toMatchObject({ parked: 0 });
  });

  it("replay previews per platform, asks, and replays without a second case (platforms deduplicate)", async () => {
    const from = new Date(Date.now() - 10 * 60_000).toISOString();
    const preview = await ops(["replay", "--from", from, "--platform", "taobao", "--preview", "--json"]);
    expect(preview.code, preview.stderr).toBe(0);
    const summary = preview.json().preview;
    expect(summary.toReplay).toBe(3);
    expect(summary.platforms).toEqual([
      expect.objectContaining({ platform: "taobao", notices: 3, urgent: 0 }),
    ]);
    expect(summary.archived).toBeGreaterThan(3);
    expect(preview.json().replay).toBeNull();

    // Nobody to confirm and no --yes: refused as a usage error, nothing replayed.
    expect((await ops(["replay", "--from", from, "--platform", "taobao", "--json"])).code).toBe(2);

    const received = hub.cloud.sandbox.received("taobao").length;
    const run = await ops([
      "replay",
      "--from",
      from,
      "--platform",
      "taobao",
      "--yes",
      "--rate",
      "50",
      "--batch",
      "2",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().replay).toMatchObject({ outcome: "completed", replayed: 3, total: 3 });
    expect(run.json().replay.replays).toHaveLength(2);
    // The hub sees each notice delivered already: recorded as a duplicate, nothing sent again.
    for (const filed of parked) {
      await eventually(async () => {
        const attempts = (await ops(["complaint", "show", filed.complaintId, "--json"])).json().attempts;
        return attempts.some((a: { outcome: string }) => a.outcome === "duplicate") ? true : undefined;
      });
    }
    expect(hub.cloud.sandbox.received("taobao").length).toBe(received);
    for (const filed of parked) expect((await complaintOf(filed.complaintId)).delivery.caseRef).toBeDefined();
  });

  it("replay stops on Ctrl-C: the running replay is cancelled, no other starts (exit 130)", async () => {
    const from = new Date(Date.now() - 10 * 60_000).toISOString();
    const controller = new AbortController();
    const run = await ops(
      ["replay", "--from", from, "--platform", "taobao", "--yes", "--rate", "1", "--batch", "1", "--json"],
      {
        interrupt: controller.signal,
        onStderr: (text) => {
          if (text.startsWith("Replaying")) setTimeout(() => controller.abort(), 300);
        },
      },
    );
    expect(run.code, run.stderr).toBe(130);
    const replay = run.json().replay;
    expect(replay.outcome).toBe("cancelled");
    expect(replay.replayed).toBeLessThan(replay.total);
    expect(replay.replays.length).toBeLessThan(3);
  });
});

describe("complaints: show, reveal, and the operator transitions", () => {
  let filed: Filed;

  beforeAll(async () => {
    filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await eventually(async () => ((await statusOf(filed.complaintId)) === "DELIVERED" ? true : undefined));
  });

  it("complaint show masks personal data; --reveal shows it and records who saw it", async () => {
    const masked = await ops(["complaint", "show", filed.complaintId, "--json"]);
    expect(masked.code, masked.stderr).toBe(0);
    expect(masked.stdout).not.toContain("张三");
    expect(masked.stdout).not.toContain("13800138000");
    expect(masked.stdout).not.toContain("ORD-2026-000123");
    expect(masked.json()).toMatchObject({ personalData: "masked", complaint: { status: "DELIVERED" } });
    expect(masked.json().complaint.trackingTokenHash).toBeUndefined();
    expect(masked.json().attempts[0]).toMatchObject({ outcome: "delivered" });
    const human = await ops(["complaint", "show", filed.complaintId]);
    expect(human.stdout).toContain("张*");
    expect(human.stdout).toContain("138****8000");

    const revealed = await ops([
      "complaint",
      "show",
      filed.complaintId,
      "--reveal",
      "--note",
      "calling back",
      "--json",
    ]);
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(revealed.stdout).toContain("张三");
    expect(revealed.stdout).toContain("13800138000");
    const entry = revealed.json().complaint.timeline.at(-1);
    expect(entry).toMatchObject({
      actor: "operator",
      by: OPERATOR,
      reason: "personal_data_revealed",
      visibility: "internal",
      note: "calling back",
    });
    expect((await ops(["complaint", "show", "CH_NO_SUCH_COMPLAINT"])).code).toBe(3);
    expect((await ops(["complaint", "show", "CH_NO_SUCH_COMPLAINT", "--reveal"])).code).toBe(3);
  });

  it("note, reroute, mediate, close: through the state machine, naming the operator; refusals exit 4", async () => {
    expect((await ops(["supervise", filed.complaintId])).code).toBe(4);
    const note = await ops(["note", filed.complaintId, "checked with the platform", "--json"]);
    expect(note.code, note.stderr).toBe(0);
    expect(note.json().entries[0]).toMatchObject({
      reason: "operator_note",
      by: OPERATOR,
      visibility: "internal",
    });
    expect((await ops(["close", filed.complaintId, "--reason", "no_such_reason"])).code).toBe(2);

    const rerouted = await ops(["reroute", filed.complaintId, "--to", "gome", "--json"]);
    expect(rerouted.code, rerouted.stderr).toBe(0);
    expect(rerouted.json()).toMatchObject({ from: "DELIVERED", status: "QUEUED", platform: "gome" });
    expect((await ops(["reroute", filed.complaintId, "--to", "gome"])).code).toBe(4);
    await eventually(async () => ((await statusOf(filed.complaintId)) === "DELIVERED" ? true : undefined));

    const resolved = await platformReport(hub.cloud, "gome", filed.complaintId, "RESOLVED", {
      relief: { type: "return_refund", amountFen: 15_900 },
    });
    expect(resolved.status).toBe(200);
    const mediated = await ops(["mediate", filed.complaintId, "--json"]);
    expect(mediated.code, mediated.stderr).toBe(0);
    expect(mediated.json()).toMatchObject({ status: "ASSOCIATION_MEDIATION" });
    expect((await ops(["pause-mediation", filed.complaintId])).code).toBe(0);
    expect((await ops(["pause-mediation", filed.complaintId])).code).toBe(4);
    expect((await ops(["resume-mediation", filed.complaintId])).code).toBe(0);
    const closed = await ops(["close", filed.complaintId, "--reason", "mediation_settled", "--json"]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.json()).toMatchObject({ from: "ASSOCIATION_MEDIATION", status: "CLOSED" });
    expect(closed.json().entries[0]).toMatchObject({ by: OPERATOR, reason: "mediation_settled" });
    expect((await ops(["mediate", filed.complaintId])).code).toBe(4);
    expect((await ops(["supervise", "CH_NO_SUCH_COMPLAINT"])).code).toBe(3);
  });

  it("refuse: a complaint under re-route review is not accepted (Art 15)", async () => {
    const other = await fileComplaint(hub.cloud, { platform: "vip" });
    await eventually(async () => ((await statusOf(other.complaintId)) === "DELIVERED" ? true : undefined));
    expect((await platformReport(hub.cloud, "vip", other.complaintId, "INCORRECT_PLATFORM")).status).toBe(
      200,
    );
    expect(await statusOf(other.complaintId)).toBe("REROUTE_REVIEW");
    const refused = await ops(["refuse", other.complaintId, "--reason", "art15_outside_remit", "--json"]);
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.json()).toMatchObject({ status: "NOT_ACCEPTED" });
  });
});

describe("platforms and statistics", () => {
  it("platform list; rotate-secret prints a new secret once, keeps the old for the overlap, refuses to overlap twice", async () => {
    const list = await ops(["platform", "list", "--json"]);
    expect(list.json()).toContainEqual(expect.objectContaining({ id: "kaola", mode: "push", enabled: true }));

    const secretId = "complaint-hub/test/platforms/kaola/webhook";
    const before = parseWebhookSecrets(await hub.cloud.secrets.currentValue(secretId));
    const run = await ops(["platform", "rotate-secret", "kaola", "--overlap", "2", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const { secret, previousExpiresAt } = run.json();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
    const after = parseWebhookSecrets(await hub.cloud.secrets.currentValue(secretId));
    expect(after).toEqual({
      current: secret.slice("whsec_".length),
      previous: before.current,
      previousExpiresAt,
    });
    expect(Date.parse(previousExpiresAt) - Date.now()).toBeGreaterThan(1.9 * 3_600_000);
    expect((await ops(["platform", "rotate-secret", "kaola"])).code).toBe(4);
    const forced = await ops(["platform", "rotate-secret", "kaola", "--force", "--json"]);
    expect(forced.code).toBe(0);
    expect(forced.json().secret).not.toBe(secret);
    expect((await ops(["platform", "rotate-secret", "nosuch"])).code).toBe(3);
    expect((await ops(["platform", "rotate-secret", "kaola", "--force", "--overlap", "0.1"])).code).toBe(2);
  });

  it("stats: the public report (suppressed) and the internal figures, and as CSV", async () => {
    // The counters are kept by a stream consumer: they follow the complaints shortly.
    const run = await eventually(async () => {
      const attempt = await ops(["stats", "--json"]);
      expect(attempt.code, attempt.stderr).toBe(0);
      const taobao = attempt.json().internal.find((f: { platform: string }) => f.platform === "taobao");
      return taobao.delivered >= 3 ? attempt : undefined;
    });
    const { public: report, internal } = run.json();
    expect(report.schemaVersion).toBe("1");
    expect(report.platforms.find((p: { platform: string }) => p.platform === "taobao").total.suppressed).toBe(
      true,
    );
    const taobao = internal.find((f: { platform: string }) => f.platform === "taobao");
    expect(taobao).toMatchObject({ received: 3, delivered: 3 });
    const csv = await ops(["stats", "--csv"]);
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^platform,name,received,delivered,/);
    expect(lines.find((l) => l.startsWith("taobao,"))).toMatch(/^taobao,Taobao,3,3,/);
  });
});

describe("overdue complaints", () => {
  it("status counts a complaint the chase made overdue; supervise takes it under supervision", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "eleme" });
    await eventually(async () => ((await statusOf(filed.complaintId)) === "DELIVERED" ? true : undefined));
    const due = (await complaintOf(filed.complaintId)).deadlines.platformResponseDueBy;
    try {
      hub.cloud.clock.set(new Date(Date.parse(due) + 60_000));
      await hub.cloud.events.runSchedules();
    } finally {
      hub.cloud.clock.reset();
    }
    expect(await statusOf(filed.complaintId)).toBe("OVERDUE");
    const status = (await ops(["status", "--platform", "eleme", "--json"])).json();
    expect(status.platforms[0]).toMatchObject({ platform: "eleme", overdue: 1 });
    const supervised = await ops(["supervise", filed.complaintId, "--note", "chased by phone", "--json"]);
    expect(supervised.code, supervised.stderr).toBe(0);
    expect(supervised.json()).toMatchObject({ from: "OVERDUE", status: "SUPERVISED" });
    expect((await ops(["status", "--platform", "eleme", "--json"])).json().overdue).toBe(1);
  });

  it("Ctrl-C on the process cancels a replay and exits 130", async () => {
    const from = new Date(Date.now() - 30 * 60_000).toISOString();
    const run = await spawnOps(
      ["replay", "--from", from, "--yes", "--rate", "0.2", "--batch", "1", "--json"],
      {
        interruptOn: /Replaying/,
      },
    );
    expect(run.code, run.stderr).toBe(130);
    expect(run.json().replay.outcome).toBe("cancelled");
    expect(existsSync(join(hub.stateDir, "test", "endpoints.json"))).toBe(true);
  });
});
