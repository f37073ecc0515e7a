/**
 * A delivery function reads a platform's queue and its urgent queue: each message is backed off in the queue
 * it came from, chosen by the record's eventSourceARN, and parked in the DLQ the two share.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { queueActions, sourceQueueUrl } from "../../shared/delivery/queue-actions";

const AWS = {
  queueUrl: "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/complaint-hub-prod-suning",
  urgentQueueUrl: "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/complaint-hub-prod-suning-urgent",
  deadLetterQueueUrl: "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/complaint-hub-prod-suning-dlq",
};
const arn = (name: string, account = "111111111111") => `arn:aws-cn:sqs:cn-north-1:${account}:${name}`;
const URLS = [AWS.queueUrl, AWS.urgentQueueUrl];

describe("sourceQueueUrl", () => {
  it("chooses the urgent queue for a record from it, and the normal queue for one from that", () => {
    expect(sourceQueueUrl(arn("complaint-hub-prod-suning-urgent"), URLS)).toBe(AWS.urgentQueueUrl);
    expect(sourceQueueUrl(arn("complaint-hub-prod-suning"), URLS)).toBe(AWS.queueUrl);
  });

  it("matches the local cloud's URLs and ARNs the same way", () => {
    const local = [
      "http://127.0.0.1:4566/000000000000/complaint-hub-test-vip",
      "http://127.0.0.1:4566/000000000000/complaint-hub-test-vip-urgent",
    ];
    expect(sourceQueueUrl("arn:aws:sqs:cn-north-1:000000000000:complaint-hub-test-vip-urgent", local)).toBe(
      local[1],
    );
  });

  it("refuses a queue it was not given: another name, another account, not an SQS ARN", () => {
    for (const other of [
      arn("complaint-hub-prod-vip"),
      arn("complaint-hub-prod-suning-dlq"),
      arn("complaint-hub-prod-suning", "222222222222"),
      "arn:aws-cn:sns:cn-north-1:111111111111:complaint-hub-prod-suning",
      "complaint-hub-prod-suning",
      "",
    ]) {
      expect(() => sourceQueueUrl(other, URLS), other).toThrow(/none of this function's queues/);
    }
  });
});

describe("queueActions", () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: "parked" });
  });

  it("delays a retry in the queue the message came from, and parks it in the shared DLQ", async () => {
    for (const [name, url] of [
      ["complaint-hub-prod-suning", AWS.queueUrl],
      ["complaint-hub-prod-suning-urgent", AWS.urgentQueueUrl],
    ] as const) {
      sqs.resetHistory();
      const actions = queueActions(new SQSClient({}), AWS, { eventSourceARN: arn(name) });
      await actions.delayRetry("receipt-1", 30);
      await actions.park("{}", "status 410", "CH1");
      expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
        { QueueUrl: url, ReceiptHandle: "receipt-1", VisibilityTimeout: 30 },
      ]);
      expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([
        AWS.deadLetterQueueUrl,
      ]);
    }
  });

  it("throws at once for a record from a queue it was not given", () => {
    expect(() =>
      queueActions(new SQSClient({}), AWS, { eventSourceARN: arn("complaint-hub-prod-vip") }),
    ).toThrow(/complaint-hub-prod-vip/);
  });
});
