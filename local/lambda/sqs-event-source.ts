import type { ReceivedMessage, SqsEngine } from "../sqs/sqs-engine";
import { abortableSleep } from "./abortable-sleep";
import { interpretBatchResponse } from "./batch-response";
import type { InvokeResult, LocalFunction } from "./local-function";

export interface SqsEventSourceSpec {
  queueArn: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency; Lambda's own default without it is far higher than a laptop needs. */
  maximumConcurrency: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

const LONG_POLL_SECONDS = 20;

/**
 * A Lambda SQS event source mapping: pollers long-poll the queue, invoke the function with batches and delete
 * what succeeded. ReportBatchItemFailures follows AWS: an empty or null response is success; listed ids stay
 * in the queue; an invalid response or a function error fails the whole batch, which then reappears after
 * its visibility timeout.
 */
export class SqsEventSource {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  batches = 0;

  constructor(
    private readonly spec: SqsEventSourceSpec,
    private readonly fn: LocalFunction,
    private readonly sqs: SqsEngine,
    private readonly region: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    if (!this.spec.enabled) return;
    const pollers = Math.max(1, Math.min(this.spec.maximumConcurrency, this.fn.spec.maxConcurrency));
    for (let i = 0; i < pollers; i++) this.loops.push(this.pollLoop());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async pollLoop(): Promise<void> {
    const queueUrl = this.sqs.queueUrlFromArn(this.spec.queueArn);
    while (!this.abort.signal.aborted) {
      try {
        const messages = await this.collectBatch(queueUrl);
        if (messages.length === 0) continue;
        this.batches++;
        const result = await this.fn.invoke({ Records: messages.map((m) => this.toRecord(m)) });
        await this.settle(queueUrl, messages, result);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.onError(error);
        await abortableSleep(1000, this.abort.signal);
      }
    }
  }

  /** Gathers up to BatchSize messages, waiting at most the batching window once the first one arrived. */
  private async collectBatch(queueUrl: string): Promise<ReceivedMessage[]> {
    const receive = (max: number, waitTimeSeconds: number) =>
      this.sqs.receiveMessages(queueUrl, {
        max,
        waitTimeSeconds,
        attributeNames: ["All"],
        messageAttributeNames: ["All"],
        signal: this.abort.signal,
      });
    const batch = await receive(Math.min(10, this.spec.batchSize), LONG_POLL_SECONDS);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + this.spec.maximumBatchingWindowSeconds * 1000;
    while (batch.length < this.spec.batchSize && !this.abort.signal.aborted) {
      const remaining = windowEnds - Date.now();
      if (remaining <= 0) break;
      const more = await receive(
        Math.min(10, this.spec.batchSize - batch.length),
        Math.min(20, Math.ceil(remaining / 1000)),
      );
      if (more.length === 0) break;
      batch.push(...more);
    }
    return batch;
  }

  private async settle(queueUrl: string, messages: ReceivedMessage[], result: InvokeResult): Promise<void> {
    if (!result.ok) return; // The whole batch reappears after its visibility timeout.
    const ids = messages.map((m) => m.MessageId);
    const failed = this.spec.reportBatchItemFailures
      ? interpretBatchResponse(result.payload, ids)
      : new Set<string>();
    if (failed === "invalid") return;
    await Promise.all(
      messages
        .filter((m) => !failed.has(m.MessageId))
        .map((m) => this.sqs.deleteMessage(queueUrl, m.ReceiptHandle).catch(() => undefined)),
    );
  }

  private toRecord(message: ReceivedMessage) {
    const {
      ApproximateReceiveCount,
      SentTimestamp,
      SenderId,
      ApproximateFirstReceiveTimestamp,
      AWSTraceHeader,
    } = message.Attributes;
    return {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: {
        ApproximateReceiveCount,
        SentTimestamp,
        SenderId,
        ApproximateFirstReceiveTimestamp,
        ...(AWSTraceHeader ? { AWSTraceHeader } : {}),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            dataType: value.DataType,
            ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
            ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
            stringListValues: [],
            binaryListValues: [],
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody,
      ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
      eventSource: "aws:sqs",
      eventSourceARN: this.spec.queueArn,
      awsRegion: this.region,
    };
  }
}
