/**
 * The Lambda stream event source mapping (DynamoDB Streams semantics) over an in-memory stream and a fake
 * function: ordered batches, filtering, checkpoints, partial batch responses, bisection, retries, record
 * age and the on-failure invocation record
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
 */
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, type Mock, vi } from "vitest";
import type { InvokeResult, LocalFunction } from "../../local/lambda/local-function";
import {
  StreamEventSource,
  type StreamEventSourceSpec,
  type StreamRecord,
  type StreamRecordSource,
} from "../../local/lambda/stream-event-source";

const FUNCTION_ARN = "arn:aws-cn:lambda:cn-north-1:000000000000:function:hub-publisher";
const STREAM_ARN =
  "arn:aws-cn:dynamodb:cn-north-1:000000000000:table/Complaints/stream/2025-01-01T00:00:00.000";

/** Sequence numbers as DynamoDB writes them: decimal strings of one width. */
const seq = (n: number) => String(1_000_000 + n).padStart(21, "0");
const numberOf = (record: StreamRecord) => Number(record.dynamodb.SequenceNumber) - 1_000_000;

class MemoryStream implements StreamRecordSource {
  readonly records: StreamRecord[] = [];
  readonly checkpoints = new Map<string, string>();
  readonly saved: string[] = [];
  private readonly waiters = new Set<() => void>();

  append(...records: StreamRecord[]): void {
    this.records.push(...records);
    for (const wake of [...this.waiters]) wake();
  }

  read(afterSequenceNumber: string | undefined, limit: number): StreamRecord[] {
    const start =
      afterSequenceNumber === undefined
        ? 0
        : this.records.findIndex((r) => r.dynamodb.SequenceNumber > afterSequenceNumber);
    return start < 0 ? [] : this.records.slice(start, start + limit);
  }

  waitForRecords(afterSequenceNumber: string | undefined, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.read(afterSequenceNumber, 1).length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  loadCheckpoint(consumerId: string): string | undefined {
    return this.checkpoints.get(consumerId);
  }

  saveCheckpoint(consumerId: string, sequenceNumber: string): void {
    this.checkpoints.set(consumerId, sequenceNumber);
    this.saved.push(sequenceNumber);
  }
}

function record(n: number, options: { eventName?: string; ageSeconds?: number } = {}): StreamRecord {
  return {
    eventID: `event-${n}`,
    eventName: options.eventName ?? "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: "cn-north-1",
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      SequenceNumber: seq(n),
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0),
      Keys: { pk: { S: `COMPLAINT#${n}` } },
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => record(from + i));

interface StreamEvent {
  Records: StreamRecord[];
}
type Responder = (event: StreamEvent, numbers: number[]) => InvokeResult | Promise<InvokeResult>;

const ok = (payload: unknown = null): InvokeResult => ({ ok: true, payload });
const functionError: InvokeResult = { ok: false, errorType: "Error", errorMessage: "publish failed" };

let stream: MemoryStream;
let sources: StreamEventSource[];
let loopErrors: unknown[];

beforeEach(() => {
  stream = new MemoryStream();
  sources = [];
  loopErrors = [];
});

afterEach(async () => {
  await Promise.all(sources.map((source) => source.stop()));
  expect(loopErrors).toEqual([]);
});

function fakeFunction(respond: Responder = () => ok()) {
  const invoke: Mock<(event: StreamEvent) => Promise<InvokeResult>> = vi.fn(async (event: StreamEvent) =>
    respond(event, event.Records.map(numberOf)),
  );
  const fn = { spec: { maxConcurrency: 1, arn: FUNCTION_ARN }, invoke } as unknown as LocalFunction;
  /** The record numbers of each invocation so far. */
  const batches = () => invoke.mock.calls.map(([event]) => event.Records.map(numberOf));
  return { fn, invoke, batches };
}

function startSource(fn: LocalFunction, overrides: Partial<StreamEventSourceSpec> = {}): StreamEventSource {
  const source = new StreamEventSource(
    {
      consumerId: "hub-publisher",
      streamArn: STREAM_ARN,
      batchSize: 3,
      filterPatterns: [],
      bisectOnError: false,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
      reportBatchItemFailures: true,
      ...overrides,
    },
    fn,
    stream,
    (error) => loopErrors.push(error),
  );
  sources.push(source);
  source.start();
  return source;
}

const checkpoint = () => stream.checkpoints.get("hub-publisher");

describe("ordered batches and checkpoints", () => {
  it("delivers in-order batches of batchSize and picks up records appended later", async () => {
    stream.append(...range(1, 7));
    const { fn, batches } = fakeFunction();
    startSource(fn, { batchSize: 3 });
    await expect.poll(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    await expect.poll(checkpoint).toBe(seq(7));
    stream.append(...range(8, 9));
    await expect.poll(batches).toEqual([[1, 2, 3], [4, 5, 6], [7], [8, 9]]);
    await expect.poll(checkpoint).toBe(seq(9));
  });

  it("drops records that match no filter pattern, but moves the checkpoint past them", async () => {
    const names = ["INSERT", "MODIFY", "REMOVE", "INSERT", "MODIFY", "MODIFY", "MODIFY", "REMOVE", "MODIFY"];
    stream.append(...names.map((eventName, i) => record(i + 1, { eventName })));
    const { fn, batches } = fakeFunction();
    startSource(fn, {
      batchSize: 3,
      filterPatterns: [JSON.stringify({ eventName: ["INSERT"] })],
    });
    await expect.poll(checkpoint).toBe(seq(9));
    expect(batches()).toEqual([[1], [4]]); // the third read (7–9) matched nothing: no invocation at all
    expect(new Set(stream.saved)).toEqual(new Set([seq(1), seq(3), seq(4), seq(6), seq(9)]));
  });

  it("checkpoints at each batch end, and a new event source resumes after the checkpoint", async () => {
    stream.append(...range(1, 4));
    const first = fakeFunction();
    const source = startSource(first.fn, { batchSize: 2 });
    await expect.poll(checkpoint).toBe(seq(4));
    await source.stop();
    expect(first.batches()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect([...new Set(stream.saved)]).toEqual([seq(2), seq(4)]);

    stream.append(...range(5, 6));
    const second = fakeFunction();
    startSource(second.fn, { batchSize: 2 });
    await expect.poll(second.batches).toEqual([[5, 6]]);
    await expect.poll(checkpoint).toBe(seq(6));
  });
});

describe("failures", () => {
  it("resumes a partial batch failure from the lowest reported sequence number", async () => {
    stream.append(...range(1, 5));
    const { fn, batches } = fakeFunction((_event, numbers) => {
      if (numbers[0] === 1)
        return ok({ batchItemFailures: [{ itemIdentifier: seq(4) }, { itemIdentifier: seq(2) }] });
      if (numbers[0] === 2) return ok({ batchItemFailures: [{ itemIdentifier: seq(3) }] });
      return ok({ batchItemFailures: [] });
    });
    startSource(fn, { batchSize: 4 });
    await expect.poll(checkpoint, { timeout: 3000 }).toBe(seq(5));
    // Records before the reported one are done and never sent again.
    expect(batches()).toEqual([[1, 2, 3, 4], [2, 3, 4], [3, 4], [5]]);
    expect([...new Set(stream.saved)]).toEqual([seq(1), seq(2), seq(4), seq(5)]);
  });

  it("bisects a failing batch until the poison record is isolated, without spending retries on splits", async () => {
    stream.append(...range(1, 4));
    const failures: object[] = [];
    const { fn, batches } = fakeFunction((_event, numbers) => (numbers.includes(3) ? functionError : ok()));
    startSource(fn, {
      batchSize: 4,
      bisectOnError: true,
      maximumRetryAttempts: 1,
      onFailure: async (invocationRecord) => {
        failures.push(invocationRecord);
      },
    });
    await expect.poll(checkpoint, { timeout: 3000 }).toBe(seq(4));
    expect(batches()).toEqual([[1, 2, 3, 4], [1, 2], [3, 4], [3], [3], [4]]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 2 },
      DDBStreamBatchInfo: { startSequenceNumber: seq(3), endSequenceNumber: seq(3), batchSize: 1 },
    });
  });

  it("bisects down to the poison record even when no retries are allowed", async () => {
    stream.append(...range(1, 4));
    const failures: object[] = [];
    const { fn, batches } = fakeFunction((_event, numbers) => (numbers.includes(2) ? functionError : ok()));
    startSource(fn, {
      batchSize: 4,
      bisectOnError: true,
      maximumRetryAttempts: 0,
      onFailure: async (invocationRecord) => {
        failures.push(invocationRecord);
      },
    });
    await expect.poll(checkpoint, { timeout: 3000 }).toBe(seq(4));
    expect(batches()).toEqual([[1, 2, 3, 4], [1, 2], [1], [2], [3, 4]]);
    expect(failures).toMatchObject([
      { DDBStreamBatchInfo: { startSequenceNumber: seq(2), endSequenceNumber: seq(2), batchSize: 1 } },
    ]);
  });

  it("gives up after maximumRetryAttempts: invocation record to onFailure, then the next batch", async () => {
    stream.append(...range(1, 3));
    const order: string[] = [];
    const failures: Array<Record<string, unknown>> = [];
    const { fn, batches } = fakeFunction((_event, numbers) => {
      order.push(`invoke ${numbers.join(",")}`);
      return numbers.includes(1) ? functionError : ok();
    });
    startSource(fn, {
      batchSize: 2,
      maximumRetryAttempts: 2,
      onFailure: async (invocationRecord) => {
        order.push("onFailure");
        failures.push(invocationRecord as Record<string, unknown>);
      },
    });
    await expect.poll(checkpoint, { timeout: 3000 }).toBe(seq(3));
    expect(batches()).toEqual([[1, 2], [1, 2], [1, 2], [3]]); // the first try and two retries
    expect(order).toEqual(["invoke 1,2", "invoke 1,2", "invoke 1,2", "onFailure", "invoke 3"]);
    const [first, second] = stream.records as [StreamRecord, StreamRecord];
    expect(failures).toEqual([
      {
        requestContext: {
          requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          functionArn: FUNCTION_ARN,
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        version: "1.0",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        DDBStreamBatchInfo: {
          shardId: expect.any(String),
          startSequenceNumber: seq(1),
          endSequenceNumber: seq(2),
          approximateArrivalOfFirstRecord: new Date(
            first.dynamodb.ApproximateCreationDateTime * 1000,
          ).toISOString(),
          approximateArrivalOfLastRecord: new Date(
            second.dynamodb.ApproximateCreationDateTime * 1000,
          ).toISOString(),
          batchSize: 2,
          streamArn: STREAM_ARN,
        },
      },
    ]);
  });

  it("gives up on records older than maximumRecordAgeSeconds the same way", async () => {
    stream.append(record(1, { ageSeconds: 600 }), record(2, { ageSeconds: 590 }), record(3));
    const failures: Array<Record<string, unknown>> = [];
    const { fn, batches } = fakeFunction((_event, numbers) => (numbers.includes(1) ? functionError : ok()));
    startSource(fn, {
      batchSize: 2,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: 60,
      onFailure: async (invocationRecord) => {
        failures.push(invocationRecord as Record<string, unknown>);
      },
    });
    await expect.poll(checkpoint, { timeout: 3000 }).toBe(seq(3));
    expect(batches().filter((numbers) => numbers.includes(1)).length).toBeLessThanOrEqual(1);
    expect(batches().at(-1)).toEqual([3]);
    expect(failures).toMatchObject([
      {
        requestContext: { functionArn: FUNCTION_ARN, condition: "RecordAgeExceeded" },
        DDBStreamBatchInfo: { startSequenceNumber: seq(1), endSequenceNumber: seq(2), batchSize: 2 },
      },
    ]);
  });

  it("retries a failing batch without end when retries and age are unlimited", async () => {
    stream.append(...range(1, 2));
    const { fn, invoke } = fakeFunction(() => functionError);
    const onFailure = vi.fn(async () => undefined);
    const source = startSource(fn, { onFailure });
    await expect.poll(() => invoke.mock.calls.length, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
    expect(onFailure).not.toHaveBeenCalled();
    expect(checkpoint()).toBeUndefined();
    // Each back-off removes its abort listener again: a batch retried for a day must not pile them up.
    const signal = (source as unknown as { abort: AbortController }).abort.signal;
    expect(getEventListeners(signal, "abort").length).toBeLessThanOrEqual(1);
  });
});

describe("stop", () => {
  it("stopped mid-batch, keeps the checkpoint before the unprocessed records, and a new source resumes there", async () => {
    stream.append(...range(1, 4));
    let release: ((result: InvokeResult) => void) | undefined;
    const first = fakeFunction((_event, numbers) => {
      if (numbers.length === 4) return functionError; // bisect: [1,2] then [3,4]
      if (numbers[0] === 1) return ok();
      return new Promise<InvokeResult>((resolve) => {
        release = resolve;
      });
    });
    const source = startSource(first.fn, { batchSize: 4, bisectOnError: true });
    await expect.poll(() => release).toBeDefined();
    expect(checkpoint()).toBe(seq(2));
    const stopped = source.stop();
    release?.(functionError);
    await stopped;
    expect(first.batches()).toEqual([
      [1, 2, 3, 4],
      [1, 2],
      [3, 4],
    ]);
    expect(checkpoint()).toBe(seq(2));
    expect(stream.saved.every((s) => s <= seq(2))).toBe(true);

    const second = fakeFunction();
    startSource(second.fn, { batchSize: 4 });
    await expect.poll(second.batches).toEqual([[3, 4]]);
    await expect.poll(checkpoint).toBe(seq(4));
  });

  it("stops without the back-off wait when stopped during a failing invocation", async () => {
    stream.append(record(1));
    let release: ((result: InvokeResult) => void) | undefined;
    const { fn, invoke } = fakeFunction((_event) =>
      invoke.mock.calls.length < 3
        ? functionError
        : new Promise<InvokeResult>((resolve) => {
            release = resolve;
          }),
    );
    const source = startSource(fn);
    await expect.poll(() => release, { timeout: 3000 }).toBeDefined();
    const stopped = source.stop();
    const started = Date.now();
    release?.(functionError); // the third failure would back off for 800 ms
    await stopped;
    expect(Date.now() - started).toBeLessThan(400);
    expect(checkpoint()).toBeUndefined();
  });

  it("stops promptly while waiting for records", async () => {
    const { fn, invoke } = fakeFunction();
    const source = startSource(fn);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await source.stop();
    expect(Date.now() - started).toBeLessThan(300);
    stream.append(record(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(invoke).not.toHaveBeenCalled();
  });
});
