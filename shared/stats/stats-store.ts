import { TransactionCanceledException, TransactionConflictException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import {
  type CellCounters,
  cellFromItem,
  cellSk,
  histogramAttribute,
  MARK_TTL_SECONDS,
  STATS_PK,
  statsMarkPk,
  statsMarkSk,
} from "./counters";
import type { StatsFact } from "./facts";

export type CountOutcome = "counted" | "already_counted";

/** Attempts of one fact's transaction when it collides with another one writing the same counter. */
const MAX_ATTEMPTS = 4;

/** The statistics' items in the complaints table: counting facts exactly once, and reading the counters. */
export class StatsStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Counts a fact once however often its stream record comes: the fact's marker is put only if new, in the same
   * transaction as the counter's ADD, so a marker that exists cancels the ADD ("already counted").
   */
  async count(fact: StatsFact, now: Date): Promise<CountOutcome> {
    const adds = ["#fact :one"];
    const names: Record<string, string> = {
      "#fact": fact.name,
      "#platform": "platform",
      "#category": "category",
      "#updatedAt": "updatedAt",
    };
    if (fact.name === "firstResponse" && fact.hours !== undefined) {
      adds.push("#bucket :one");
      names["#bucket"] = histogramAttribute(fact.hours);
    }
    const input = {
      TransactItems: [
        {
          Put: {
            TableName: this.tableName,
            Item: {
              pk: statsMarkPk(fact.complaintId),
              sk: statsMarkSk(fact.routeSeq, fact.name),
              kind: "statsMark",
              countedAt: now.toISOString(),
              expiresAt: Math.floor(now.getTime() / 1000) + MARK_TTL_SECONDS,
            },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: { pk: STATS_PK, sk: cellSk(fact.platform, fact.category) },
            UpdateExpression: `SET #platform = :platform, #category = :category, #updatedAt = :now ADD ${adds.join(", ")}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: {
              ":one": 1,
              ":platform": fact.platform,
              ":category": fact.category,
              ":now": now.toISOString(),
            },
          },
        },
      ],
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand(input));
        return "counted";
      } catch (error) {
        const reasons =
          error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
        if (reasons[0]?.Code === "ConditionalCheckFailed") return "already_counted";
        // Every fact of every shard ends in few counter items: a collision is expected now and then; try again.
        const conflict =
          error instanceof TransactionConflictException ||
          reasons.some((r) => r.Code === "TransactionConflict");
        if (!conflict || attempt >= MAX_ATTEMPTS) throw error;
        await this.sleep(Math.random() * 50 * 2 ** attempt);
      }
    }
  }

  /** Every counter cell: one Query on the STATS partition, page by page. */
  async readCells(): Promise<CellCounters[]> {
    const cells: CellCounters[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": STATS_PK },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const cell = cellFromItem(item);
        if (cell) cells.push(cell);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return cells;
  }
}
