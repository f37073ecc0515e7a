import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import type { DeliveryDependencies } from "./deliver-notice";

/** A push platform's queues: its delivery function reads both source queues; they share one DLQ. */
export interface DeliveryQueues {
  queueUrl: string;
  urgentQueueUrl: string;
  deadLetterQueueUrl: string;
}

/**
 * The URL of the source queue a record came from, matched on the account and name that its ARN
 * (`arn:<partition>:sqs:<region>:<account>:<name>`) and its URL (`.../<account>/<name>`) both carry.
 */
export function sourceQueueUrl(eventSourceArn: string, queueUrls: readonly string[]): string {
  const [arn, , service, , account, name] = eventSourceArn.split(":");
  const url =
    arn === "arn" && service === "sqs" && account && name
      ? queueUrls.find((candidate) => new URL(candidate).pathname === `/${account}/${name}`)
      : undefined;
  if (!url) throw new Error(`The record comes from ${eventSourceArn}, none of this function's queues`);
  return url;
}

/**
 * How one message is retried later and parked. The backoff hides it in the queue it came from (normal or
 * urgent): a visibility change elsewhere would fail and lose the schedule. Parking goes to the shared DLQ.
 * Throws at once for a record from a queue the function was not given.
 */
export function queueActions(
  sqs: SQSClient,
  queues: DeliveryQueues,
  message: Pick<SQSRecord, "eventSourceARN">,
): Pick<DeliveryDependencies, "delayRetry" | "park"> {
  const queueUrl = sourceQueueUrl(message.eventSourceARN, [queues.queueUrl, queues.urgentQueueUrl]);
  return {
    delayRetry: async (receiptHandle, seconds) => {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    },
    park: async (body, reason, complaintId) => {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.deadLetterQueueUrl,
          MessageBody: body,
          MessageAttributes: {
            parkedReason: { DataType: "String", StringValue: reason.slice(0, 256) },
            ...(complaintId ? { complaintId: { DataType: "String", StringValue: complaintId } } : {}),
          },
        }),
      );
    },
  };
}
