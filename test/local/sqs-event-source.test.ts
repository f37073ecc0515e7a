/**
 * The Lambda SQS event source mapping against a real local SQS engine and a fake function: batching, the
 * record shape Lambda delivers, ReportBatchItemFailures as AWS documents it
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html), concurrency, redrive.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, type Mock, vi } from "vitest";
import type { InvokeResult, LocalFunction } from "../../local/lambda/local-function";
import { SqsEventSource, type SqsEventSourceSpec } from "../../local/lambda/sqs-event-source";
import { SqsEngine } from "../../local/sqs/sqs-engine";

const REGION = "cn-north-1";
const FUNCTION_ARN = `arn:aws-cn:lambda:${REGION}:000000000000:function:hub-dispatch`;

interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: string;
  eventSourceARN: string;
  awsRegion: string;
}
interface SqsEvent {
  Records: SqsRecord[];
}
type Responder = (event: SqsEvent, call: number) => InvokeResult | Promise<InvokeResult>;

let stateDir: string;
let sqs: SqsEngine;
let sources: SqsEventSource[];
let pollerErrors: unknown[];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "sqs-event-source-"));
  sqs = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:4566", region: REGION, fsync: false });
  sources = [];
  pollerErrors = [];
});

afterEach(async () => {
  await Promise.all(sources.map((source) => source.stop()));
  await sqs.close();
  await rm(stateDir, { recursive: true, force: true });
  expect(pollerErrors).toEqual([]);
});

const ok = (payload: unknown = null): InvokeResult => ({ ok: true, payload });
const functionError: InvokeResult = { ok: false, errorType: "Error", errorMessage: "platform unavailable" };

function fakeFunction(respond: Responder, maxConcurrency = 10) {
  let calls = 0;
  const invoke: Mock<(event: SqsEvent) => Promise<InvokeResult>> = vi.fn(async (event: SqsEvent) =>
    respond(event, ++calls),
  );
  const fn = { spec: { maxConcurrency, arn: FUNCTION_ARN }, invoke } as unknown as LocalFunction;
  return { fn, invoke };
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  await sqs.createQueue(name, { VisibilityTimeout: "1", ...attributes });
  return sqs.queueArn(name);
}

function startSource(
  queueArn: string,
  fn: LocalFunction,
  overrides: Partial<SqsEventSourceSpec> = {},
): SqsEventSource {
  const source = new SqsEventSource(
    {
      queueArn,
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 1,
      reportBatchItemFailures: true,
      enabled: true,
      ...overrides,
    },
    fn,
    sqs,
    REGION,
    (error) => pollerErrors.push(error),
  );
  sources.push(source);
  source.start();
  return source;
}

async function sendAll(queueArn: string, bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const body of bodies) ids.push((await sqs.sendMessage(queueArn, body)).MessageId);
  return ids;
}

const empty = { visible: 0, inFlight: 0, delayed: 0 };
const bodiesOf = (event: SqsEvent | undefined) => event?.Records.map((r) => r.body) ?? [];
const eventOf = (invoke: Mock<(event: SqsEvent) => Promise<InvokeResult>>, call: number) =>
  invoke.mock.calls[call]?.[0];

describe("batches", () => {
  it("never exceeds batchSize and delivers every message once on success", async () => {
    const arn = await queue("intake");
    const bodies = Array.from({ length: 7 }, (_, i) => `complaint-${i}`);
    await sendAll(arn, bodies);
    const { fn, invoke } = fakeFunction(() => ok());
    startSource(arn, fn, { batchSize: 3 });
    await expect.poll(() => invoke.mock.calls.flatMap(([event]) => bodiesOf(event)).sort()).toEqual(bodies);
    await expect.poll(() => sqs.queueDepth(arn)).toEqual(empty);
    const sizes = invoke.mock.calls.map(([event]) => event.Records.length);
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.every((size) => size <= 3)).toBe(true);
  });

  it("gathers more than ten messages within the batching window", async () => {
    const arn = await queue("bulk");
    const bodies = Array.from({ length: 15 }, (_, i) => `bulk-${i}`);
    await sendAll(arn, bodies);
    const { fn, invoke } = fakeFunction(() => ok());
    startSource(arn, fn, { batchSize: 15, maximumBatchingWindowSeconds: 1 });
    await expect.poll(() => invoke.mock.calls.length).toBe(1);
    expect(bodiesOf(eventOf(invoke, 0)).sort()).toEqual([...bodies].sort());
  });

  it("delivers records in Lambda's SQS record shape", async () => {
    const arn = await queue("shape");
    const body = JSON.stringify({ complaintId: "C-1" });
    const sent = await sqs.sendMessage(arn, body, {
      messageAttributes: {
        platform: { DataType: "String", StringValue: "suning" },
        attempt: { DataType: "Number", StringValue: "3" },
      },
    });
    const { fn, invoke } = fakeFunction(() => ok());
    startSource(arn, fn);
    await expect.poll(() => invoke.mock.calls.length).toBe(1);
    const event = eventOf(invoke, 0) as SqsEvent;
    expect(Object.keys(event)).toEqual(["Records"]);
    expect(event.Records).toEqual([
      {
        messageId: sent.MessageId,
        receiptHandle: expect.any(String),
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: expect.stringMatching(/^\d{13}$/),
          SenderId: "000000000000",
          ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
        },
        messageAttributes: {
          platform: { stringValue: "suning", stringListValues: [], binaryListValues: [], dataType: "String" },
          attempt: { stringValue: "3", stringListValues: [], binaryListValues: [], dataType: "Number" },
        },
        md5OfBody: createHash("md5").update(body).digest("hex"),
        md5OfMessageAttributes: sent.MD5OfMessageAttributes,
        eventSource: "aws:sqs",
        eventSourceARN: arn,
        awsRegion: REGION,
      },
    ]);
    expect(event.Records[0]?.md5OfBody).toBe(sent.MD5OfMessageBody);
  });
});

describe("ReportBatchItemFailures", () => {
  it("deletes the whole batch on null, {}, an empty or a null failure list", async () => {
    const cases: Array<[string, unknown]> = [
      ["null", null],
      ["empty-object", {}],
      ["empty-list", { batchItemFailures: [] }],
      ["null-list", { batchItemFailures: null }],
    ];
    await Promise.all(
      cases.map(async ([name, payload]) => {
        const arn = await queue(`success-${name}`);
        await sendAll(arn, ["a", "b", "c"]);
        const { fn, invoke } = fakeFunction(() => ok(payload));
        startSource(arn, fn);
        await expect.poll(() => sqs.queueDepth(arn)).toEqual(empty);
        expect(invoke).toHaveBeenCalledTimes(1);
      }),
    );
  });

  it("keeps the listed messages, which come back after the visibility timeout with a higher count", async () => {
    const arn = await queue("partial");
    const [, failedId] = await sendAll(arn, ["a", "b", "c"]);
    const { fn, invoke } = fakeFunction((_event, call) =>
      ok(call === 1 ? { batchItemFailures: [{ itemIdentifier: failedId }] } : null),
    );
    startSource(arn, fn);
    await expect.poll(() => invoke.mock.calls.length).toBe(1);
    await expect.poll(() => sqs.queueDepth(arn)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(bodiesOf(eventOf(invoke, 0)).sort()).toEqual(["a", "b", "c"]);

    await expect.poll(() => invoke.mock.calls.length, { timeout: 3000 }).toBe(2);
    const retried = eventOf(invoke, 1)?.Records ?? [];
    expect(retried.map((r) => [r.messageId, r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      [failedId, "b", "2"],
    ]);
    await expect.poll(() => sqs.queueDepth(arn)).toEqual(empty);
  });

  it("ignores a failure list when the mapping does not report batch item failures", async () => {
    const arn = await queue("no-report");
    const ids = await sendAll(arn, ["a", "b"]);
    const { fn, invoke } = fakeFunction(() => ok({ batchItemFailures: [{ itemIdentifier: ids[0] }] }));
    startSource(arn, fn, { reportBatchItemFailures: false });
    await expect.poll(() => sqs.queueDepth(arn)).toEqual(empty);
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it("keeps the whole batch after an invalid response or a function error", async () => {
    const cases: Array<[string, InvokeResult]> = [
      ["unknown-id", ok({ batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] })],
      ["empty-id", ok({ batchItemFailures: [{ itemIdentifier: "" }] })],
      ["non-array", ok({ batchItemFailures: { itemIdentifier: "x" } })],
      ["string", ok("batchItemFailures")],
      ["function-error", functionError],
    ];
    await Promise.all(
      cases.map(async ([name, firstResult]) => {
        const arn = await queue(`whole-${name}`);
        const ids = await sendAll(arn, ["a", "b"]);
        const { fn, invoke } = fakeFunction((_event, call) => (call === 1 ? firstResult : ok()));
        startSource(arn, fn);
        await expect.poll(() => invoke.mock.calls.length).toBe(1);
        await expect.poll(() => invoke.mock.calls.length, { timeout: 3000 }).toBe(2);
        const retried = eventOf(invoke, 1)?.Records ?? [];
        expect(retried.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount]).sort(), name).toEqual(
          ids.map((id) => [id, "2"]).sort(),
        );
        await expect.poll(() => sqs.queueDepth(arn)).toEqual(empty);
      }),
    );
  });
});

describe("concurrency and redrive", () => {
  it("caps overlapping invocations at the smaller of MaximumConcurrency and the function's", async () => {
    const run = async (name: string, maximumConcurrency: number, functionConcurrency: number) => {
      const arn = await queue(name, { VisibilityTimeout: "30" });
      await sendAll(
        arn,
        Array.from({ length: 8 }, (_, i) => `${name}-${i}`),
      );
      let active = 0;
      let peak = 0;
      const { fn, invoke } = fakeFunction(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 100));
        active--;
        return ok();
      }, functionConcurrency);
      startSource(arn, fn, { batchSize: 1, maximumConcurrency });
      await expect.poll(() => invoke.mock.calls.length).toBe(8);
      await expect.poll(() => sqs.queueDepth(arn)).toEqual(empty);
      return peak;
    };
    const [byMapping, byFunction] = await Promise.all([
      run("capped-by-mapping", 2, 5),
      run("capped-by-fn", 5, 3),
    ]);
    expect(byMapping).toBe(2);
    expect(byFunction).toBe(3);
  });

  it("moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives", async () => {
    const dlqArn = await queue("dispatch-dlq");
    const arn = await queue("dispatch", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    const [id] = await sendAll(arn, ["poison"]);
    const { fn, invoke } = fakeFunction(() => functionError);
    startSource(arn, fn);
    await expect.poll(() => sqs.queueDepth(dlqArn).visible, { timeout: 4000 }).toBe(1);
    expect(
      invoke.mock.calls.map(([event]) => event.Records.map((r) => r.attributes.ApproximateReceiveCount)),
    ).toEqual([["1"], ["2"]]);
    expect(sqs.queueDepth(arn)).toEqual(empty);
    const [moved] = await sqs.receiveMessages(dlqArn, { attributeNames: ["All"] });
    expect(moved).toMatchObject({
      MessageId: id,
      Body: "poison",
      Attributes: { DeadLetterQueueSourceArn: arn },
    });
  });
});

describe("lifecycle", () => {
  it("stops promptly during a long poll and invokes nothing afterwards", async () => {
    const arn = await queue("idle");
    const { fn, invoke } = fakeFunction(() => ok());
    const source = startSource(arn, fn, { maximumConcurrency: 3 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await source.stop();
    expect(Date.now() - started).toBeLessThan(500);
    await sendAll(arn, ["late"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(invoke).not.toHaveBeenCalled();
    expect(sqs.queueDepth(arn)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it("does not poll when disabled", async () => {
    const arn = await queue("disabled");
    await sendAll(arn, ["x"]);
    const { fn, invoke } = fakeFunction(() => ok());
    startSource(arn, fn, { enabled: false });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(invoke).not.toHaveBeenCalled();
  });
});
