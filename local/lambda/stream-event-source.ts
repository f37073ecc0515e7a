import { randomUUID } from "node:crypto";
import { type CompiledPattern, compileEventPattern } from "../eventbridge/event-pattern";
import { abortableSleep } from "./abortable-sleep";
import { interpretBatchResponse } from "./batch-response";
import type { InvokeResult, LocalFunction } from "./local-function";

/** A stream record as Lambda passes it (DynamoDB stream shape), with its sequence number. */
export interface StreamRecord {
  eventID: string;
  eventName: string;
  dynamodb: { SequenceNumber: string; ApproximateCreationDateTime: number } & Record<string, unknown>;
  [key: string]: unknown;
}

/** What the poller needs from a stream: ordered reads after a position, a wake-up, and durable checkpoints. */
export interface StreamRecordSource {
  /** Records after `afterSequenceNumber` (from the oldest kept record when undefined), oldest first. */
  read(afterSequenceNumber: string | undefined, limit: number): StreamRecord[];
  waitForRecords(afterSequenceNumber: string | undefined, signal: AbortSignal): Promise<void>;
  loadCheckpoint(consumerId: string): string | undefined;
  saveCheckpoint(consumerId: string, sequenceNumber: string): void;
}

export interface StreamEventSourceSpec {
  consumerId: string;
  streamArn: string;
  batchSize: number;
  filterPatterns: string[];
  bisectOnError: boolean;
  /** -1: retry until the record expires. */
  maximumRetryAttempts: number;
  /** -1: no age limit beyond the stream's retention. */
  maximumRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  /** Receives the invocation record of a batch Lambda gave up on. */
  onFailure?: (invocationRecord: object) => Promise<void>;
}

const MAX_BACKOFF_MS = 5000;

type FailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

/**
 * A Lambda stream event source mapping (DynamoDB Streams semantics): in-order batches; a failed batch is
 * retried (bisected first when configured) until it succeeds, its retries run out or its records age out;
 * then the batch's metadata goes to the on-failure destination and processing moves on. A partial batch
 * response resumes from the first reported sequence number.
 */
export class StreamEventSource {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly filters: CompiledPattern[];
  private checkpoint: string | undefined;
  batches = 0;

  constructor(
    private readonly spec: StreamEventSourceSpec,
    private readonly fn: LocalFunction,
    private readonly source: StreamRecordSource,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.filters = spec.filterPatterns.map((p) => compileEventPattern(p));
    this.checkpoint = source.loadCheckpoint(spec.consumerId);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const read = this.source.read(this.checkpoint, this.spec.batchSize);
        if (read.length === 0) {
          await this.source.waitForRecords(this.checkpoint, this.abort.signal);
          continue;
        }
        const batch = read.filter((r) => this.passesFilters(r));
        if (batch.length > 0) await this.process(batch);
        if (this.abort.signal.aborted) return; // stopped mid-batch: resume from the checkpoint next time
        // Filtered-out records are consumed too, as Lambda does.
        this.advance((read.at(-1) as StreamRecord).dynamodb.SequenceNumber);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.onError(error);
        await abortableSleep(1000, this.abort.signal);
      }
    }
  }

  private passesFilters(record: StreamRecord): boolean {
    return this.filters.length === 0 || this.filters.some((f) => f.matches(record));
  }

  /** Processes one batch to the end: success, partial success and retries, or giving up. */
  private async process(batch: StreamRecord[]): Promise<void> {
    const pending: StreamRecord[][] = [batch];
    /** Failed invocations of the batch at the head of `pending` since it was last split. */
    let failures = 0;
    while (pending.length > 0 && !this.abort.signal.aborted) {
      const current = pending[0] as StreamRecord[];
      this.batches++;
      const result = await this.fn.invoke({ Records: current });
      const failedFrom = this.firstFailure(result, current);
      if (failedFrom === undefined) {
        pending.shift();
        this.advance((current.at(-1) as StreamRecord).dynamodb.SequenceNumber);
        failures = 0;
        continue;
      }
      if (failedFrom > 0) this.advance((current[failedFrom - 1] as StreamRecord).dynamodb.SequenceNumber);
      const remaining = current.slice(failedFrom);
      // "Splitting batches doesn't consume the retry quota": each half starts its own count.
      const bisect = !result.ok && this.spec.bisectOnError && remaining.length > 1;
      failures = bisect ? 0 : failures + 1;
      const condition = this.exhausted(failures, remaining);
      if (condition) {
        await this.giveUp(remaining, result, Math.max(1, failures), condition);
        pending.shift();
        this.advance((remaining.at(-1) as StreamRecord).dynamodb.SequenceNumber);
        failures = 0;
        continue;
      }
      if (bisect) {
        const half = Math.ceil(remaining.length / 2);
        pending.splice(0, 1, remaining.slice(0, half), remaining.slice(half));
      } else {
        pending[0] = remaining;
      }
      await abortableSleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10)), this.abort.signal);
    }
  }

  /** Index of the first record to retry, or undefined when the whole batch succeeded. */
  private firstFailure(result: InvokeResult, batch: StreamRecord[]): number | undefined {
    if (!result.ok) return 0;
    if (!this.spec.reportBatchItemFailures) return undefined;
    const sequenceNumbers = batch.map((r) => r.dynamodb.SequenceNumber);
    const failed = interpretBatchResponse(result.payload, sequenceNumbers);
    if (failed === "invalid") return 0;
    if (failed.size === 0) return undefined;
    return Math.min(...[...failed].map((seq) => sequenceNumbers.indexOf(seq)));
  }

  /** Why Lambda gives up on these records now (the invocation record's condition), if it does. */
  private exhausted(failures: number, records: StreamRecord[]): FailureCondition | undefined {
    const { maximumRetryAttempts, maximumRecordAgeSeconds } = this.spec;
    if (maximumRetryAttempts >= 0 && failures > maximumRetryAttempts) return "RetryAttemptsExhausted";
    if (maximumRecordAgeSeconds < 0) return undefined;
    const oldest = (records[0] as StreamRecord).dynamodb.ApproximateCreationDateTime;
    return Date.now() / 1000 - oldest > maximumRecordAgeSeconds ? "RecordAgeExceeded" : undefined;
  }

  private async giveUp(
    records: StreamRecord[],
    result: InvokeResult,
    attempts: number,
    condition: FailureCondition,
  ): Promise<void> {
    const first = records[0] as StreamRecord;
    const last = records.at(-1) as StreamRecord;
    const invocationRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.fn.spec.arn,
        condition,
        approximateInvokeCount: attempts,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: "$LATEST",
        ...(result.ok ? {} : { functionError: "Unhandled" }),
      },
      version: "1.0",
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: "shardId-local-0",
        startSequenceNumber: first.dynamodb.SequenceNumber,
        endSequenceNumber: last.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(
          first.dynamodb.ApproximateCreationDateTime * 1000,
        ).toISOString(),
        approximateArrivalOfLastRecord: new Date(
          last.dynamodb.ApproximateCreationDateTime * 1000,
        ).toISOString(),
        batchSize: records.length,
        streamArn: this.spec.streamArn,
      },
    };
    await this.spec.onFailure?.(invocationRecord);
  }

  private advance(sequenceNumber: string): void {
    this.checkpoint = sequenceNumber;
    this.source.saveCheckpoint(this.spec.consumerId, sequenceNumber);
  }
}
