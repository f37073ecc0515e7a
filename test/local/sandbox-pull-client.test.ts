/**
 * The pull platform's client against the local SQS endpoint: long-polls, records, deletes, stops at once.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeServer, listen } from "../../local/net";
import { type PulledNotice, PullPlatformClient } from "../../local/sandbox/pull-client";
import { currentKeyFromSecretValue, verifyWebhook } from "../../local/sandbox/webhook-verifier";
import { type LocalSqsServer, startLocalSqsServer } from "../../local/sqs/sqs-server";
import { type ComplaintNotice, complaintNoticeSchema } from "../../shared/events/contract";

const REGION = "cn-north-1";
const credentials = { accessKeyId: "platform", secretAccessKey: "platform" };

let stateDir: string;
let local: LocalSqsServer;
let queueUrl: string;
let sqs: SQSClient;
const clients: PullPlatformClient[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pull-client-"));
  local = await startLocalSqsServer({ stateDir, port: 0, region: REGION, fsync: false });
  queueUrl = await local.engine.createQueue("complaint-hub-test-jd", { VisibilityTimeout: "1" });
  sqs = new SQSClient({ endpoint: local.endpoint, region: REGION, credentials });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  sqs.destroy();
  await local.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function exampleNotice(): Promise<ComplaintNotice> {
  const submission = JSON.parse(
    await readFile(join(process.cwd(), "docs", "examples", "complaint.json"), "utf8"),
  );
  delete submission.consents;
  return complaintNoticeSchema.parse({
    ...submission,
    schemaVersion: "1",
    noticeId: `N-${randomUUID()}`,
    complaintId: `C-${randomUUID()}`,
    platform: "jd",
    submittedAt: new Date().toISOString(),
    urgent: false,
    responseDeadlineWorkingDays: 7,
  });
}

function client(options: Partial<ConstructorParameters<typeof PullPlatformClient>[0]> = {}) {
  const pull = new PullPlatformClient({
    platformId: "jd",
    endpoint: local.endpoint,
    region: REGION,
    credentials,
    queueUrl,
    waitTimeSeconds: 20,
    onError: () => undefined,
    ...options,
  });
  clients.push(pull);
  return pull;
}

async function until<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out");
}

async function queueDepth(): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

describe("PullPlatformClient", () => {
  it("takes notices off its queue, records them, calls onNotice and deletes each message", async () => {
    const seen: ComplaintNotice[] = [];
    const pull = client({ onNotice: (notice) => void seen.push(notice) });
    pull.start();
    const notice = await exampleNotice();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(notice) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not a notice" }));

    const taken = await until(() => (pull.received().length === 2 ? pull.received() : undefined));
    expect(taken.map((t) => t.valid)).toEqual([true, false]);
    expect(taken[0]?.notice).toEqual(notice);
    expect(taken[1]?.invalidBody).toBe("not a notice");
    expect(pull.notices()).toEqual([notice]);
    expect(seen).toEqual([notice]);
    await until(() => (taken.every((t) => t.deleted) ? true : undefined));
    expect(await queueDepth()).toBe(0);
  });

  it("stops at once in the middle of a long poll", async () => {
    const pull = client();
    pull.start();
    await new Promise((r) => setTimeout(r, 200)); // the 20 s receive is waiting
    const started = performance.now();
    await pull.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(pull.running).toBe(false);

    // Stopped means stopped: a message sent now stays on the queue.
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(await exampleNotice()) }),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(pull.received()).toEqual([]);
    expect(await queueDepth()).toBe(1);

    // And it can start again.
    pull.start();
    await until(() => (pull.notices().length === 1 ? true : undefined));
  });

  it("leaves a message on the queue when onNotice fails, so it comes back", async () => {
    let failures = 1;
    const pull = client({
      waitTimeSeconds: 1,
      onNotice: () => {
        if (failures-- > 0) throw new Error("ack failed");
      },
    });
    pull.start();
    const notice = await exampleNotice();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(notice) }));
    const taken = await until<PulledNotice[]>(() => {
      const all = pull.received();
      return all.length === 2 && all[1]?.deleted ? all : undefined;
    });
    expect(taken[0]).toMatchObject({ deleted: false, error: "ack failed", receiveCount: 1 });
    expect(taken[1]).toMatchObject({ deleted: true, receiveCount: 2 });
    expect(pull.notices()).toEqual([notice]);
  });

  it("acknowledges each notice to the hub with a signed ACK, and keeps it on the queue until the hub answers", async () => {
    const secret = JSON.stringify({ current: randomBytes(32).toString("base64") });
    const requests: { headers: IncomingHttpHeaders; body: string; url: string }[] = [];
    const answers = [503, 200];
    const hub = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        requests.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          url: req.url ?? "",
        });
        const status = answers.shift() ?? 200;
        res
          .writeHead(status, { "content-type": "application/json" })
          .end(JSON.stringify({ status: "ACKNOWLEDGED" }));
      });
    });
    const port = await listen(hub, "127.0.0.1", 0, "hub", "--port");
    try {
      const pull = client({
        waitTimeSeconds: 1,
        acknowledge: { apiUrl: `http://127.0.0.1:${port}/`, getSecret: async () => secret },
      });
      pull.start();
      const notice = await exampleNotice();
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(notice) }));
      const taken = await until<PulledNotice[]>(() => {
        const all = pull.received();
        return all.length === 2 && all[1]?.deleted ? all : undefined;
      });
      // The first ACK got a 503: the message stayed and came back; the second settled it.
      expect(taken[0]).toMatchObject({ deleted: false, ack: { status: 503 } });
      expect(taken[1]).toMatchObject({ deleted: true, ack: { status: 200, hubStatus: "ACKNOWLEDGED" } });
      expect(requests).toHaveLength(2);
      for (const request of requests) {
        expect(request.url).toBe(`/platform/v1/complaints/${notice.complaintId}/events`);
        expect(request.headers["platform-id"]).toBe("jd");
        const verdict = verifyWebhook(
          currentKeyFromSecretValue(secret),
          {
            id: request.headers["webhook-id"] as string,
            timestamp: request.headers["webhook-timestamp"] as string,
            signature: request.headers["webhook-signature"] as string,
            body: Buffer.from(request.body),
          },
          Math.floor(Date.now() / 1000),
        );
        expect(verdict).toEqual({ ok: true });
      }
      // A fresh webhook-id per request, the same report (eventId, body) on the retry.
      expect(requests[0]?.headers["webhook-id"]).not.toBe(requests[1]?.headers["webhook-id"]);
      expect(requests[1]?.body).toBe(requests[0]?.body);
      expect(JSON.parse(requests[0]?.body ?? "{}")).toMatchObject({
        eventId: `ack-${notice.noticeId}`,
        type: "ACK",
        caseRef: pull.caseRefFor(notice),
      });
    } finally {
      await closeServer(hub);
    }
  });

  it("settles a notice the hub refuses for good (409), without retrying", async () => {
    const hub = createServer((_req, res) => res.writeHead(409).end("{}"));
    const port = await listen(hub, "127.0.0.1", 0, "hub", "--port");
    try {
      const pull = client({
        waitTimeSeconds: 1,
        acknowledge: {
          apiUrl: `http://127.0.0.1:${port}`,
          getSecret: async () => randomBytes(32).toString("base64"),
        },
      });
      pull.start();
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(await exampleNotice()) }),
      );
      const [taken] = await until(() => (pull.received()[0]?.deleted ? pull.received() : undefined));
      expect(taken?.ack?.status).toBe(409);
    } finally {
      await closeServer(hub);
    }
  });
});
