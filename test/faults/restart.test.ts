/**
 * The local cloud killed (SIGKILL) and restarted in the middle of a load: the hub runs as `npm start` runs it
 * (local/cli.ts, a child process of its own, pull clients included) on a temporary state folder; consumers file
 * complaints throughout, retrying with the same Idempotency-Key while it is down; it is killed twice with no
 * chance to flush anything, restarted on the same state each time, and the ledger must close: every accepted
 * complaint delivered (push and pull) or in triage, none lost, none delivered twice as two cases.
 *
 * A notice a delivery function's poller (or the pull client) had received when the cloud died stays invisible
 * in its queue for the queue's visibility timeout, as on AWS when the consumer dies, and is taken again after
 * it: that is how it recovers, not a loss. The template's timeouts (6 × the function timeout, 150 s; 5 min for
 * a pull queue) are shortened for this run, to a value still above the delivery function's timeout, so the
 * recovery falls within the run; the change is made once and stays across the restarts, as an out-of-band
 * change stays across a stack update that leaves the attribute alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { loadStack } from "../../local/assembly/cloud-assembly";
import { buildStackModel } from "../../local/template/stack-model";
import { startTestCloud, TEST_ASSEMBLY_DIR } from "../e2e/harness";
import { complaintFor, type FilingOutcome, fileWithRetries } from "./consumers";
import { Figures, n } from "./figures";
import { allDelivered, describeLedger, type LedgerTarget, settledLedger } from "./ledger";

const figures = new Figures("restart", "test/faults/restart.test.ts");
const stateDir = mkdtempSync(join(tmpdir(), "hub-sigkill-"));
/** The test stage's sandbox port (infra/stages.ts). */
const SANDBOX_PORT = 4610;
/** Push, push, pull (the cloud's own pull client acknowledges), and a non-member (triage). */
const PLATFORMS = ["suning", "vip", "jd", "pinduoduo"];
const RATE_PER_SECOND = 12;
const LOAD_SECONDS = 12;
const KILLS_AT_SECONDS = [3, 8];
/** The platforms' queues' visibility timeout for this run: above the delivery function's timeout (25 s). */
const VISIBILITY_SECONDS = 30;

let child: ChildProcess | undefined;

afterAll(async () => {
  figures.write();
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child?.once("exit", r));
  }
  if (!process.env.KEEP_STATE) rmSync(stateDir, { recursive: true, force: true });
  else console.log("STATE", stateDir);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** `npm start` on the temporary state folder; resolves once it says it is running. */
function startHub(ports: { api: number; aws: number }): Promise<ChildProcess> {
  const started = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "local/cli.ts",
      "--stage",
      "test",
      "--state-dir",
      stateDir,
      "--assembly-dir",
      TEST_ASSEMBLY_DIR,
      "--api-port",
      String(ports.api),
      "--aws-port",
      String(ports.aws),
      "--sandbox-port",
      String(SANDBOX_PORT),
    ],
    { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_NO_WARNINGS: "1" } },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`the hub did not start:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("is running locally")) {
        clearTimeout(timer);
        resolve(started);
      }
    };
    started.stdout?.on("data", onData);
    started.stderr?.on("data", onData);
    started.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${code}) before it started:\n${output}`));
    });
  });
}

function kill(process: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    process.once("exit", () => resolve());
    process.kill("SIGKILL");
  });
}

describe("the local cloud killed and restarted in the middle of a load", () => {
  it("loses nothing and delivers nothing twice", async () => {
    // The assembly is synthesized (or found up to date) once, as every suite does.
    await (await startTestCloud()).stop();
    const ports = { api: await freePort(), aws: await freePort() };
    const awsEndpoint = `http://127.0.0.1:${ports.aws}`;
    const model = buildStackModel(loadStack(TEST_ASSEMBLY_DIR), {
      accountId: "000000000000",
      partition: "aws",
      awsEndpoint,
    });
    const output = (name: string) => model.outputs[name] as string;
    const target: LedgerTarget = {
      awsEndpoint,
      region: model.identity.region,
      tableName: output("TableName"),
      sandboxUrl: `http://127.0.0.1:${SANDBOX_PORT}`,
      queueUrl: (id) => output(`Queue${id.replace(/[^A-Za-z0-9]/g, "")}`),
      urgentQueueUrl: (id) => output(`UrgentQueue${id.replace(/[^A-Za-z0-9]/g, "")}`),
      deadLetterQueueUrl: (id) => output(`DeadLetterQueue${id.replace(/[^A-Za-z0-9]/g, "")}`),
      triageQueueUrl: output("TriageQueueUrl"),
      triageDeadLetterQueueUrl: `${output("TriageQueueUrl")}-dlq`,
    };
    const apiUrl = `http://127.0.0.1:${ports.api}`;

    child = await startHub(ports);
    const sqs = new SQSClient({
      endpoint: awsEndpoint,
      region: model.identity.region,
      credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
    });
    const memberQueues = PLATFORMS.filter((p) => p !== "pinduoduo").flatMap((p) => [
      target.queueUrl(p),
      target.urgentQueueUrl?.(p) as string,
    ]);
    const slowestDelivery = Math.max(
      ...model.functions.filter((f) => f.environment.PLATFORM_ID).map((f) => f.timeoutSeconds),
    );
    expect(VISIBILITY_SECONDS).toBeGreaterThan(slowestDelivery);
    for (const queueUrl of memberQueues)
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
        }),
      );
    /** The shortened timeout is still in force (a restart must not put the template's back). */
    const visibilityHolds = async () => {
      for (const queueUrl of memberQueues) {
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
        );
        expect(Attributes?.VisibilityTimeout, queueUrl).toBe(String(VISIBILITY_SECONDS));
      }
    };

    const filings: Promise<FilingOutcome>[] = [];
    let lostAnswers = 0;
    const started = Date.now();
    const load = (async () => {
      for (let i = 0; i < RATE_PER_SECOND * LOAD_SECONDS; i++) {
        const platform = PLATFORMS[i % PLATFORMS.length] as string;
        filings.push(
          fileWithRetries(apiUrl, complaintFor(platform), {
            timeoutMs: 120_000,
            onAnswer: (status) => {
              if (status === "network" || status >= 500) lostAnswers++;
            },
          }),
        );
        await new Promise((r) => setTimeout(r, 1000 / RATE_PER_SECOND));
      }
    })();
    const restarts: number[] = [];
    for (const at of KILLS_AT_SECONDS) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + at * 1000 - Date.now())));
      await kill(child);
      const down = Date.now();
      child = await startHub(ports);
      restarts.push(Date.now() - down);
      await visibilityHolds();
    }
    await load;
    const filed = await Promise.all(filings);
    // A notice in flight at the last kill is taken again VISIBILITY_SECONDS after it was received.
    const ledger = await settledLedger(target, filed, { timeoutMs: 90_000, until: allDelivered });
    const expected = filed.filter((f) => f.platform !== "pinduoduo").length;

    expect(ledger.lost, describeLedger(ledger)).toEqual([]);
    expect(ledger.duplicated, describeLedger(ledger)).toEqual([]);
    expect(ledger.counts.delivered, describeLedger(ledger)).toBe(expected);
    expect(ledger.counts.triage, describeLedger(ledger)).toBe(filed.length - expected);
    expect(new Set(filed.map((f) => f.complaintId)).size).toBe(filed.length);
    figures.add({
      section: "Hub faults",
      what: `the local cloud (npm start, own process) killed with SIGKILL and restarted on the same state, ${KILLS_AT_SECONDS.length} times in a ${LOAD_SECONDS} s load (${RATE_PER_SECOND}/s; push, pull with the cloud's pull client, triage; the platforms' queue visibility shortened to ${VISIBILITY_SECONDS} s, so notices in flight at a kill come back within the run)`,
      tried: `${n(filed.length)} complaints, ${KILLS_AT_SECONDS.length} kills (restarts took ${restarts.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")})`,
      lost: ledger.lost.length,
      duplicated: ledger.duplicated.length,
      leaked: 0,
      outcome: `${lostAnswers} answers lost or 5xx while it was down, filed again with the same key; ${ledger.counts.delivered} delivered once, ${ledger.counts.triage} in triage`,
    });
  }, 300_000);
});
