import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord, SQSRecord } from "aws-lambda";
import type { ComplaintRecord } from "../../shared/complaint/record";

let messages = 0;

/** An SQS record as Lambda's event source hands it over. */
export function sqsRecord(
  body: string,
  options: { receiveCount?: number; messageId?: string; receiptHandle?: string } = {},
): SQSRecord {
  const id = options.messageId ?? `msg-${++messages}`;
  return {
    messageId: id,
    receiptHandle: options.receiptHandle ?? `receipt-${id}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: "1772416800000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1772416800000",
    },
    messageAttributes: {},
    md5OfBody: "0".repeat(32),
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws-cn:sqs:cn-north-1:111111111111:complaint-hub-test-queue",
    awsRegion: "cn-north-1",
  };
}

/** A DynamoDB stream record (NEW_AND_OLD_IMAGES) for a change of a complaint item. */
export function streamRecord(
  sequenceNumber: string,
  oldImage: ComplaintRecord | undefined,
  newImage: ComplaintRecord | undefined,
): DynamoDBRecord {
  const toImage = (item: ComplaintRecord) =>
    marshall(item, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"];
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: !oldImage ? "INSERT" : !newImage ? "REMOVE" : "MODIFY",
    eventSource: "aws:dynamodb",
    awsRegion: "cn-north-1",
    dynamodb: {
      SequenceNumber: sequenceNumber,
      StreamViewType: "NEW_AND_OLD_IMAGES",
      ...(oldImage ? { OldImage: toImage(oldImage) } : {}),
      ...(newImage ? { NewImage: toImage(newImage) } : {}),
    },
  };
}
