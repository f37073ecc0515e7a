/**
 * Hub-side faults, injected into the local cloud (local/faults.ts) while complaints flow: PutEvents partial
 * failures and throttling, DynamoDB throttling and lost conditional-check races (injected, and real ones from
 * concurrent writers), a function crashing in the middle of a batch (stream and SQS), a function timing out
 * after its write. Every run ends with the ledger: nothing accepted is lost, nothing delivered twice as two cases.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import type { FaultHandle, FaultSpec } from "../../local/faults";
import { asConsumer, platformReport } from "../e2e/actors";
import { sqsClient } from "../e2e/harness";
import { complaintFor, type FilingOutcome, fileWithRetries, pool } from "./consumers";
import { faultSuite } from "./fault-suite";
import { n } from "./figures";
import {
  allDelivered,
  attemptsOf,
  describeLedger,
  type Ledger,
  PUSH_PLATFORM_IDS,
  redrive,
  settledLedger,
  storedComplaint,
} from "./ledger";

const suite = faultSuite("hub-faults", "test/faults/hub-faults.test.ts");
/** Each run waits for the ledger to settle (up to 60 s) after the faults. */
const RUN_TIMEOUT_MS = 120_000;

afterEach(() => suite.hub.cloud.faults.clear());

/** Files `count` complaints spread over the push platforms (or the given ones), consumers retrying 5xx. */
async function fileMany(count: number, platforms: readonly string[] = PUSH_PLATFORM_IDS) {
  const answers: (number | "network")[] = [];
  const filed = await pool(
    8,
    Array.from(
      { length: count },
      (_, i) => () =>
        fileWithRetries(suite.hub.cloud.apiUrl, complaintFor(platforms[i % platforms.length] as string), {
          onAnswer: (status) => answers.push(status),
        }),
    ),
  );
  return { filed, answers };
}

const retriedAnswers = (answers: (number | "network")[]) =>
  answers.filter((a) => a === "network" || a >= 500 || a === 429).length;

function expectClean(ledger: Ledger, accepted: number) {
  expect(ledger.lost, describeLedger(ledger)).toEqual([]);
  expect(ledger.duplicated, describeLedger(ledger)).toEqual([]);
  expect(ledger.counts.delivered, describeLedger(ledger)).toBe(accepted);
}

/** Duplicate deliveries the platforms saw (same webhook-id again: the same case answered). */
function duplicatesAtPlatforms(filed: readonly FilingOutcome[]): number {
  const ids = new Set(filed.map((f) => f.complaintId));
  let duplicates = 0;
  for (const platform of new Set(filed.map((f) => f.platform)))
    duplicates += suite.hub.cloud.sandbox
      .received(platform)
      .filter((r) => r.duplicate && ids.has(r.body?.complaintId)).length;
  return duplicates;
}

/**
 * Runs `body` with the push platforms' queues' (and urgent queues') visibility timeout shortened to `seconds`, then
 * puts the previous values back. The template's is 6 × the delivery function's timeout (150 s), longer than a
 * run's settle window: a notice whose attempt ended without an outcome (the function threw on a write the SDK
 * could not get through, crashed or timed out) comes back only after it, as on AWS.
 */
async function withShortVisibility<T>(seconds: number, body: () => Promise<T>): Promise<T> {
  const sqs = sqsClient(suite.hub.cloud);
  const queues = PUSH_PLATFORM_IDS.flatMap((id) => [
    suite.target.queueUrl(id),
    suite.target.urgentQueueUrl?.(id) as string,
  ]);
  const previous = new Map<string, string>();
  for (const queueUrl of queues) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] }),
    );
    previous.set(queueUrl, Attributes?.VisibilityTimeout as string);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { VisibilityTimeout: String(seconds) },
      }),
    );
  }
  try {
    return await body();
  } finally {
    for (const [queueUrl, value] of previous)
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: value } }),
      );
  }
}

const injected = (handles: FaultHandle[]) => handles.reduce((sum, h) => sum + h.injected, 0);

async function faultRun(options: {
  what: string;
  faults: FaultSpec[];
  complaints: number;
  platforms?: readonly string[];
  outcome: (facts: {
    injected: number;
    retried: number;
    /** Requests the platforms got again for a case they had opened (same webhook-id, same case answered). */
    duplicates: number;
    redriven: number;
    /** Notices the delivery function found delivered already and did not send again. */
    skipped: number;
  }) => string;
  /** What an operator does once the faults are over (e.g. redrive a DLQ); returns how many it moved. */
  afterFaults?: () => Promise<number>;
  minimumInjected?: number;
}) {
  const handles = options.faults.map((spec) => suite.hub.cloud.faults.inject(spec));
  const { filed, answers } = await fileMany(options.complaints, options.platforms);
  let redriven = 0;
  if (options.afterFaults) {
    // Until every complaint has settled somewhere (delivered, or in its DLQ); then the faults end and the
    // operator steps in.
    await settledLedger(suite.target, filed, { timeoutMs: 60_000, until: (l) => l.counts.in_flight === 0 });
    suite.hub.cloud.faults.clear();
    redriven = await options.afterFaults();
  }
  const ledger = await settledLedger(suite.target, filed, { timeoutMs: 60_000, until: allDelivered });
  const count = injected(handles);
  suite.hub.cloud.faults.clear();
  expectClean(ledger, filed.length);
  expect(count).toBeGreaterThanOrEqual(options.minimumInjected ?? 1);
  const attempts = (await Promise.all(filed.map((f) => attemptsOf(suite.target, f.complaintId)))).flat();
  const facts = {
    injected: count,
    retried: retriedAnswers(answers),
    duplicates: duplicatesAtPlatforms(filed),
    redriven,
    skipped: attempts.filter((a) => a.outcome === "duplicate").length,
  };
  suite.figures.add({
    section: "Hub faults",
    what: options.what,
    tried: `${filed.length} complaints, ${n(count)} faults injected`,
    lost: ledger.lost.length,
    duplicated: ledger.duplicated.length,
    leaked: 0,
    outcome: `${options.outcome(facts)}; ${ledger.counts.delivered}/${filed.length} delivered, one case each`,
  });
  return { filed, ledger, facts };
}

describe("EventBridge", () => {
  it(
    "PutEvents partial failures: the outbox retries from the first failed record",
    async () => {
      await faultRun({
        what: "PutEvents partial failures (each entry fails with p = 0.3, `InternalFailure`)",
        faults: [{ service: "events", operation: "PutEvents", kind: "partial", rate: 0.3, times: 40 }],
        complaints: 30,
        minimumInjected: 5,
        outcome: ({ duplicates }) =>
          `the publisher reported each batch from its first failed record and the stream retried; ${duplicates} notices re-sent and recognised by the platform as the same case`,
      });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "PutEvents throttling: the SDK and then the stream retry",
    async () => {
      await faultRun({
        // Refused outright rather than by chance: ~10 calls at p = 0.5 left the count to luck.
        what: "PutEvents throttled (the next 8 calls refused, `ThrottlingException`)",
        faults: [{ service: "events", operation: "PutEvents", kind: "throttle", rate: 1, times: 8 }],
        complaints: 30,
        minimumInjected: 8,
        outcome: () => "retried by the SDK, then by the stream event source",
      });
    },
    RUN_TIMEOUT_MS,
  );
});

describe("DynamoDB", () => {
  it(
    "throttling on every operation: retried by the SDK; what still fails is retried by its caller",
    async () => {
      // A delivery whose writes still fail after the SDK's retries ends without an outcome: its notice comes back
      // after the visibility timeout, shortened to 30 s (above the delivery function's 25 s) to fall in the run.
      await withShortVisibility(30, () =>
        faultRun({
          what: "DynamoDB throttled on every operation of every function (p = 0.2, `ProvisionedThroughputExceededException`; the push queues' visibility shortened to 30 s)",
          faults: [{ service: "dynamodb", operation: "*", kind: "throttle", rate: 0.2, times: 300 }],
          complaints: 30,
          minimumInjected: 20,
          outcome: ({ retried }) =>
            `SDK retries; ${retried} API answers were 5xx and the consumer filed again with the same Idempotency-Key (same complaint)`,
        }),
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "conditional-check races lost (injected) and real concurrent writers: one outcome each, never a 5xx",
    async () => {
      const { filed } = await faultRun({
        what: "conditional writes lose their race (UpdateItem with a condition, TransactWriteItems; p = 0.3)",
        faults: [
          { service: "dynamodb", operation: "UpdateItem", kind: "conditional-race", rate: 0.3, times: 60 },
          {
            service: "dynamodb",
            operation: "TransactWriteItems",
            kind: "conditional-race",
            rate: 0.3,
            times: 60,
          },
        ],
        complaints: 20,
        platforms: ["taobao", "suning", "vip", "dianping"],
        minimumInjected: 5,
        outcome: () => "re-read and decided again (QUEUED, DELIVERED)",
      });

      // Real races: on each delivered complaint at once, 3 ACKs (3 eventIds), a CONTACTED_CONSUMER, a consumer
      // message and the same ACK eventId twice.
      suite.hub.cloud.faults.inject({
        service: "dynamodb",
        operation: "TransactWriteItems",
        kind: "conditional-race",
        rate: 0.2,
      });
      const statuses = new Map<number, number>();
      let mismatched = 0;
      for (const complaint of filed) {
        const sameEvent = `race-${randomUUID()}`;
        const answers = await Promise.all([
          platformReport(suite.hub.cloud, complaint.platform, complaint.complaintId, "ACK"),
          platformReport(suite.hub.cloud, complaint.platform, complaint.complaintId, "ACK"),
          platformReport(suite.hub.cloud, complaint.platform, complaint.complaintId, "ACK", {
            eventId: sameEvent,
          }),
          platformReport(suite.hub.cloud, complaint.platform, complaint.complaintId, "ACK", {
            eventId: sameEvent,
          }),
          platformReport(suite.hub.cloud, complaint.platform, complaint.complaintId, "CONTACTED_CONSUMER"),
          asConsumer(
            suite.hub.cloud,
            { complaintId: complaint.complaintId, trackingToken: complaint.trackingToken, status: "" },
            "messages",
            { text: "Racing the platform" },
          ),
        ]);
        for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const messages = answers[5]?.status === 200 ? 1 : 0;
        // What the table holds agrees with what was answered.
        const stored = await storedComplaint(suite.target, complaint.complaintId);
        const items = await itemsOf(complaint.complaintId);
        const reportItems = items.filter((i) => String(i.sk).startsWith("REPORT#")).length;
        const messageItems = items.filter((i) => String(i.sk).startsWith("MSG#")).length;
        const distinctReported = new Set(
          answers
            .slice(0, 5)
            .filter((a) => a.status === 200)
            .map((a) => a.body.eventId),
        ).size;
        if (
          reportItems !== distinctReported ||
          messageItems !== messages ||
          (stored?.consumerMessages ?? 0) !== messages
        )
          mismatched++;
      }
      suite.hub.cloud.faults.clear();
      expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
      expect(mismatched).toBe(0);
      suite.figures.add({
        section: "Hub faults",
        what: "real races: 3 ACKs, the same ACK eventId twice, a CONTACTED_CONSUMER and a consumer message at once on each complaint, with transactions also losing races (p = 0.2)",
        tried: `${n(filed.length * 6)} concurrent requests on ${filed.length} complaints`,
        lost: mismatched,
        duplicated: 0,
        leaked: 0,
        outcome: `${[...statuses.entries()]
          .sort(([a], [b]) => a - b)
          .map(([s, c]) => `${c}×${s}`)
          .join(
            ", ",
          )} (409 = concurrent change, read and retry); no 5xx; report and message items agree with the answers`,
      });
    },
    RUN_TIMEOUT_MS,
  );
});

describe("functions", () => {
  it(
    "the publisher crashing mid-batch: the stream gives the batch again",
    async () => {
      await faultRun({
        what: "the outbox publisher's execution environment dies mid-batch (5 ms in), 4 times",
        faults: [{ service: "lambda", function: "PublisherFunction", kind: "crash", afterMs: 5, times: 4 }],
        complaints: 20,
        minimumInjected: 4,
        outcome: ({ duplicates }) =>
          `the stream retried each batch; ${duplicates} notices re-sent, recognised as the same case`,
      });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "a delivery function crashing mid-batch, after its POSTs went out: the platform sees the same case again",
    async () => {
      const platform = "kaola";
      const sqs = sqsClient(suite.hub.cloud);
      const queueUrl = suite.hub.cloud.output(`Queue${platform}`);
      // The template's visibility timeout is 6 × the function timeout (150 s): shortened so the crashed batch
      // comes back within the test.
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "4" } }),
      );
      suite.hub.cloud.sandbox.setMode(platform, { mode: "slow", delayMs: 300 });
      try {
        await faultRun({
          what: `a delivery function's environment dies mid-batch (${platform}: the platform answers in 300 ms, the crash comes at 150 ms, 4 times; queue visibility shortened to 4 s)`,
          faults: [
            { service: "lambda", function: "PlatformkaolaDelivery", kind: "crash", afterMs: 150, times: 4 },
          ],
          complaints: 10,
          platforms: [platform],
          minimumInjected: 4,
          // A batch that crashed on each of its 3 receives (the queue's maxReceiveCount) is in the DLQ: redriven.
          afterFaults: async () => redrive(suite.target, [platform]),
          outcome: ({ duplicates, redriven }) =>
            `the batches came back after the visibility timeout; ${redriven} notices reached the DLQ after 3 crashed receives and were redriven; ${duplicates} requests repeated a webhook-id and got the first case back`,
        });
      } finally {
        suite.hub.cloud.sandbox.setMode(platform, "ok");
        await sqs.send(
          new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "150" } }),
        );
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "the submit function timing out after its write, and failing before it: the consumer's retry finds the complaint",
    async () => {
      const hang = suite.hub.cloud.faults.inject({
        service: "lambda",
        function: "ApiSubmit",
        kind: "hang",
        times: 2,
      });
      const fail = suite.hub.cloud.faults.inject({
        service: "lambda",
        function: "ApiSubmit",
        kind: "throw",
        phase: "after",
        times: 2,
      });
      const { filed, answers } = await fileMany(8, ["suning", "jumei"]);
      const ledger = await settledLedger(suite.target, filed, { timeoutMs: 60_000, until: allDelivered });
      expect(hang.injected + fail.injected).toBe(4);
      expectClean(ledger, filed.length);
      // Each complaint exists once: the retried requests found the first write.
      expect(new Set(filed.map((f) => f.complaintId)).size).toBe(filed.length);
      const timedOut = answers.filter((a) => a !== "network" && a >= 500).length;
      suite.figures.add({
        section: "Hub faults",
        what: "the submit function times out (10 s) after writing the complaint, twice; fails after writing, twice",
        tried: `${filed.length} complaints, 4 invocations failed`,
        lost: ledger.lost.length,
        duplicated: ledger.duplicated.length,
        leaked: 0,
        outcome: `${timedOut} × 5xx to the consumer, who filed again with the same Idempotency-Key: 200 with the complaint already written; ${ledger.counts.delivered}/${filed.length} delivered, one case each`,
      });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "a delivery function failing after delivering: the batch comes back, the platform sees the same case",
    async () => {
      const platform = "funshion";
      const sqs = sqsClient(suite.hub.cloud);
      const queueUrl = suite.hub.cloud.output(`Queue${platform}`);
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "3" } }),
      );
      try {
        await faultRun({
          what: `a delivery function delivers, then its invocation fails (${platform}, 3 times; queue visibility shortened to 3 s)`,
          faults: [
            {
              service: "lambda",
              function: "PlatformfunshionDelivery",
              kind: "throw",
              phase: "after",
              times: 3,
            },
          ],
          complaints: 8,
          platforms: [platform],
          minimumInjected: 3,
          outcome: ({ duplicates, skipped }) =>
            `the batches came back; ${skipped} notices found delivered already and not sent again, ${duplicates} sent again and answered with the first case`,
        });
      } finally {
        await sqs.send(
          new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "150" } }),
        );
      }
    },
    RUN_TIMEOUT_MS,
  );
});

let doc: DynamoDBDocumentClient | undefined;
async function itemsOf(complaintId: string): Promise<Record<string, unknown>[]> {
  doc ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: suite.hub.cloud.awsEndpoint,
      region: suite.hub.cloud.region,
      credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
    }),
  );
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: suite.hub.cloud.output("TableName"),
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `C#${complaintId}` },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}
