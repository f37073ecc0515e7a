/**
 * Attacks, end to end through the local cloud: forged, stale, replayed, tampered and unsigned platform requests;
 * a webhook secret rotation; one platform reaching for another's complaints; consumers without (or with
 * someone else's) tracking token; and, after a whole flow with distinctive personal data, a scan of every log
 * line, metric and event name the hub produced. Nothing refused may change anything, and nothing may leak.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { parseWebhookSecrets, signWebhook, type WebhookSecrets } from "../../shared/delivery/signing";
import { TIMESTAMP_TOLERANCE_SECONDS } from "../../shared/platform/authenticate";
import { type Answer, asConsumer, asPlatform, platformReport } from "../e2e/actors";
import { eventually, type Filed, readComplaint, sqsClient } from "../e2e/harness";
import { complaintFor, fileWithRetries } from "./consumers";
import { faultSuite } from "./fault-suite";
import { n } from "./figures";
import { storedComplaint } from "./ledger";

const suite = faultSuite("security", "test/faults/security.test.ts");

const secretName = (platform: string) => `complaint-hub/test/platforms/${platform}/webhook`;
const secretsOf = async (platform: string) =>
  parseWebhookSecrets(await suite.hub.cloud.secrets.currentValue(secretName(platform)));

async function file(platform: string, overrides: Record<string, unknown> = {}): Promise<Filed> {
  const outcome = await fileWithRetries(suite.hub.cloud.apiUrl, complaintFor(platform, overrides));
  return { complaintId: outcome.complaintId, trackingToken: outcome.trackingToken, status: "ACCEPTED" };
}

async function delivered(filed: Filed) {
  return eventually(async () => {
    const stored = await storedComplaint(suite.target, filed.complaintId);
    return stored?.delivery.state === "delivered" ? stored : undefined;
  }, 30_000);
}

/** A pull platform takes its notice off its queue and acknowledges it: DELIVERED, then ACKNOWLEDGED. */
async function pulledAndAcknowledged(platform: string, filed: Filed) {
  const sqs = sqsClient(suite.hub.cloud);
  const queueUrl = suite.hub.cloud.output(`Queue${platform}`);
  await eventually(async () => {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    let found = false;
    for (const message of Messages ?? []) {
      if (JSON.parse(message.Body ?? "{}").complaintId !== filed.complaintId) continue;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      found = true;
    }
    return found || undefined;
  });
  expect(
    (await platformReport(suite.hub.cloud, platform, filed.complaintId, "ACK", { caseRef: `${platform}-1` }))
      .status,
  ).toBe(200);
}

/** A report body as a platform sends it, with its own headers: the forgery is in what `headers` does. */
async function rawReport(
  complaintId: string,
  headers: (payload: string) => Record<string, string>,
  payloadOverride?: (payload: string) => string,
): Promise<Answer> {
  const payload = JSON.stringify({
    eventId: `sec-${randomUUID()}`,
    type: "CONTACTED_CONSUMER",
    occurredAt: suite.hub.cloud.clock.now().toISOString(),
  });
  const response = await fetch(`${suite.hub.cloud.apiUrl}/platform/v1/complaints/${complaintId}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers(payload) },
    body: payloadOverride ? payloadOverride(payload) : payload,
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.json(),
  };
}

const signedBy =
  (platformId: string, secrets: WebhookSecrets, at: Date, id = `msg_${randomUUID()}`) =>
  (payload: string) => ({
    "platform-id": platformId,
    ...signWebhook(secrets, id, at, payload),
  });

describe("platform signatures", () => {
  it("refuses every forged, stale, replayed, tampered or unsigned request with 401, and nothing changes", async () => {
    const filed = await file("suning");
    await delivered(filed);
    const own = await secretsOf("suning");
    const other = await secretsOf("gome");
    const now = () => suite.hub.cloud.clock.now();
    const shifted = (seconds: number) => new Date(now().getTime() + seconds * 1000);
    // Outside the tolerance by more than what whole-second timestamps and a loaded machine's request time take.
    const beyond = TIMESTAMP_TOLERANCE_SECONDS + 5;
    const random = { current: randomBytes(32).toString("base64") };

    const replayId = `msg_${randomUUID()}`;
    const replayPayload = JSON.stringify({
      eventId: `sec-${randomUUID()}`,
      type: "ACK",
      occurredAt: now().toISOString(),
    });
    const replayHeaders = { "platform-id": "suning", ...signWebhook(own, replayId, now(), replayPayload) };
    const first = await fetch(
      `${suite.hub.cloud.apiUrl}/platform/v1/complaints/${filed.complaintId}/events`,
      {
        method: "POST",
        headers: { "content-type": "application/json", ...replayHeaders },
        body: replayPayload,
      },
    );
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const before = await storedComplaint(suite.target, filed.complaintId);

    const without = (name: string) => (payload: string) => {
      const headers: Record<string, string> = signedBy("suning", own, now())(payload);
      delete headers[name];
      return headers;
    };
    const attacks: { what: string; send: () => Promise<Answer> }[] = [
      {
        what: "a random secret",
        send: () => rawReport(filed.complaintId, signedBy("suning", random, now())),
      },
      {
        what: "another platform's secret",
        send: () => rawReport(filed.complaintId, signedBy("suning", other, now())),
      },
      {
        what: `expired timestamp (−${beyond} s)`,
        send: () => rawReport(filed.complaintId, signedBy("suning", own, shifted(-beyond))),
      },
      {
        what: `future timestamp (+${beyond} s)`,
        send: () => rawReport(filed.complaintId, signedBy("suning", own, shifted(beyond))),
      },
      {
        what: "replayed webhook-id (fresh timestamp, other body)",
        send: () => rawReport(filed.complaintId, signedBy("suning", own, now(), replayId)),
      },
      {
        what: "replayed request, byte for byte",
        send: async () => {
          const response = await fetch(
            `${suite.hub.cloud.apiUrl}/platform/v1/complaints/${filed.complaintId}/events`,
            {
              method: "POST",
              headers: { "content-type": "application/json", ...replayHeaders },
              body: replayPayload,
            },
          );
          return {
            status: response.status,
            contentType: response.headers.get("content-type"),
            body: await response.json(),
          };
        },
      },
      {
        what: "tampered body",
        send: () =>
          rawReport(filed.complaintId, signedBy("suning", own, now()), (p) =>
            p.replace('"type"', '"note":"added after signing","type"'),
          ),
      },
      {
        what: "no webhook-signature",
        send: () => rawReport(filed.complaintId, without("webhook-signature")),
      },
      { what: "no webhook-id", send: () => rawReport(filed.complaintId, without("webhook-id")) },
      {
        what: "no webhook-timestamp",
        send: () => rawReport(filed.complaintId, without("webhook-timestamp")),
      },
      { what: "no platform-id", send: () => rawReport(filed.complaintId, without("platform-id")) },
      {
        what: "a malformed signature",
        send: () =>
          rawReport(filed.complaintId, (p) => ({
            ...signedBy("suning", own, now())(p),
            "webhook-signature": "v1,AAAA",
          })),
      },
      { what: "no headers at all", send: () => rawReport(filed.complaintId, () => ({})) },
      {
        what: "an unknown platform-id",
        send: () => rawReport(filed.complaintId, signedBy("pinduoduo", own, now())),
      },
    ];
    const ROUNDS = 10;
    const refused = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const attack of attacks) {
        const answer = await attack.send();
        expect(answer.status, attack.what).toBe(401);
        expect(answer.contentType, attack.what).toMatch(/^application\/problem\+json/);
        refused.set(attack.what, (refused.get(attack.what) ?? 0) + 1);
      }
    }
    // The inbox is signed the same way.
    const inboxAttacks = [signedBy("suning", random, now()), signedBy("suning", other, now()), () => ({})];
    for (const headers of inboxAttacks) {
      const response = await fetch(`${suite.hub.cloud.apiUrl}/platform/v1/complaints`, {
        headers: headers(""),
      });
      expect(response.status).toBe(401);
      await response.arrayBuffer();
    }
    const after = await storedComplaint(suite.target, filed.complaintId);
    expect(after?.version).toBe(before?.version);
    expect(after?.timeline).toEqual(before?.timeline);

    const total = [...refused.values()].reduce((a, b) => a + b, 0) + inboxAttacks.length;
    suite.figures.add({
      section: "Security",
      what: `platform API signatures: ${attacks.map((a) => a.what).join("; ")}; the inbox unsigned or signed with a wrong secret`,
      tried: `${n(total)} requests (${attacks.length} kinds × ${ROUNDS}, + ${inboxAttacks.length} on the inbox)`,
      lost: after?.version === before?.version ? 0 : 1,
      duplicated: 0,
      leaked: 0,
      outcome: `${n(total)} × 401 problem+json; the complaint unchanged (version ${after?.version})`,
    });
  });

  it("keeps both secrets valid through a rotation's overlap, then only the new one", async () => {
    const secretsManager = new SecretsManagerClient({
      endpoint: suite.hub.cloud.awsEndpoint,
      region: suite.hub.cloud.region,
      credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
    });
    const put = (value: WebhookSecrets) =>
      secretsManager.send(
        new PutSecretValueCommand({ SecretId: secretName("vip"), SecretString: JSON.stringify(value) }),
      );
    // The functions cache secrets for 5 minutes: the clock moves past that after each change.
    const settle = () => suite.hub.cloud.clock.advance(6 * 60 * 1000);
    const old = await secretsOf("vip");
    const next = { current: randomBytes(33).toString("base64") };
    const filed = await file("vip");
    await delivered(filed);

    const report = async (secrets: WebhookSecrets) =>
      (await rawReport(filed.complaintId, signedBy("vip", secrets, suite.hub.cloud.clock.now()))).status;
    const results: { phase: string; oldKey: number; newKey: number }[] = [];
    results.push({
      phase: "before",
      oldKey: await report({ current: old.current }),
      newKey: await report(next),
    });

    await put({ current: next.current, previous: old.current });
    settle();
    results.push({
      phase: "overlap",
      oldKey: await report({ current: old.current }),
      newKey: await report(next),
    });
    // During the overlap the hub signs its deliveries with both; the platform (on its new key) accepts them.
    const duringOverlap = await file("vip");
    await delivered(duringOverlap);
    const deliveries = suite.hub.cloud.sandbox
      .received("vip")
      .filter((r) => r.body?.complaintId === duringOverlap.complaintId);
    expect(deliveries.at(-1)?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);

    await put({ current: next.current });
    settle();
    results.push({
      phase: "after",
      oldKey: await report({ current: old.current }),
      newKey: await report(next),
    });
    suite.hub.cloud.clock.reset();

    expect(results).toEqual([
      { phase: "before", oldKey: 200, newKey: 401 },
      { phase: "overlap", oldKey: 200, newKey: 200 },
      { phase: "after", oldKey: 401, newKey: 200 },
    ]);
    suite.figures.add({
      section: "Security",
      what: "webhook secret rotation: reports signed with the old and the new key before, during and after the overlap; a delivery during the overlap",
      tried: "6 reports, 1 delivery",
      lost: 0,
      duplicated: 0,
      leaked: 0,
      outcome:
        "old key: 200, 200, 401; new key: 401, 200, 200; the delivery carried both signatures and was accepted",
    });
  });
});

describe("tenancy", () => {
  it("lets no platform list or change another's complaints, and no consumer read without the complaint's token", async () => {
    const taobao = await file("taobao");
    const jd = await file("jd");
    const other = await file("taobao");
    await delivered(taobao);
    await delivered(other);
    await pulledAndAcknowledged("jd", jd);
    const versions = async () =>
      Promise.all(
        [taobao, jd, other].map(async (f) => (await storedComplaint(suite.target, f.complaintId))?.version),
      );
    const before = await versions();
    let tried = 0;
    let letIn = 0;
    const refuse = (answer: Answer, status: number, what: string) => {
      tried++;
      if (answer.status !== status) letIn++;
      expect(answer.status, what).toBe(status);
    };

    // Platforms: every report type on the other's complaint is a 403.
    for (const type of [
      "ACK",
      "CONTACTED_CONSUMER",
      "INFO_REQUESTED",
      "PROPOSAL",
      "REFUND_APPROVED",
      "INCORRECT_PLATFORM",
    ]) {
      refuse(
        await platformReport(suite.hub.cloud, "jd", taobao.complaintId, type),
        403,
        `jd ${type} on taobao's`,
      );
      refuse(
        await platformReport(suite.hub.cloud, "taobao", jd.complaintId, type),
        403,
        `taobao ${type} on jd's`,
      );
    }
    refuse(
      await platformReport(suite.hub.cloud, "jd", taobao.complaintId, "RESOLVED", {
        relief: { type: "refund", amountFen: 1 },
      }),
      403,
      "jd RESOLVED on taobao's",
    );
    refuse(
      await platformReport(suite.hub.cloud, "jd", taobao.complaintId, "REDIRECT", { redirectTo: "jd" }),
      403,
      "jd REDIRECT of taobao's to itself",
    );
    // Platforms list only their own.
    const listed = async (platform: string) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await asPlatform(
          suite.hub.cloud,
          platform,
          "GET",
          `/platform/v1/complaints?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        expect(page.status).toBe(200);
        ids.push(...page.body.items.map((i: { complaintId: string }) => i.complaintId));
        cursor = page.body.cursor;
      } while (cursor);
      return ids;
    };
    const jdSees = await listed("jd");
    const taobaoSees = await listed("taobao");
    tried += 2;
    expect(jdSees).toContain(jd.complaintId);
    expect(jdSees).not.toContain(taobao.complaintId);
    expect(taobaoSees).toContain(taobao.complaintId);
    expect(taobaoSees).not.toContain(jd.complaintId);
    // A cursor from another platform's listing opens nothing.
    const taobaoPage = await asPlatform(suite.hub.cloud, "taobao", "GET", "/platform/v1/complaints?limit=1");
    if (taobaoPage.body.cursor) {
      refuse(
        await asPlatform(
          suite.hub.cloud,
          "jd",
          "GET",
          `/platform/v1/complaints?cursor=${encodeURIComponent(taobaoPage.body.cursor)}`,
        ),
        400,
        "another platform's cursor",
      );
    }

    // Consumers: no token, a made-up one, another complaint's.
    for (const action of ["feedback", "withdraw", "messages"]) {
      const body =
        action === "feedback" ? { decision: "accept" } : action === "messages" ? { text: "hello" } : {};
      refuse(await asConsumer(suite.hub.cloud, taobao, action, body, ""), 401, `${action} without a token`);
      refuse(
        await asConsumer(suite.hub.cloud, taobao, action, body, randomBytes(32).toString("base64url")),
        404,
        `${action}, wrong token`,
      );
      refuse(
        await asConsumer(suite.hub.cloud, taobao, action, body, other.trackingToken),
        404,
        `${action}, another's token`,
      );
    }
    for (const [token, status] of [
      [undefined, 401],
      ["", 401],
      [randomBytes(32).toString("base64url"), 404],
      [other.trackingToken, 404],
      [taobao.trackingToken.slice(0, -1), 404],
    ] as const) {
      const response = await fetch(`${suite.hub.cloud.apiUrl}/v1/complaints/${taobao.complaintId}`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
      refuse(
        { status: response.status, contentType: null, body: await response.json() },
        status,
        `read with ${token}`,
      );
    }
    // The right token still works: the refusals were about the token, not the complaint.
    expect((await readComplaint(suite.hub.cloud, taobao)).complaintId).toBe(taobao.complaintId);

    expect(await versions()).toEqual(before);
    suite.figures.add({
      section: "Security",
      what: "tenancy: a platform reporting on, listing or paging into another platform's complaints; consumers acting or reading without the complaint's token",
      tried: `${n(tried)} requests`,
      lost: 0,
      duplicated: 0,
      leaked: letIn,
      outcome: `all refused (403 on another's complaint, 401 without a token, 404 with a wrong or another complaint's token, 400 for a foreign cursor); inboxes list their own only; the complaints unchanged`,
    });
  });
});

describe("privacy", () => {
  it("writes no personal data, token or secret to any log line, metric or event name after a whole flow", async () => {
    const marker = randomBytes(4).toString("hex");
    const people = ["suning", "jd", "pinduoduo", "vip"].map((platform, i) => ({
      platform,
      name: `Privacyscan${marker}${i} Zhuge`,
      phone: `139${String(10_000_000 + (Number.parseInt(marker, 16) % 80_000_000) + i).slice(0, 8)}`,
      email: `privacy.${marker}.${i}@example.com`,
      narrative: `Narrative-${marker}-${i}: 收到的电热水壶使用一周后底部开始漏水，联系商家三次均未答复。`,
      orderId: `ORD-${marker}-${i}`,
    }));
    const filed: Filed[] = [];
    for (const person of people) {
      filed.push(
        await file(person.platform, {
          consumer: { name: person.name, phone: person.phone, email: person.email, regionCode: "110105" },
          narrative: person.narrative,
          order: {
            id: person.orderId,
            date: "2026-11-02",
            item: "电热水壶 1.7L",
            amountFen: 15900,
            currency: "CNY",
          },
          evidence: [{ url: `https://evidence.example.com/${marker}.jpg`, description: `Receipt ${marker}` }],
        }),
      );
    }
    const [suning, jd, , vip] = filed as [Filed, Filed, Filed, Filed];
    await delivered(suning);
    await delivered(vip);
    await pulledAndAcknowledged("jd", jd);
    // The lifecycle around it: reports, an information request answered, a resolution rejected, a withdrawal.
    expect((await platformReport(suite.hub.cloud, "suning", suning.complaintId, "ACK")).status).toBe(200);
    expect(
      (
        await platformReport(suite.hub.cloud, "suning", suning.complaintId, "INFO_REQUESTED", {
          note: `note ${marker}`,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await asConsumer(suite.hub.cloud, suning, "messages", {
          text: `Message ${marker}: my phone is ${people[0]?.phone}`,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await platformReport(suite.hub.cloud, "suning", suning.complaintId, "RESOLVED", {
          relief: { type: "refund", amountFen: 100 },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await asConsumer(suite.hub.cloud, suning, "feedback", {
          decision: "reject",
          comment: `Comment ${marker}`,
        })
      ).status,
    ).toBe(200);
    expect((await asConsumer(suite.hub.cloud, vip, "withdraw", { reason: `Reason ${marker}` })).status).toBe(
      200,
    );
    // Refused requests too: the hub must not echo what it refuses.
    await asConsumer(suite.hub.cloud, suning, "messages", { text: `Bad ${marker}`, extra: people[1]?.name });
    await fetch(`${suite.hub.cloud.apiUrl}/v1/complaints`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...complaintFor("suning"), consumer: { name: people[2]?.name, phone: "nope" } }),
    });
    await suite.hub.cloud.events.runSchedules();
    await fetch(`${suite.hub.cloud.apiUrl}/v1/stats`);
    await new Promise((r) => setTimeout(r, 1_500));

    const webhookSecrets = await Promise.all(
      ["suning", "jd", "vip"].map(async (p) => (await secretsOf(p)).current),
    );
    const tokenKey = await suite.hub.cloud.secrets.currentValue("complaint-hub/test/tracking-token-key");
    const forbidden = [
      ...people.flatMap((p) => [p.name, p.phone, p.email, p.narrative.slice(0, 24), p.orderId]),
      marker,
      ...filed.map((f) => f.trackingToken),
      ...webhookSecrets,
      tokenKey,
    ];
    const logDir = join(suite.hub.cloud.stateDir, "logs");
    const lines = readdirSync(logDir).flatMap((name) =>
      readFileSync(join(logDir, name), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => ({ file: name, line })),
    );
    const leaks = lines.filter(({ line }) => forbidden.some((secret) => line.includes(secret)));

    // Metric names and dimensions, from the EMF lines.
    const metricNames = new Set<string>();
    for (const { line } of lines) {
      if (!line.includes("_aws")) continue;
      try {
        const emf = JSON.parse(line) as {
          _aws?: { CloudWatchMetrics?: { Metrics: { Name: string }[]; Dimensions: string[][] }[] };
        };
        for (const directive of emf._aws?.CloudWatchMetrics ?? []) {
          for (const metric of directive.Metrics) metricNames.add(metric.Name);
          for (const dimension of directive.Dimensions.flat())
            metricNames.add(`${dimension}=${String((emf as Record<string, unknown>)[dimension])}`);
        }
      } catch {
        // not an EMF line
      }
    }
    // Event names: every event's source and detail-type on the bus (the archive keeps them all).
    const archiveDir = join(suite.hub.cloud.stateDir, "eventbridge", "archives");
    const eventNames = new Set<string>();
    for (const name of readdirSync(archiveDir)) {
      for (const line of readFileSync(join(archiveDir, name), "utf8").split("\n").filter(Boolean)) {
        const event = JSON.parse(line) as { source: string; "detail-type": string };
        eventNames.add(`${event.source} / ${event["detail-type"]}`);
      }
    }
    const named = [...metricNames, ...eventNames].filter((name) =>
      forbidden.some((secret) => name.includes(secret)),
    );

    expect(lines.length).toBeGreaterThan(100);
    expect(metricNames.size).toBeGreaterThan(3);
    expect(eventNames.size).toBeGreaterThan(1);
    expect(leaks.slice(0, 3)).toEqual([]);
    expect(named).toEqual([]);
    suite.figures.add({
      section: "Privacy",
      what: "a whole flow (push, pull, triage; reports, information request, message, resolution rejected, withdrawal, refused requests, the chase, stats) with distinctive names, phones, emails, narratives and order ids; every function log line, metric name and dimension, and event name scanned for them, the tracking tokens and the secrets",
      tried: `${people.length} consumers; ${n(lines.length)} log lines, ${metricNames.size} metric names and dimensions, ${eventNames.size} event names; ${forbidden.length} strings looked for`,
      lost: 0,
      duplicated: 0,
      leaked: leaks.length + named.length,
      outcome: "none found",
    });
  });
});

describe("the local cloud's network", () => {
  it("listens on loopback only: from any other address of this machine, every port refuses", async () => {
    const ports = [suite.hub.cloud.apiUrl, suite.hub.cloud.awsEndpoint, suite.hub.cloud.sandboxUrl].map((u) =>
      Number(new URL(u).port),
    );
    for (const url of [suite.hub.cloud.apiUrl, suite.hub.cloud.awsEndpoint, suite.hub.cloud.sandboxUrl])
      expect(new URL(url).hostname).toBe("127.0.0.1");
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((a): a is NonNullable<typeof a> => Boolean(a) && !a?.internal)
      .map((a) => a.address);
    const attempt = (host: string, port: number) =>
      new Promise<"connected" | "refused">((resolve) => {
        const socket = connect({ host, port, timeout: 2_000 });
        socket.once("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", () => resolve("refused"));
        socket.once("timeout", () => {
          socket.destroy();
          resolve("refused");
        });
      });
    let tried = 0;
    for (const address of addresses)
      for (const port of ports) {
        tried++;
        expect(await attempt(address, port), `${address}:${port}`).toBe("refused");
      }
    for (const port of ports) expect(await attempt("127.0.0.1", port)).toBe("connected");
    suite.figures.add({
      section: "Security",
      what: `the local cloud's API, AWS endpoint and sandbox ports from every non-loopback address of the machine (${addresses.length}); binding to 0.0.0.0 is refused at start (test/e2e/startup.test.ts)`,
      tried: `${tried} connection attempts`,
      lost: 0,
      duplicated: 0,
      leaked: 0,
      outcome: `${tried} refused; the same ports answer on 127.0.0.1`,
    });
  });
});
