/**
 * The local SQS endpoint driven by the real @aws-sdk/client-sqs (JSON protocol, MD5 checks on).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleSqsRequest } from "../../local/sqs/sqs-json-protocol.js";
import { md5OfMessageAttributes } from "../../local/sqs/sqs-message-digest.js";
import { type LocalSqsServer, startLocalSqsServer } from "../../local/sqs/sqs-server.js";

class ManualClock {
  current = Date.UTC(2025, 0, 15, 9, 0, 0);
  now(): number {
    return this.current;
  }
  advanceSeconds(seconds: number): void {
    this.current += seconds * 1000;
  }
}

const clock = new ManualClock();
let stateDir: string;
let local: LocalSqsServer;
let sqs: SQSClient;
let queueCounter = 0;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "sqs-protocol-"));
  local = await startLocalSqsServer({ stateDir, port: 0, region: "cn-north-1", clock });
  sqs = new SQSClient({
    endpoint: local.endpoint,
    region: "cn-north-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sqs?.destroy();
  await local?.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function newQueue(
  attributes: Record<string, string> = {},
  prefix = "q",
): Promise<{ url: string; arn: string }> {
  queueCounter += 1;
  const name = `${prefix}-${queueCounter}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error("CreateQueue returned no QueueUrl");
  return { url: QueueUrl, arn: `arn:aws:sqs:cn-north-1:000000000000:${name}` };
}

async function receiveAll(
  url: string,
  extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {},
) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["All"],
      ...extra,
    }),
  );
  return Messages ?? [];
}

async function depth(url: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return Attributes ?? {};
}

/** The SDK error a failed call throws, for asserting on its name and metadata. */
async function sdkError(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("queues", () => {
  it("creates, finds, lists, pages, tags and deletes queues", async () => {
    const names = ["orders-a", "orders-b", "orders-c", "billing"];
    for (const QueueName of names)
      await sqs.send(new CreateQueueCommand({ QueueName, tags: { team: "hub" } }));

    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "orders-b" }));
    expect(QueueUrl).toBe(`${local.endpoint}/000000000000/orders-b`);

    const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "orders-" }));
    expect(all.QueueUrls).toEqual(
      ["orders-a", "orders-b", "orders-c"].map((n) => `${local.endpoint}/000000000000/${n}`),
    );
    expect(all.NextToken).toBeUndefined();

    const page1 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "orders-", MaxResults: 2 }));
    expect(page1.QueueUrls).toHaveLength(2);
    const page2 = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: "orders-", MaxResults: 2, NextToken: page1.NextToken }),
    );
    expect(page2.QueueUrls).toEqual([`${local.endpoint}/000000000000/orders-c`]);
    expect(page2.NextToken).toBeUndefined();

    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ team: "hub" });
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: "local" } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["team"] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ env: "local" });

    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const error = await sdkError(sqs.send(new GetQueueUrlCommand({ QueueName: "orders-b" })));
    expect(error.name).toBe("QueueDoesNotExist");
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it("returns the existing queue for identical attributes and refuses different ones", async () => {
    const Attributes = { VisibilityTimeout: "45" };
    const first = await sqs.send(new CreateQueueCommand({ QueueName: "idempotent", Attributes }));
    const second = await sqs.send(new CreateQueueCommand({ QueueName: "idempotent", Attributes }));
    expect(second.QueueUrl).toBe(first.QueueUrl);
    const error = await sdkError(
      sqs.send(new CreateQueueCommand({ QueueName: "idempotent", Attributes: { VisibilityTimeout: "46" } })),
    );
    expect(error.name).toBe("QueueNameExists");
  });

  it("reports defaults and settable attributes like AWS", async () => {
    const { url, arn } = await newQueue({ KmsMasterKeyId: "alias/aws/sqs" });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
    );
    expect(Attributes).toMatchObject({
      QueueArn: arn,
      VisibilityTimeout: "30",
      MessageRetentionPeriod: "345600",
      MaximumMessageSize: "1048576",
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      KmsMasterKeyId: "alias/aws/sqs",
      KmsDataKeyReusePeriodSeconds: "300",
      SqsManagedSseEnabled: "false",
      ApproximateNumberOfMessages: "0",
    });
    expect(Number(Attributes?.CreatedTimestamp)).toBe(Math.floor(clock.now() / 1000));

    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "5" } }));
    const updated = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout"] }),
    );
    expect(updated.Attributes).toEqual({ VisibilityTimeout: "5" });
  });

  it("purges a queue", async () => {
    const { url } = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "one" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "two" }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await depth(url)).toMatchObject({ ApproximateNumberOfMessages: "0" });
  });
});

describe("messages", () => {
  it("sends, receives and deletes with verified MD5 digests", async () => {
    const { url } = await newQueue();
    const body = "Complaint #42 — 退款未到账 🧾";
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await depth(url)).toMatchObject({ ApproximateNumberOfMessages: "1" });

    const [message] = await receiveAll(url);
    expect(message?.Body).toBe(body);
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Attributes).toMatchObject({
      ApproximateReceiveCount: "1",
      SentTimestamp: String(clock.now()),
      ApproximateFirstReceiveTimestamp: String(clock.now()),
      SenderId: "000000000000",
    });
    expect(await depth(url)).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "1",
    });

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    // Deleting again is not an error, as on AWS.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    expect(await depth(url)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: "0" });
  });

  it("round-trips String, Number, Binary and custom message attributes with their digest", async () => {
    const { url } = await newQueue();
    const MessageAttributes = {
      platform: { DataType: "String", StringValue: "tmall" },
      "platform.region": { DataType: "String", StringValue: "华东" },
      amount: { DataType: "Number", StringValue: "-12.50" },
      receipt: { DataType: "Binary", BinaryValue: Uint8Array.of(0, 1, 2, 250, 255) },
      icon: { DataType: "Binary.gif", BinaryValue: Buffer.from("GIF89a") },
      channel: { DataType: "String.channel", StringValue: "webhook" },
    };
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "with attributes",
        MessageAttributes,
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc-def" } },
      }),
    );
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);

    const [message] = await receiveAll(url, { MessageAttributeNames: ["All"] });
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.Attributes?.AWSTraceHeader).toBe("Root=1-abc-def");
    expect(message?.MessageAttributes?.platform).toMatchObject({ DataType: "String", StringValue: "tmall" });
    expect(message?.MessageAttributes?.amount).toMatchObject({ DataType: "Number", StringValue: "-12.50" });
    expect(Buffer.from(message?.MessageAttributes?.receipt?.BinaryValue ?? [])).toEqual(
      Buffer.from([0, 1, 2, 250, 255]),
    );
    expect(Buffer.from(message?.MessageAttributes?.icon?.BinaryValue ?? []).toString()).toBe("GIF89a");
    expect(message?.MessageAttributes?.channel).toMatchObject({
      DataType: "String.channel",
      StringValue: "webhook",
    });

    // Asking for a subset returns only those, with a digest over what was returned.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [subset] = await receiveAll(url, { MessageAttributeNames: ["platform.*", "amount"] });
    expect(Object.keys(subset?.MessageAttributes ?? {}).sort()).toEqual(["amount", "platform.region"]);
    expect(subset?.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({
        amount: { DataType: "Number", StringValue: "-12.50" },
        "platform.region": { DataType: "String", StringValue: "华东" },
      }),
    );
  });

  it("computes the attribute digest exactly as AWS documents it", () => {
    // Reference value produced by AWS SQS for this attribute (also used by moto's test suite).
    expect(md5OfMessageAttributes({ timestamp: { DataType: "Number", StringValue: "1493147359900" } })).toBe(
      "235c5c510d26fb653d073faed50ae77c",
    );
  });

  it("sends and deletes in batches, reporting failures per entry", async () => {
    const { url } = await newQueue();
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "ok-1", MessageBody: "first" },
          { Id: "bad", MessageBody: "control \u0001 character" },
          { Id: "ok-2", MessageBody: "second", DelaySeconds: 0 },
          { Id: "too-late", MessageBody: "x", DelaySeconds: 901 },
        ],
      }),
    );
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(["ok-1", "ok-2"]);
    expect(sent.Failed).toEqual([
      expect.objectContaining({ Id: "bad", Code: "InvalidMessageContents", SenderFault: true }),
      expect.objectContaining({ Id: "too-late", Code: "InvalidParameterValue", SenderFault: true }),
    ]);

    const messages = await receiveAll(url);
    expect(messages.map((message) => message.Body).sort()).toEqual(["first", "second"]);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...messages.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle })),
          { Id: "garbage", ReceiptHandle: "not-a-receipt-handle" },
        ],
      }),
    );
    expect(deleted.Successful?.map((entry) => entry.Id)).toEqual(["m0", "m1"]);
    expect(deleted.Failed).toEqual([
      expect.objectContaining({ Id: "garbage", Code: "ReceiptHandleIsInvalid" }),
    ]);
    expect(await depth(url)).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });

  it("rejects malformed batches as a whole", async () => {
    const { url } = await newQueue();
    const entries = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" }));
    const sendBatch = (QueueUrl: string, Entries: Array<{ Id: string; MessageBody: string }>) =>
      sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => sendBatch(url, entries(11)), "TooManyEntriesInBatchRequest"],
      [() => sendBatch(url, []), "EmptyBatchRequest"],
      [() => sendBatch(url, [...entries(1), ...entries(1)]), "BatchEntryIdsNotDistinct"],
      [() => sendBatch(url, [{ Id: "has space", MessageBody: "x" }]), "InvalidBatchEntryId"],
      [
        () =>
          sendBatch(url, [
            { Id: "a", MessageBody: "a".repeat(600_000) },
            { Id: "b", MessageBody: "b".repeat(600_000) },
          ]),
        "BatchRequestTooLong",
      ],
      [() => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })), "EmptyBatchRequest"],
      [() => sendBatch(`${url}-missing`, entries(1)), "QueueDoesNotExist"],
    ];
    for (const [call, expectedName] of cases) {
      const error = await sdkError(call());
      expect(error.name, expectedName).toBe(expectedName);
    }
  });

  it("hides received messages for the visibility timeout and honours ChangeMessageVisibility", async () => {
    const { url } = await newQueue({ VisibilityTimeout: "30" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "hide me" }));

    const [first] = await receiveAll(url, { VisibilityTimeout: 10 });
    expect(await receiveAll(url)).toEqual([]);
    clock.advanceSeconds(9);
    expect(await receiveAll(url)).toEqual([]);
    clock.advanceSeconds(1);
    const [second] = await receiveAll(url);
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(
      first?.Attributes?.ApproximateFirstReceiveTimestamp,
    );

    // The older receipt handle no longer controls the message.
    const stale = await sdkError(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: first?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    );
    expect(stale.name).toBe("MessageNotInflight");
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    expect(await depth(url)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: "1" });

    // Extending, then releasing, with the current handle.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: second?.ReceiptHandle,
        VisibilityTimeout: 120,
      }),
    );
    clock.advanceSeconds(60);
    expect(await receiveAll(url)).toEqual([]);
    const released = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "current", ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: "too-long", ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: 43_201 },
        ],
      }),
    );
    expect(released.Successful).toEqual([{ Id: "current" }]);
    expect(released.Failed).toEqual([
      expect.objectContaining({ Id: "too-long", Code: "InvalidParameterValue" }),
    ]);
    const [third] = await receiveAll(url);
    expect(third?.Attributes?.ApproximateReceiveCount).toBe("3");

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third?.ReceiptHandle }));
    const gone = await sdkError(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: third?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      ),
    );
    expect(gone.name).toBe("InvalidParameterValue");
  });

  it("delays messages by DelaySeconds", async () => {
    const { url } = await newQueue({ DelaySeconds: "5" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "queue delay" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no delay", DelaySeconds: 0 }));
    expect(await depth(url)).toMatchObject({
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesDelayed: "1",
    });
    expect((await receiveAll(url)).map((m) => m.Body)).toEqual(["no delay"]);
    clock.advanceSeconds(5);
    expect((await receiveAll(url)).map((m) => m.Body)).toEqual(["queue delay"]);
  });

  it("drops messages past the retention period", async () => {
    const { url } = await newQueue({ MessageRetentionPeriod: "60" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "short-lived" }));
    clock.advanceSeconds(60);
    expect(await receiveAll(url)).toEqual([]);
    expect(await depth(url)).toMatchObject({ ApproximateNumberOfMessages: "0" });
  });

  it("returns a long poll as soon as a message arrives", async () => {
    const { url } = await newQueue();
    const started = performance.now();
    const polling = receiveAll(url, { WaitTimeSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake up" }));
    const messages = await polling;
    const elapsed = performance.now() - started;
    expect(messages.map((m) => m.Body)).toEqual(["wake up"]);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("ends an empty long poll after the wait time", async () => {
    const { url } = await newQueue({ ReceiveMessageWaitTimeSeconds: "1" });
    const started = performance.now();
    expect(await receiveAll(url)).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });
});

describe("dead-letter queues", () => {
  it("moves a message to the DLQ on the receive after maxReceiveCount, then redrives it back", async () => {
    const dlq = await newQueue({}, "dlq");
    const source = await newQueue({
      VisibilityTimeout: "10",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: "2" }),
    });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.url, AttributeNames: ["RedrivePolicy"] }),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: 2,
    });
    const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }));
    expect(sources.queueUrls).toEqual([source.url]);

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: "poison" }));
    for (const expectedCount of ["1", "2"]) {
      const [message] = await receiveAll(source.url);
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(expectedCount);
      clock.advanceSeconds(10);
    }
    expect(await receiveAll(source.url)).toEqual([]);
    const [dead] = await receiveAll(dlq.url, { VisibilityTimeout: 0 });
    expect(dead?.MessageId).toBe(sent.MessageId);
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(source.arn);
    // Receives are counted across queues.
    expect(dead?.Attributes?.ApproximateReceiveCount).toBe("3");

    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    expect(TaskHandle).toBeTruthy();
    await expect.poll(async () => (await depth(source.url)).ApproximateNumberOfMessages).toBe("1");
    const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }));
    expect(Results?.[0]).toMatchObject({
      Status: "COMPLETED",
      SourceArn: dlq.arn,
      ApproximateNumberOfMessagesMoved: 1,
      ApproximateNumberOfMessagesToMove: 1,
    });
    expect(Results?.[0]?.TaskHandle).toBeUndefined();
    const [back] = await receiveAll(source.url);
    expect(back?.Body).toBe("poison");
    expect(back?.Attributes?.ApproximateReceiveCount).toBe("1");
    expect(back?.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
  });

  it("paces a move task, lists it while running and cancels it", async () => {
    const dlq = await newQueue({}, "dlq");
    await newQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }) });
    const target = await newQueue();
    for (const body of ["a", "b", "c", "d"])
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: body }));

    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.arn,
        DestinationArn: target.arn,
        MaxNumberOfMessagesPerSecond: 1,
      }),
    );
    await expect.poll(async () => (await depth(target.url)).ApproximateNumberOfMessages).toBe("1");
    const running = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }));
    expect(running.Results?.[0]).toMatchObject({
      TaskHandle,
      Status: "RUNNING",
      DestinationArn: target.arn,
      MaxNumberOfMessagesPerSecond: 1,
      ApproximateNumberOfMessagesToMove: 4,
    });
    const second = await sdkError(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn })));
    expect(second.name).toBe("UnsupportedOperation");

    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeGreaterThanOrEqual(1);
    const after = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }));
    expect(after.Results?.[0]?.Status).toBe("CANCELLED");
    expect(Number((await depth(dlq.url)).ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(2);
  });

  it("refuses move tasks for queues that are not DLQs or do not exist", async () => {
    const plain = await newQueue();
    const notDlq = await sdkError(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: plain.arn })));
    expect(notDlq.name).toBe("InvalidParameterValue");
    const missing = await sdkError(
      sqs.send(new StartMessageMoveTaskCommand({ SourceArn: "arn:aws:sqs:cn-north-1:000000000000:nope" })),
    );
    expect(missing.name).toBe("ResourceNotFoundException");
    const badHandle = await sdkError(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: "bogus" })));
    expect(badHandle.name).toBe("ResourceNotFoundException");
  });

  it("validates the redrive policy against the DLQ", async () => {
    const closed = await newQueue(
      { RedriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }) },
      "dlq",
    );
    const denied = await sdkError(
      newQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: closed.arn, maxReceiveCount: 3 }) }),
    );
    expect(denied.name).toBe("InvalidParameterValue");
    const missing = await sdkError(
      newQueue({
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: "arn:aws:sqs:cn-north-1:000000000000:absent",
          maxReceiveCount: 3,
        }),
      }),
    );
    expect(missing.name).toBe("InvalidParameterValue");
    expect(missing.message).toContain("Dead letter target does not exist");
  });
});

describe("limits and error shapes", () => {
  it("enforces message size and content limits", async () => {
    const { url } = await newQueue();
    const max = "x".repeat(1_048_576);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: max }));
    const tooLong = await sdkError(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `${max}x` })),
    );
    expect(tooLong.name).toBe("InvalidParameterValue");
    expect(tooLong.message).toContain("Message must be shorter than 1048576 bytes");

    const small = await newQueue({ MaximumMessageSize: "1024" });
    const withAttributes = await sdkError(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: small.url,
          MessageBody: "x".repeat(1000),
          MessageAttributes: { note: { DataType: "String", StringValue: "y".repeat(30) } },
        }),
      ),
    );
    expect(withAttributes.name).toBe("InvalidParameterValue");

    const control = await sdkError(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "bell \u0007" })),
    );
    expect(control.name).toBe("InvalidMessageContents");
    const loneSurrogate = await sdkError(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "\uD800" })),
    );
    expect(loneSurrogate.name).toBe("InvalidMessageContents");

    const reserved = await sdkError(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: "x",
          MessageAttributes: { "AWS.reserved": { DataType: "String", StringValue: "v" } },
        }),
      ),
    );
    expect(reserved.name).toBe("InvalidParameterValue");
  });

  it("enforces request parameter ranges", async () => {
    const { url } = await newQueue();
    const cases: Array<[Promise<unknown>, string]> = [
      [
        sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
        "InvalidParameterValue",
      ],
      [sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })), "InvalidParameterValue"],
      [
        sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 })),
        "InvalidParameterValue",
      ],
      [
        sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", DelaySeconds: 901 })),
        "InvalidParameterValue",
      ],
      [
        sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["Bogus" as never] })),
        "InvalidAttributeName",
      ],
      [
        sqs.send(
          new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "43201" } }),
        ),
        "InvalidAttributeValue",
      ],
      [sqs.send(new CreateQueueCommand({ QueueName: "orders.fifo" })), "UnsupportedOperation"],
      [sqs.send(new CreateQueueCommand({ QueueName: "bad name!" })), "InvalidParameterValue"],
      [
        sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "garbage" })),
        "ReceiptHandleIsInvalid",
      ],
      [sqs.send(new SendMessageCommand({ QueueUrl: `${url}-gone`, MessageBody: "x" })), "QueueDoesNotExist"],
    ];
    for (const [call, expectedName] of cases) {
      expect((await sdkError(call)).name).toBe(expectedName);
    }
  });

  it("accepts requests posted to the queue URL path and rejects unparseable ones", async () => {
    const { url } = await newQueue();
    const post = (path: string, body: string, target?: string) =>
      fetch(`${local.endpoint}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          ...(target ? { "x-amz-target": `AmazonSQS.${target}` } : {}),
          authorization: "AWS4-HMAC-SHA256 Credential=anything/20250101/cn-north-1/sqs/aws4_request",
        },
        body,
      });
    const viaPath = await post(
      new URL(url).pathname,
      JSON.stringify({ MessageBody: "posted to the path" }),
      "SendMessage",
    );
    expect(viaPath.status).toBe(200);
    expect(viaPath.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await viaPath.json()).toMatchObject({ MD5OfMessageBody: "960216c9c568cf35f7a25b7660e82222" });
    expect((await receiveAll(url)).map((m) => m.Body)).toEqual(["posted to the path"]);

    const broken = await post("/", "{not json", "ListQueues");
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ __type: "com.amazon.coral.service#SerializationException" });
    const untargeted = await post("/", "Action=ListQueues");
    expect(untargeted.status).toBe(400);
  });

  it("answers errors in the JSON protocol shape with the query-compatible header", async () => {
    const missing = await handleSqsRequest(local.engine, "GetQueueUrl", { QueueName: "no-such-queue" });
    expect(missing).toEqual({
      status: 400,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender",
      },
      body: { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." },
    });
    // Parameters are checked before the queue is looked up.
    const noMessage = await handleSqsRequest(local.engine, "SendMessage", {
      QueueUrl: "http://x/1/whatever",
    });
    expect(noMessage.status).toBe(400);
    expect(noMessage.headers["x-amzn-query-error"]).toBe("MissingParameter;Sender");
    expect(noMessage.body).toEqual({
      __type: "com.amazonaws.sqs#MissingRequiredParameterException",
      message: "The request must contain the parameter MessageBody.",
    });
    const badHandle = await handleSqsRequest(local.engine, "DeleteMessage", {
      QueueUrl: (await newQueue()).url,
      ReceiptHandle: "nope",
    });
    expect(badHandle.status).toBe(404);
    expect(badHandle.headers["x-amzn-query-error"]).toBe("ReceiptHandleIsInvalid;Sender");
    const unknown = await handleSqsRequest(local.engine, "FlyToTheMoon", {});
    expect((unknown.body as { __type: string }).__type).toBe(
      "com.amazon.coral.service#UnknownOperationException",
    );
  });
});
