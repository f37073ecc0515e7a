/**
 * The engine's in-process API, as the EventBridge emulator and the Lambda event-source poller use it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { queueNameFromReference, SqsEngine } from "../../local/sqs/sqs-engine.js";
import { SqsError } from "../../local/sqs/sqs-errors.js";
import { startLocalSqsServer } from "../../local/sqs/sqs-server.js";

let stateDir: string;
let engine: SqsEngine;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "sqs-engine-"));
  engine = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:4566/", region: "cn-north-1" });
});

afterEach(async () => {
  await engine.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function expectSqsError(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(SqsError);
    expect((error as SqsError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("in-process API", () => {
  it("addresses queues by URL, ARN or name", async () => {
    const url = await engine.createQueue("targets");
    expect(url).toBe("http://127.0.0.1:4566/000000000000/targets");
    const arn = engine.queueArn("targets");
    expect(arn).toBe("arn:aws:sqs:cn-north-1:000000000000:targets");
    expect(engine.queueUrlFromArn(arn)).toBe(url);
    expect(engine.queueArnFromUrl("http://localhost:4566/000000000000/targets")).toBe(arn);

    await engine.sendMessage(arn, "by arn", { senderId: "AIDAEVENTBRIDGE" });
    await engine.sendMessage("targets", "by name");
    const messages = await engine.receiveMessages(url, { max: 10, attributeNames: ["SenderId"] });
    expect(messages.map((message) => [message.Body, message.Attributes.SenderId])).toEqual([
      ["by arn", "AIDAEVENTBRIDGE"],
      ["by name", "000000000000"],
    ]);
    expect(engine.queueDepth(url)).toEqual({ visible: 0, inFlight: 2, delayed: 0 });

    expect(queueNameFromReference("/000000000000/targets")).toBe("targets");
    expect(queueNameFromReference("arn:aws:sns:cn-north-1:000000000000:topic")).toBeUndefined();
    await expectSqsError(
      engine.sendMessage("arn:aws:sqs:cn-north-1:000000000000:missing", "x"),
      "QueueDoesNotExist",
    );
  });

  it("lets a poller extend, release and delete what it received", async () => {
    const url = await engine.createQueue("poller", { VisibilityTimeout: "60" });
    await engine.sendMessage(url, "job");
    const [job] = await engine.receiveMessages(url, { visibilityTimeout: 5 });
    if (!job) throw new Error("no message");
    await engine.changeVisibility(url, job.ReceiptHandle, 600);
    await engine.changeVisibility(url, job.ReceiptHandle, 0);
    const [retry] = await engine.receiveMessages(url, { attributeNames: ["ApproximateReceiveCount"] });
    expect(retry?.Attributes.ApproximateReceiveCount).toBe("2");
    await engine.deleteMessage(url, retry?.ReceiptHandle ?? "");
    expect(engine.queueDepth(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await expectSqsError(engine.deleteMessage(url, "bm90IGEgaGFuZGxl"), "ReceiptHandleIsInvalid");
  });

  it("gives a long poll's messages the queue's visibility timeout as it is when they are taken", async () => {
    const url = await engine.createQueue("changing", { VisibilityTimeout: "150" });
    const polling = engine.receiveMessages(url, { waitTimeSeconds: 5 });
    await engine.setQueueAttributes(url, { VisibilityTimeout: "1" });
    await engine.sendMessage(url, "job");
    const [job] = await polling;
    expect(job?.Body).toBe("job");
    await new Promise((r) => setTimeout(r, 1_100));
    expect(engine.queueDepth(url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it("ends a long poll when its signal aborts", async () => {
    const url = await engine.createQueue("abortable");
    const controller = new AbortController();
    const started = performance.now();
    const polling = engine.receiveMessages(url, { waitTimeSeconds: 20, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await polling).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("ends long polls when the queue is deleted or the engine closes", async () => {
    const url = await engine.createQueue("doomed");
    const survivor = await engine.createQueue("survivor");
    const started = performance.now();
    const pollingDeleted = engine.receiveMessages(url, { waitTimeSeconds: 20 });
    await engine.deleteQueue(url);
    expect(await pollingDeleted).toEqual([]);
    const pollingClosed = engine.receiveMessages(survivor, { waitTimeSeconds: 20 });
    await engine.close();
    expect(await pollingClosed).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("validates message attributes like SQS", async () => {
    const url = await engine.createQueue("attributes");
    const send = (messageAttributes: Record<string, { DataType: string; StringValue?: string }>) =>
      engine.sendMessage(url, "x", { messageAttributes });
    await send({ n: { DataType: "Number", StringValue: "1.5e10" } });
    await send({ n: { DataType: "Number.int", StringValue: "-007" } });
    await expectSqsError(send({ n: { DataType: "Number", StringValue: "twelve" } }), "InvalidParameterValue");
    await expectSqsError(send({ s: { DataType: "String", StringValue: "" } }), "InvalidParameterValue");
    await expectSqsError(send({ s: { DataType: "Text", StringValue: "v" } }), "InvalidParameterValue");
    await expectSqsError(send({ "a..b": { DataType: "String", StringValue: "v" } }), "InvalidParameterValue");
    await expectSqsError(
      send({ "amazon.x": { DataType: "String", StringValue: "v" } }),
      "InvalidParameterValue",
    );
    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]),
    );
    await expectSqsError(send(eleven), "InvalidParameterValue");
    await expectSqsError(
      engine.sendMessage(url, "x", {
        messageSystemAttributes: { Other: { DataType: "String", StringValue: "v" } },
      }),
      "InvalidParameterValue",
    );
  });
});

describe("HTTP long polls", () => {
  it("does not hand a message to a client that already gave up", async () => {
    const local = await startLocalSqsServer({
      stateDir: join(stateDir, "http"),
      port: 0,
      region: "cn-north-1",
    });
    const sqs = new SQSClient({
      endpoint: local.endpoint,
      region: "cn-north-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    try {
      const url = await local.engine.createQueue("impatient");
      const controller = new AbortController();
      const polling = sqs
        .send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }), {
          abortSignal: controller.signal,
        })
        .catch((error: Error) => error.name);
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort();
      expect(await polling).toBe("AbortError");
      await new Promise((resolve) => setTimeout(resolve, 50));
      await local.engine.sendMessage(url, "for the next poller");
      expect(local.engine.queueDepth(url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    } finally {
      sqs.destroy();
      await local.close();
    }
  });
});
