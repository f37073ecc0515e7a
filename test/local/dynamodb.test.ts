/**
 * The local cloud's DynamoDB through the real AWS SDK over HTTP: tables from the template, stream records
 * shaped as Lambda receives them (only for real changes, in commit order), persistence across restarts,
 * checkpoints, and a one-line error for unreadable state.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  QueryCommand,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAwsEndpoint } from "../../local/aws-endpoint";
import {
  DYNAMODB_TARGET_PREFIX,
  type DynamoDbStreamRecord,
  LocalDynamoDb,
  LocalDynamoDbStateError,
} from "../../local/dynamodb/local-dynamodb";
import type { LocalFunction } from "../../local/lambda/local-function";
import { StreamEventSource } from "../../local/lambda/stream-event-source";
import { closeServer, listen } from "../../local/net";
import type { TableModel } from "../../local/template/stack-model";

const REGION = "cn-north-1";
const ACCOUNT = "000000000000";
const TABLE = "complaints";
const STREAM_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}/stream/local`;

/** The hub's table as the template model gives it to the local cloud. */
const complaintTable: TableModel = {
  logicalId: "ComplaintTable",
  name: TABLE,
  streamArn: STREAM_ARN,
  streamViewType: "NEW_AND_OLD_IMAGES",
  keySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
  attributeDefinitions: ["pk", "sk", "gsi1pk", "gsi1sk"].map((name) => ({
    AttributeName: name,
    AttributeType: "S",
  })),
  globalSecondaryIndexes: [
    {
      IndexName: "byPlatformStatus",
      KeySchema: [
        { AttributeName: "gsi1pk", KeyType: "HASH" },
        { AttributeName: "gsi1sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["status"] },
    },
  ],
  timeToLiveAttribute: "expiresAt",
};

let stateDir: string;
let db: LocalDynamoDb | undefined;
let server: Server | undefined;
const clients: DynamoDBClient[] = [];
let clock: { now: number } | undefined;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "local-dynamodb-"));
  clock = undefined;
});

afterEach(async () => {
  await stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Opens the local DynamoDB on `stateDir` behind the shared AWS endpoint; returns a document client. */
async function start(): Promise<{ doc: DynamoDBDocumentClient; endpoint: string }> {
  db = await LocalDynamoDb.open({
    stateDir,
    region: REGION,
    accountId: ACCOUNT,
    ...(clock ? { now: () => (clock as { now: number }).now } : {}),
  });
  const local = db;
  server = createAwsEndpoint([
    { targetPrefix: DYNAMODB_TARGET_PREFIX, handle: (req, res, body) => local.handle(req, res, body) },
  ]);
  const port = await listen(server, "127.0.0.1", 0, "AWS endpoint", "--aws-port");
  const endpoint = `http://127.0.0.1:${port}`;
  return { doc: documentClient(endpoint), endpoint };
}

async function stop(): Promise<void> {
  for (const client of clients.splice(0)) client.destroy();
  if (server) await closeServer(server);
  server = undefined;
  await db?.close();
  db = undefined;
}

function dynamo(endpoint: string): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

function documentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamo(endpoint), { marshallOptions: { removeUndefinedValues: true } });
}

function local(): LocalDynamoDb {
  if (!db) throw new Error("not started");
  return db;
}

function records(streamArn = STREAM_ARN): DynamoDbStreamRecord[] {
  return local().streamReader(streamArn).read(undefined, 10_000);
}

const image = (map: Record<string, unknown> | undefined) =>
  map ? unmarshall(map as Parameters<typeof unmarshall>[0]) : undefined;

function expectIncreasing(list: readonly DynamoDbStreamRecord[]): void {
  for (let i = 1; i < list.length; i++) {
    const previous = BigInt((list[i - 1] as DynamoDbStreamRecord).dynamodb.SequenceNumber);
    expect(BigInt((list[i] as DynamoDbStreamRecord).dynamodb.SequenceNumber) > previous).toBe(true);
  }
}

const key = (id: string) => ({ pk: `COMPLAINT#${id}`, sk: "COMPLAINT" });

describe("tables from the template", () => {
  it("creates a table with its index and stream, idempotently", async () => {
    const { endpoint } = await start();
    expect(await local().createTable(complaintTable)).toEqual({
      tableName: TABLE,
      tableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`,
      streamArn: STREAM_ARN,
      outcome: "created",
    });
    expect((await local().createTable(complaintTable)).outcome).toBe("unchanged");

    const { Table } = await dynamo(endpoint).send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.LatestStreamArn).toBe(STREAM_ARN);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(Table?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.IndexStatus])).toEqual([
      ["byPlatformStatus", "ACTIVE"],
    ]);
    const ttl = await dynamo(endpoint).send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
  });

  it("takes CloudFormation GlobalTable properties (no throughput) and rejects a changed key schema", async () => {
    await start();
    const properties = {
      TableName: "ledger",
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      StreamSpecification: { StreamViewType: "KEYS_ONLY" },
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
    };
    const created = await local().createTable(properties);
    expect(created.streamArn).toBe(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ledger/stream/local`);
    await expect(
      local().createTable({
        ...properties,
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "N" }],
      }),
    ).rejects.toThrow(/ledger has key schema id:S but the template declares id:N: restart with --reset/);
  });

  it("rebuilds a table whose indexes changed, keeping its items", async () => {
    const { doc, endpoint } = await start();
    await local().createTable({
      ...complaintTable,
      attributeDefinitions: complaintTable.attributeDefinitions.slice(0, 2),
      globalSecondaryIndexes: [],
    });
    await doc.send(
      new PutCommand({ TableName: TABLE, Item: { ...key("1"), gsi1pk: "P#shop", gsi1sk: "NEW" } }),
    );
    expect((await local().createTable(complaintTable)).outcome).toBe("rebuilt");
    const { Items } = await dynamo(endpoint).send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: "byPlatformStatus",
        KeyConditionExpression: "gsi1pk = :p",
        ExpressionAttributeValues: { ":p": { S: "P#shop" } },
      }),
    );
    expect(Items?.map((i) => i.pk)).toEqual([{ S: "COMPLAINT#1" }]);
    expect(records()).toHaveLength(1); // the put before the rebuild; the rebuild itself changed nothing
  });
});

describe("stream records", () => {
  it("records INSERT, MODIFY and REMOVE with Lambda's record shape, and nothing for non-changes", async () => {
    const { doc } = await start();
    await local().createTable(complaintTable);
    const startedAt = Math.floor(Date.now() / 1000);

    await doc.send(
      new PutCommand({ TableName: TABLE, Item: { ...key("1"), status: "ACCEPTED", version: 1 } }),
    );
    // An identical overwrite changes nothing: no record, as on AWS.
    await doc.send(
      new PutCommand({ TableName: TABLE, Item: { ...key("1"), status: "ACCEPTED", version: 1 } }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: key("1"),
        UpdateExpression: "SET #s = :s, version = version + :one",
        ConditionExpression: "version = :v",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": "QUEUED", ":one": 1, ":v": 1 },
      }),
    );
    // A failed condition writes nothing; ALL_OLD returns the item with the error.
    const failed = await doc
      .send(
        new UpdateCommand({
          TableName: TABLE,
          Key: key("1"),
          UpdateExpression: "SET #s = :s",
          ConditionExpression: "version = :v",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": "LOST", ":v": 1 },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      )
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ConditionalCheckFailedException);
    expect(image((failed as ConditionalCheckFailedException).Item)).toMatchObject({
      status: "QUEUED",
      version: 2,
    });
    await doc.send(new DeleteCommand({ TableName: TABLE, Key: key("1") }));
    await doc.send(new DeleteCommand({ TableName: TABLE, Key: key("1") })); // already gone: no record

    const list = records();
    expect(list.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    expectIncreasing(list);
    const [insert, modify, remove] = list as [
      DynamoDbStreamRecord,
      DynamoDbStreamRecord,
      DynamoDbStreamRecord,
    ];
    expect(Object.keys(insert)).toEqual([
      "eventID",
      "eventName",
      "eventVersion",
      "eventSource",
      "awsRegion",
      "dynamodb",
      "eventSourceARN",
    ]);
    expect(insert).toMatchObject({
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: REGION,
      eventSourceARN: STREAM_ARN,
    });
    expect(insert.eventID).toMatch(/^[0-9a-f]{32}$/);
    expect(insert.dynamodb.SequenceNumber).toMatch(/^\d{21,}$/);
    expect(insert.dynamodb.StreamViewType).toBe("NEW_AND_OLD_IMAGES");
    expect(Number.isInteger(insert.dynamodb.ApproximateCreationDateTime)).toBe(true);
    expect(insert.dynamodb.ApproximateCreationDateTime).toBeGreaterThanOrEqual(startedAt);
    expect(insert.dynamodb.SizeBytes).toBeGreaterThan(0);
    expect(insert.dynamodb.Keys).toEqual({ pk: { S: "COMPLAINT#1" }, sk: { S: "COMPLAINT" } });
    expect(insert.dynamodb.OldImage).toBeUndefined();
    expect(image(insert.dynamodb.NewImage)).toEqual({ ...key("1"), status: "ACCEPTED", version: 1 });
    expect(image(modify.dynamodb.OldImage)).toEqual({ ...key("1"), status: "ACCEPTED", version: 1 });
    expect(image(modify.dynamodb.NewImage)).toEqual({ ...key("1"), status: "QUEUED", version: 2 });
    expect(remove.dynamodb.NewImage).toBeUndefined();
    expect(image(remove.dynamodb.OldImage)).toEqual({ ...key("1"), status: "QUEUED", version: 2 });
    expect(remove.dynamodb.Keys).toEqual(insert.dynamodb.Keys);
  });

  it("expands batch writes and transactions per item; a cancelled transaction records nothing", async () => {
    const { doc } = await start();
    await local().createTable(complaintTable);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key("old"), status: "CLOSED" } }));
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: { ...key("a"), status: "ACCEPTED" } } },
            { PutRequest: { Item: { ...key("b"), status: "ACCEPTED" } } },
            { DeleteRequest: { Key: key("old") } },
            { DeleteRequest: { Key: key("missing") } },
          ],
        },
      }),
    );
    expect(records().map((r) => [r.eventName, r.dynamodb.Keys.pk?.S])).toEqual([
      ["INSERT", "COMPLAINT#old"],
      ["INSERT", "COMPLAINT#a"],
      ["INSERT", "COMPLAINT#b"],
      ["REMOVE", "COMPLAINT#old"],
    ]);

    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: { TableName: TABLE, Key: key("b"), ConditionExpression: "attribute_exists(pk)" },
          },
          { Put: { TableName: TABLE, Item: { ...key("c"), status: "ACCEPTED" } } },
          {
            Update: {
              TableName: TABLE,
              Key: key("a"),
              UpdateExpression: "SET #s = :s",
              ExpressionAttributeNames: { "#s": "status" },
              ExpressionAttributeValues: { ":s": "QUEUED" },
            },
          },
        ],
      }),
    );
    const afterTransaction = records();
    expect(afterTransaction.slice(4).map((r) => [r.eventName, r.dynamodb.Keys.pk?.S])).toEqual([
      ["INSERT", "COMPLAINT#c"],
      ["MODIFY", "COMPLAINT#a"],
    ]);

    const cancelled = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { ...key("d"), status: "ACCEPTED" } } },
            {
              Delete: {
                TableName: TABLE,
                Key: key("a"),
                ConditionExpression: "#s = :s",
                ExpressionAttributeNames: { "#s": "status" },
                ExpressionAttributeValues: { ":s": "ACCEPTED" },
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
          ],
        }),
      )
      .catch((error: unknown) => error);
    expect(cancelled).toBeInstanceOf(TransactionCanceledException);
    const reasons = (cancelled as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((r) => r.Code)).toEqual(["None", "ConditionalCheckFailed"]);
    expect(image(reasons[1]?.Item as Record<string, unknown>)).toMatchObject({ status: "QUEUED" });
    expect((await doc.send(new GetCommand({ TableName: TABLE, Key: key("d") }))).Item).toBeUndefined();
    expect(records()).toHaveLength(afterTransaction.length);
    expectIncreasing(records());
  });

  it("queries the global secondary index", async () => {
    const { endpoint, doc } = await start();
    await local().createTable(complaintTable);
    for (const [id, status] of [
      ["1", "ACCEPTED"],
      ["2", "QUEUED"],
      ["3", "ACCEPTED"],
    ] as const) {
      await doc.send(
        new PutCommand({
          TableName: TABLE,
          Item: { ...key(id), gsi1pk: "PLATFORM#shop", gsi1sk: `${status}#${id}`, status, body: "x" },
        }),
      );
    }
    const { Items } = await dynamo(endpoint).send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: "byPlatformStatus",
        KeyConditionExpression: "gsi1pk = :p AND begins_with(gsi1sk, :s)",
        ExpressionAttributeValues: { ":p": { S: "PLATFORM#shop" }, ":s": { S: "ACCEPTED#" } },
      }),
    );
    expect(Items?.map((item) => unmarshall(item))).toEqual([
      { ...key("1"), gsi1pk: "PLATFORM#shop", gsi1sk: "ACCEPTED#1", status: "ACCEPTED" },
      { ...key("3"), gsi1pk: "PLATFORM#shop", gsi1sk: "ACCEPTED#3", status: "ACCEPTED" },
    ]);
  });

  it("honours the stream view type, also for streams enabled through CreateTable", async () => {
    const { endpoint, doc } = await start();
    await local().createTable({
      TableName: "keys-only",
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      StreamSpecification: { StreamViewType: "KEYS_ONLY" },
    });
    const { TableDescription } = await dynamo(endpoint).send(
      new CreateTableCommand({
        TableName: "old-images",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: "OLD_IMAGE" },
      }),
    );
    const oldImagesArn = TableDescription?.LatestStreamArn as string;
    expect(oldImagesArn).toMatch(
      /^arn:aws:dynamodb:cn-north-1:000000000000:table\/old-images\/stream\/\d{4}-/,
    );
    expect(local().streamArnOf("old-images")).toBe(oldImagesArn);
    await new Promise((resolve) => setTimeout(resolve, 5)); // CREATING → ACTIVE

    for (const table of ["keys-only", "old-images"]) {
      await doc.send(new PutCommand({ TableName: table, Item: { id: "1", n: 1 } }));
      await doc.send(new PutCommand({ TableName: table, Item: { id: "1", n: 2 } }));
    }
    const keysOnly = records(local().streamArnOf("keys-only"));
    expect(keysOnly.map((r) => r.dynamodb)).toEqual([
      expect.objectContaining({ Keys: { id: { S: "1" } }, StreamViewType: "KEYS_ONLY" }),
      expect.objectContaining({ Keys: { id: { S: "1" } }, StreamViewType: "KEYS_ONLY" }),
    ]);
    expect(keysOnly.some((r) => r.dynamodb.NewImage || r.dynamodb.OldImage)).toBe(false);
    const oldImages = records(oldImagesArn);
    expect(oldImages.map((r) => [r.eventName, image(r.dynamodb.OldImage), r.dynamodb.NewImage])).toEqual([
      ["INSERT", undefined, undefined],
      ["MODIFY", { id: "1", n: 1 }, undefined],
    ]);
  });

  it("keeps one consistent record sequence under concurrent updates from many clients", async () => {
    const { endpoint } = await start();
    await local().createTable(complaintTable);
    const writers = Array.from({ length: 8 }, () => documentClient(endpoint));
    const perWriter = 25;
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let i = 0; i < perWriter; i++) {
          await writer.send(
            new UpdateCommand({
              TableName: TABLE,
              Key: key("hot"),
              UpdateExpression: "ADD #n :one SET lastWriter = :w",
              ExpressionAttributeNames: { "#n": "count" },
              ExpressionAttributeValues: { ":one": 1, ":w": `w${w}` },
            }),
          );
        }
      }),
    );
    const list = records();
    expect(list).toHaveLength(writers.length * perWriter);
    expect(list[0]?.eventName).toBe("INSERT");
    expectIncreasing(list);
    for (let i = 1; i < list.length; i++) {
      expect(list[i]?.eventName).toBe("MODIFY");
      expect(list[i]?.dynamodb.OldImage).toEqual(list[i - 1]?.dynamodb.NewImage);
    }
    expect(image(list.at(-1)?.dynamodb.NewImage)?.count).toBe(writers.length * perWriter);
  });
});

describe("persistence and readers", () => {
  it("keeps data, unconsumed records and checkpoints across a restart", async () => {
    let { doc } = await start();
    await local().createTable(complaintTable);
    for (const id of ["1", "2", "3"]) {
      await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key(id), status: "ACCEPTED" } }));
    }
    const reader = local().streamReader(STREAM_ARN);
    const [first] = reader.read("TRIM_HORIZON", 1);
    reader.saveCheckpoint("publisher", first?.dynamodb.SequenceNumber as string);
    await stop();

    ({ doc } = await start()); // no createTable: the stream is known from disk
    const reopened = local().streamReader(STREAM_ARN);
    const checkpoint = reopened.loadCheckpoint("publisher");
    expect(checkpoint).toBe(first?.dynamodb.SequenceNumber);
    expect(reopened.read(checkpoint, 10).map((r) => image(r.dynamodb.NewImage)?.pk)).toEqual([
      "COMPLAINT#2",
      "COMPLAINT#3",
    ]);
    expect((await doc.send(new GetCommand({ TableName: TABLE, Key: key("2") }))).Item?.status).toBe(
      "ACCEPTED",
    );
    // Writes after the restart are still captured, after the earlier records.
    await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key("4"), status: "ACCEPTED" } }));
    expect(reopened.read(checkpoint, 10)).toHaveLength(3);
    expectIncreasing(reopened.read(undefined, 10));
    expect(reopened.read(reopened.latestSequenceNumber(), 10)).toEqual([]);
    expect(reopened.read("LATEST", 10)).toEqual([]);
  });

  it("gives a write the stream record it lost when the process died between the item and its record", async () => {
    let { doc } = await start();
    await local().createTable(complaintTable);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key("1"), status: "ACCEPTED" } }));
    // The process dies after the items are written and before their records are: the stream log refuses.
    const stream = local().streamReader(STREAM_ARN) as unknown as { append: (change: unknown) => unknown };
    const append = stream.append.bind(stream);
    stream.append = () => {
      throw new Error("killed");
    };
    await doc
      .send(new PutCommand({ TableName: TABLE, Item: { ...key("2"), status: "ACCEPTED" } }))
      .catch(() => undefined);
    await doc
      .send(
        new UpdateCommand({
          TableName: TABLE,
          Key: key("1"),
          UpdateExpression: "SET #s = :s",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":s": "QUEUED" },
        }),
      )
      .catch(() => undefined);
    await doc
      .send(
        new PutCommand({
          TableName: TABLE,
          Item: { ...key("3"), status: "X" },
          ConditionExpression: "attribute_exists(pk)",
        }),
      )
      .catch(() => undefined);
    stream.append = append;
    expect(records().map((r) => r.eventName)).toEqual(["INSERT"]);
    await stop();

    ({ doc } = await start());
    const settled = records();
    expect(
      settled.map((r) => [r.eventName, image(r.dynamodb.NewImage)?.pk, image(r.dynamodb.NewImage)?.status]),
    ).toEqual([
      ["INSERT", "COMPLAINT#1", "ACCEPTED"],
      ["INSERT", "COMPLAINT#2", "ACCEPTED"],
      ["MODIFY", "COMPLAINT#1", "QUEUED"],
    ]);
    expect(image(settled[2]?.dynamodb.OldImage)?.status).toBe("ACCEPTED");
    expectIncreasing(settled);
    // Nothing more the next time: the unfinished writes are settled once.
    await stop();
    await start();
    expect(records()).toHaveLength(3);
  });

  it("drops records older than 24 hours at start-up", async () => {
    clock = { now: Date.UTC(2025, 0, 15, 9) };
    let { doc } = await start();
    await local().createTable(complaintTable);
    await doc.send(new PutCommand({ TableName: TABLE, Item: key("old") }));
    clock.now += 23 * 3600_000;
    await doc.send(new PutCommand({ TableName: TABLE, Item: key("recent") }));
    await stop();

    clock.now += 2 * 3600_000; // the first record is 25 h old, the second 2 h
    ({ doc } = await start());
    expect(records().map((r) => r.dynamodb.Keys.pk?.S)).toEqual(["COMPLAINT#recent"]);
    const streamDir = join(
      stateDir,
      "dynamodb",
      "streams",
      readdirSync(join(stateDir, "dynamodb", "streams"))[0] as string,
    );
    expect(readFileSync(join(streamDir, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("wakes a waiting poller on the next record and on abort", async () => {
    const { doc } = await start();
    await local().createTable(complaintTable);
    const reader = local().streamReader(STREAM_ARN);
    const seen: string[] = [];
    const unsubscribe = reader.onRecord((r) => seen.push(r.eventName));
    const waiting = reader.waitForRecords(undefined, new AbortController().signal);
    let woke = false;
    void waiting.then(() => {
      woke = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(woke).toBe(false);
    await doc.send(new PutCommand({ TableName: TABLE, Item: key("1") }));
    await waiting;
    expect(seen).toEqual(["INSERT"]);
    unsubscribe();

    const latest = reader.latestSequenceNumber();
    const abort = new AbortController();
    const aborted = reader.waitForRecords(latest, abort.signal);
    abort.abort();
    await aborted;
  });

  it("feeds the Lambda stream event source, which resumes after its checkpoint", async () => {
    const { doc } = await start();
    await local().createTable(complaintTable);
    const batches: DynamoDbStreamRecord[][] = [];
    const fn = {
      spec: { arn: "arn:aws:lambda:cn-north-1:000000000000:function:publish" },
      invoke: async (event: { Records: DynamoDbStreamRecord[] }) => {
        batches.push(event.Records);
        return { ok: true as const, payload: { batchItemFailures: [] } };
      },
    } as unknown as LocalFunction;
    const spec = {
      consumerId: "publish",
      streamArn: STREAM_ARN,
      batchSize: 10,
      filterPatterns: [],
      bisectOnError: false,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
      reportBatchItemFailures: true,
    };
    const source = new StreamEventSource(spec, fn, local().streamReader(STREAM_ARN));
    source.start();
    await doc.send(new PutCommand({ TableName: TABLE, Item: key("1") }));
    await expect.poll(() => batches.flat().length).toBe(1);
    await source.stop();

    await doc.send(new PutCommand({ TableName: TABLE, Item: key("2") }));
    const resumed = new StreamEventSource(spec, fn, local().streamReader(STREAM_ARN));
    resumed.start();
    await expect.poll(() => batches.flat().length).toBe(2);
    await resumed.stop();
    expect(batches.flat().map((r) => r.dynamodb.Keys.pk?.S)).toEqual(["COMPLAINT#1", "COMPLAINT#2"]);
  });
});

describe("unreadable state", () => {
  it("stops with one line naming the folder and --reset when LevelDB cannot open", async () => {
    await start();
    await local().createTable(complaintTable);
    await stop();
    const tables = join(stateDir, "dynamodb", "tables");
    writeFileSync(join(tables, "CURRENT"), "MANIFEST-999999\n");
    const error = await LocalDynamoDb.open({ stateDir, region: REGION, accountId: ACCOUNT }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalDynamoDbStateError);
    const message = (error as Error).message;
    expect(message).toContain(tables);
    expect(message).toMatch(/restart with --reset/);
    expect(message).not.toContain("\n");
  });

  it("stops with one line when a stream log is corrupt, but tolerates a torn last line", async () => {
    const { doc } = await start();
    await local().createTable(complaintTable);
    await doc.send(new PutCommand({ TableName: TABLE, Item: key("1") }));
    await stop();
    const streams = join(stateDir, "dynamodb", "streams");
    const log = join(streams, readdirSync(streams)[0] as string, "records.jsonl");
    appendFileSync(log, '{"eventID":"torn');
    await start();
    expect(records()).toHaveLength(1);
    await stop();

    writeFileSync(log, `not json\n${readFileSync(log, "utf8")}`);
    const error = await LocalDynamoDb.open({ stateDir, region: REGION, accountId: ACCOUNT }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalDynamoDbStateError);
    expect((error as Error).message).toMatch(
      new RegExp(`${log.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*--reset`),
    );
  });
});
