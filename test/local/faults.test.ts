/**
 * The local cloud's test-only fault injection (local/faults.ts): what each fault does to the DynamoDB and
 * EventBridge endpoints (seen through the real AWS SDK clients) and to a function's invocations, and that
 * nothing happens unless a test asks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAwsEndpoint } from "../../local/aws-endpoint";
import { DYNAMODB_TARGET_PREFIX, LocalDynamoDb } from "../../local/dynamodb/local-dynamodb";
import {
  createEventBridgeHttpHandler,
  EVENTBRIDGE_TARGET_PREFIX,
} from "../../local/eventbridge/eventbridge-json-protocol";
import { LocalEventBridge } from "../../local/eventbridge/local-event-bridge";
import { callerOf, LocalFaults } from "../../local/faults";
import { LocalFunction } from "../../local/lambda/local-function";
import { closeServer, listen } from "../../local/net";
import { SqsEngine } from "../../local/sqs/sqs-engine";

const REGION = "cn-north-1";
const ACCOUNT = "000000000000";
const TABLE = "faults-test";
const BUS = "faults-bus";
const FIXTURES = fileURLToPath(new URL("../fixtures/lambda/", import.meta.url));

const faults = new LocalFaults();
let stateDir: string;
let server: Server;
let db: LocalDynamoDb;
let sqs: SqsEngine;
let bus: LocalEventBridge;
let dynamo: DynamoDBClient;
let events: EventBridgeClient;
let queueUrl: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "faults-"));
  db = await LocalDynamoDb.open({ stateDir, region: REGION, accountId: ACCOUNT, faults });
  sqs = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:1", region: REGION, accountId: ACCOUNT });
  bus = new LocalEventBridge({ stateDir, region: REGION, accountId: ACCOUNT, sqs, faults });
  server = createAwsEndpoint([
    { targetPrefix: DYNAMODB_TARGET_PREFIX, handle: (req, res, body) => db.handle(req, res, body) },
    { targetPrefix: EVENTBRIDGE_TARGET_PREFIX, handle: createEventBridgeHttpHandler(bus) },
  ]);
  const port = await listen(server, "127.0.0.1", 0, "AWS endpoint", "--aws-port");
  const client = {
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    // One attempt: the test sees each answer the endpoint gives.
    maxAttempts: 1,
  };
  dynamo = new DynamoDBClient(client);
  events = new EventBridgeClient(client);
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  queueUrl = await sqs.createQueue("routed", {});
  bus.addBus(BUS);
  bus.addRule({
    name: "all",
    busName: BUS,
    eventPattern: { source: ["faults-test"] },
    targets: [{ id: "q", arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:routed` }],
  });
});

afterEach(() => faults.clear());

afterAll(async () => {
  await closeServer(server);
  await bus.close();
  await sqs.close();
  await db.close();
  await rm(stateDir, { recursive: true, force: true });
});

const item = (pk: string, version = 1) => ({ pk: { S: pk }, version: { N: String(version) } });
const versionOf = async (pk: string) =>
  (await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ConsistentRead: true })))
    .Item?.version?.N;
const bump = (pk: string, from: number) =>
  new UpdateItemCommand({
    TableName: TABLE,
    Key: { pk: { S: pk } },
    UpdateExpression: "SET version = :next",
    ConditionExpression: "version = :current",
    ExpressionAttributeValues: { ":next": { N: String(from + 1) }, ":current": { N: String(from) } },
  });

describe("the switchboard", () => {
  it("hits at the given rate, at most `times`, and counts what it hit", () => {
    let dice = 0;
    const rolls = [0.1, 0.9, 0.2, 0.8, 0.3, 0.1, 0.1];
    const switchboard = new LocalFaults({ random: () => rolls[dice++ % rolls.length] as number });
    const handle = switchboard.inject({
      service: "dynamodb",
      operation: "GetItem",
      kind: "throttle",
      rate: 0.5,
      times: 3,
    });
    const hits = Array.from({ length: 7 }, () => switchboard.requestFault("dynamodb", "GetItem"));
    expect(hits).toEqual(["throttle", undefined, "throttle", undefined, "throttle", undefined, undefined]);
    expect(handle.injected).toBe(3);
    expect(handle.active).toBe(false);
    expect(switchboard.requestFault("dynamodb", "PutItem")).toBeUndefined();
  });

  it("hits only the hub's own functions when told their access key", () => {
    const switchboard = new LocalFaults({ hubAccessKeyId: "local" });
    switchboard.inject({ service: "dynamodb", operation: "*", kind: "throttle" });
    expect(switchboard.requestFault("dynamodb", "GetItem", undefined, "operator")).toBeUndefined();
    expect(switchboard.requestFault("dynamodb", "GetItem", undefined, "local")).toBe("throttle");
    expect(
      callerOf("AWS4-HMAC-SHA256 Credential=local/20261128/cn-north-1/dynamodb/aws4_request, Sig=x"),
    ).toBe("local");
    expect(callerOf(undefined)).toBeUndefined();
  });

  it("refuses faults that could never be true", () => {
    const switchboard = new LocalFaults({
      functions: () => [{ name: "hub-submit", logicalId: "ApiSubmit1" }],
    });
    expect(() =>
      switchboard.inject({ service: "dynamodb", operation: "PutItem", kind: "conditional-race" }),
    ).toThrow(/UpdateItem and TransactWriteItems/);
    expect(() => switchboard.inject({ service: "dynamodb", operation: "GetItem", kind: "partial" })).toThrow(
      /PutEvents only/,
    );
    expect(() =>
      switchboard.inject({ service: "events", operation: "PutEvents", kind: "throttle", rate: 0 }),
    ).toThrow(/rate/);
    expect(() => switchboard.inject({ service: "lambda", function: "nope", kind: "crash" })).toThrow(
      /No local function/,
    );
    expect(switchboard.inject({ service: "lambda", function: "ApiSubmit", kind: "crash" }).active).toBe(true);
  });
});

describe("DynamoDB", () => {
  it("throttles a request as DynamoDB does, writing nothing", async () => {
    faults.inject({ service: "dynamodb", operation: "PutItem", kind: "throttle", times: 1 });
    await expect(
      dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item("t1") })),
    ).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(await versionOf("t1")).toBeUndefined();
    await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item("t1") }));
    expect(await versionOf("t1")).toBe("1");
  });

  it("loses a conditional update's race without writing; an unconditional one is never raced", async () => {
    await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item("r1") }));
    const race = faults.inject({ service: "dynamodb", operation: "UpdateItem", kind: "conditional-race" });
    await expect(dynamo.send(bump("r1", 1))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await versionOf("r1")).toBe("1");
    await dynamo.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: "r1" } },
        UpdateExpression: "SET note = :n",
        ExpressionAttributeValues: { ":n": { S: "no condition" } },
      }),
    );
    expect(race.injected).toBe(1);
    race.clear();
    await dynamo.send(bump("r1", 1));
    expect(await versionOf("r1")).toBe("2");
  });

  it("cancels a transaction with a TransactionConflict reason, writing none of it", async () => {
    await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item("x1") }));
    faults.inject({
      service: "dynamodb",
      operation: "TransactWriteItems",
      kind: "conditional-race",
      times: 1,
    });
    const transaction = new TransactWriteItemsCommand({
      TransactItems: [
        { Update: { ...bump("x1", 1).input } as never },
        { Put: { TableName: TABLE, Item: item("x2"), ConditionExpression: "attribute_not_exists(pk)" } },
      ],
    });
    const refused = await dynamo.send(transaction).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TransactionCanceledException);
    expect((refused as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      "TransactionConflict",
      "None",
    ]);
    expect(await versionOf("x1")).toBe("1");
    expect(await versionOf("x2")).toBeUndefined();
    await dynamo.send(transaction);
    expect(await versionOf("x1")).toBe("2");
  });
});

describe("EventBridge PutEvents", () => {
  const entries = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      EventBusName: BUS,
      Source: "faults-test",
      DetailType: "Test",
      Detail: JSON.stringify({ i }),
    }));

  it("fails entries on their own and routes the others", async () => {
    const before = sqs.getQueueAttributes(queueUrl, [
      "ApproximateNumberOfMessages",
    ]).ApproximateNumberOfMessages;
    const partial = faults.inject({ service: "events", operation: "PutEvents", kind: "partial", times: 2 });
    const result = await events.send(new PutEventsCommand({ Entries: entries(5) }));
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries?.map((e) => e.ErrorCode ?? "ok")).toEqual([
      "InternalFailure",
      "InternalFailure",
      "ok",
      "ok",
      "ok",
    ]);
    expect(partial.injected).toBe(2);
    await bus.drain();
    const after = sqs.getQueueAttributes(queueUrl, [
      "ApproximateNumberOfMessages",
    ]).ApproximateNumberOfMessages;
    expect(Number(after) - Number(before)).toBe(3);
  });

  it("throttles the whole request, putting nothing", async () => {
    faults.inject({ service: "events", operation: "PutEvents", kind: "throttle", times: 1 });
    const refused = await events.send(new PutEventsCommand({ Entries: entries(2) })).catch((e: unknown) => e);
    expect((refused as Error).name).toBe("ThrottlingException");
    expect((await events.send(new PutEventsCommand({ Entries: entries(2) }))).FailedEntryCount).toBe(0);
  });
});

describe("a function", () => {
  let logDir: string;
  const created: LocalFunction[] = [];

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), "faults-lambda-"));
  });

  afterAll(async () => {
    await Promise.all(created.map((fn) => fn.close()));
    await rm(logDir, { recursive: true, force: true });
  });

  const fn = (name: string, timeoutSeconds = 3) => {
    const local = new LocalFunction(
      {
        logicalId: `${name}ABC123`,
        name,
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
        handlerFile: join(FIXTURES, "behaviour.mjs"),
        handlerExport: "handler",
        environment: {},
        timeoutSeconds,
        memorySize: 128,
        logGroupName: `/aws/lambda/${name}`,
        maxConcurrency: 1,
      },
      { region: REGION, awsEndpoint: "http://127.0.0.1:1", logDir, faults },
    );
    created.push(local);
    return local;
  };

  it("throws before its handler runs, or after with the result lost", async () => {
    const target = fn("thrower");
    faults.inject({ service: "lambda", function: "thrower", kind: "throw", times: 1 });
    expect(await target.invoke({ action: "echo" })).toMatchObject({ ok: false, errorType: "InjectedFault" });
    faults.inject({ service: "lambda", function: "thrower", kind: "throw", phase: "after", times: 1 });
    expect(await target.invoke({ action: "sleep", ms: 10 })).toMatchObject({
      ok: false,
      errorMessage: expect.stringMatching(/handler ran/),
    });
    expect(await target.invoke({ action: "sleep", ms: 1 })).toEqual({ ok: true, payload: { slept: 1 } });
  });

  it("crashes mid-invocation, and the next invocation gets a fresh environment", async () => {
    const target = fn("crasher");
    faults.inject({ service: "lambda", function: "crasher", kind: "crash", afterMs: 50, times: 1 });
    const started = performance.now();
    expect(await target.invoke({ action: "sleep", ms: 2000 })).toMatchObject({
      ok: false,
      errorType: "Runtime.ExitError",
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await target.invoke({ action: "sleep", ms: 1 })).toEqual({ ok: true, payload: { slept: 1 } });
  });

  it("hangs until its own timeout", async () => {
    const target = fn("hanger", 1);
    faults.inject({ service: "lambda", function: "hanger", kind: "hang", times: 1 });
    const started = performance.now();
    expect(await target.invoke({ action: "sleep", ms: 1 })).toMatchObject({
      ok: false,
      errorType: "Sandbox.Timedout",
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(await target.invoke({ action: "sleep", ms: 1 })).toEqual({ ok: true, payload: { slept: 1 } });
  });
});
