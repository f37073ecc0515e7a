import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countStreamBatch } from "../../shared/stats/count-stream";
import { MARK_TTL_SECONDS, STATS_PK } from "../../shared/stats/counters";
import type { StatsFact } from "../../shared/stats/facts";
import { StatsStore } from "../../shared/stats/stats-store";
import type { LocalDynamo } from "../helpers/dynalite";
import { FIXTURE_NOW } from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";
import { streamRecord } from "../helpers/records";
import { lifecycle } from "./stats-fixtures";

let dynamo: LocalDynamo;
let tableName: string;
let store: StatsStore;
const now = () => FIXTURE_NOW;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(async () => {
  tableName = await dynamo.createComplaintTable();
  store = new StatsStore(dynamo.doc, tableName);
});

/** The stream records of one complaint's life, in order. */
function lifeRecords(complaintId: string): DynamoDBRecord[] {
  const life = lifecycle({ complaintId });
  const images = [
    undefined,
    life.c0,
    life.queued,
    life.delivered,
    life.acknowledged,
    life.answered,
    life.closed,
  ];
  return images
    .slice(1)
    .map((image, i) => streamRecord(`${complaintId}-${String(i).padStart(3, "0")}`, images[i], image));
}

const rawCounters = async () =>
  (
    await dynamo.doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": STATS_PK },
      }),
    )
  ).Items ?? [];

describe("counting a stream batch", () => {
  it("counts each fact of a complaint's life once into its platform × category cell", async () => {
    const result = await countStreamBatch({ store, now }, lifeRecords("CH00000000000000000001"));
    expect(result).toMatchObject({ batchItemFailures: [], counted: 6, alreadyCounted: 0 });
    const [cell, ...others] = await store.readCells();
    expect(others).toEqual([]);
    expect(cell?.platform).toBe("suning");
    expect(cell?.category).toBe("quality");
    expect(cell?.counts).toEqual({
      received: 1,
      delivered: 1,
      firstResponse: 1,
      answeredOnTime: 1,
      answeredLate: 0,
      overdue: 0,
      closed: 1,
      settled: 1,
      withdrawn: 0,
    });
    expect(cell?.histogram[5]).toBe(1);
    expect(cell?.histogram.reduce((a, b) => a + b, 0)).toBe(1);
    const [item] = await rawCounters();
    expect(item).toMatchObject({ pk: "STATS", sk: "suning#quality", frh_0005: 1 });
  });

  it("leaves the counters unchanged when the same records come again", async () => {
    const records = lifeRecords("CH00000000000000000002");
    await countStreamBatch({ store, now }, records);
    const before = await rawCounters();
    const again = await countStreamBatch({ store, now }, records);
    expect(again).toMatchObject({ batchItemFailures: [], counted: 0, alreadyCounted: 6 });
    // A single record delivered twice in one batch, too.
    const twice = await countStreamBatch({ store, now }, [
      records[2] as DynamoDBRecord,
      records[2] as DynamoDBRecord,
    ]);
    expect(twice).toMatchObject({ counted: 0, alreadyCounted: 2 });
    expect(await rawCounters()).toEqual(before);
  });

  it("adds up several complaints, and keeps a marker per fact that expires", async () => {
    await countStreamBatch({ store, now }, lifeRecords("CH00000000000000000003"));
    await countStreamBatch({ store, now }, lifeRecords("CH00000000000000000004"));
    const [cell] = await store.readCells();
    expect(cell?.counts.received).toBe(2);
    expect(cell?.histogram[5]).toBe(2);
    const { Item: marker } = await dynamo.doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: "STATSMARK#CH00000000000000000003", sk: "1#received" },
      }),
    );
    expect(marker).toMatchObject({
      kind: "statsMark",
      expiresAt: Math.floor(FIXTURE_NOW.getTime() / 1000) + MARK_TTL_SECONDS,
    });
  });

  it("stops at a failing record and reports it; the retry from there counts nothing twice", async () => {
    const records = lifeRecords("CH00000000000000000005");
    let calls = 0;
    const flaky = {
      count: async (fact: StatsFact, at: Date) => {
        // The record of the delivery (third record) fails the first time.
        if (fact.name === "delivered" && calls++ === 0)
          throw Object.assign(new Error("boom"), { name: "Throttled" });
        return store.count(fact, at);
      },
    };
    const first = await countStreamBatch({ store: flaky, now }, records);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[2]?.dynamodb?.SequenceNumber }]);
    expect(first.failure).toEqual({
      sequenceNumber: records[2]?.dynamodb?.SequenceNumber,
      complaintId: "CH00000000000000000005",
      errorName: "Throttled",
    });
    expect(first.counted).toBe(1);
    // Lambda retries from the failed record (and, bisecting, may send earlier ones again).
    const retry = await countStreamBatch({ store: flaky, now }, records.slice(0));
    expect(retry).toMatchObject({ batchItemFailures: [], counted: 5, alreadyCounted: 1 });
    expect((await store.readCells())[0]?.counts.delivered).toBe(1);
  });
});

describe("StatsStore", () => {
  const fact: StatsFact = {
    name: "received",
    complaintId: "CH00000000000000000009",
    routeSeq: 1,
    platform: "jd",
    category: "price",
  };

  it("counts a fact, then finds it counted", async () => {
    expect(await store.count(fact, FIXTURE_NOW)).toBe("counted");
    expect(await store.count(fact, FIXTURE_NOW)).toBe("already_counted");
    expect(await store.count({ ...fact, routeSeq: 2 }, FIXTURE_NOW)).toBe("counted");
    const [cell] = await store.readCells();
    expect(cell).toMatchObject({ platform: "jd", category: "price" });
    expect(cell?.counts.received).toBe(2);
  });

  it("reads every page of the STATS partition", async () => {
    const pages = [
      {
        Items: [{ pk: "STATS", sk: "jd#price", received: 3 }],
        LastEvaluatedKey: { pk: "STATS", sk: "jd#price" },
      },
      { Items: [{ pk: "STATS", sk: "vip#quality", received: 4, frh_0002: 1 }] },
    ];
    const sent: unknown[] = [];
    const doc = {
      send: async (command: QueryCommand) => {
        sent.push(command.input);
        return pages[sent.length - 1];
      },
    };
    const paged = new StatsStore(doc as never, "t");
    const cells = await paged.readCells();
    expect(cells.map((c) => [c.platform, c.category, c.counts.received])).toEqual([
      ["jd", "price", 3],
      ["vip", "quality", 4],
    ]);
    expect(cells[1]?.histogram[2]).toBe(1);
    expect(sent[1]).toMatchObject({ ExclusiveStartKey: { pk: "STATS", sk: "jd#price" } });
    expect(sent[0]).toMatchObject({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "STATS" },
    });
  });

  it("tries again when another transaction writes the same counter", async () => {
    const { TransactionCanceledException } = await import("@aws-sdk/client-dynamodb");
    let attempts = 0;
    const doc = {
      send: async () => {
        attempts++;
        if (attempts < 3) {
          throw new TransactionCanceledException({
            message: "conflict",
            $metadata: {},
            CancellationReasons: [{ Code: "None" }, { Code: "TransactionConflict" }],
          });
        }
        return {};
      },
    };
    const retrying = new StatsStore(doc as never, "t", async () => undefined);
    expect(await retrying.count(fact, FIXTURE_NOW)).toBe("counted");
    expect(attempts).toBe(3);
  });
});
