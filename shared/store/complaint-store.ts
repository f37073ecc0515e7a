import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  type AttemptRecord,
  COMPLAINT_SK,
  type ComplaintRecord,
  complaintPk,
  type DeliveryState,
  statusSortKey,
} from "../complaint/record";
import { decideSteps, decideTransition, type TransitionRequest } from "../lifecycle/state-machine";
import type { ComplaintStatus, TimelineEntry } from "../lifecycle/states";
import { withTimers } from "../lifecycle/timers";
import { UpdateExpression } from "./update-expression";

/** Another writer changed the complaint first; the caller re-reads and decides again. */
export class VersionConflictError extends Error {
  constructor(readonly complaintId: string) {
    super(`Complaint ${complaintId} changed concurrently`);
    this.name = "VersionConflictError";
  }
}

/** An item written "only if new" in a transaction already exists (e.g. a report processed before). */
export class ItemExistsError extends Error {
  constructor(readonly key: { pk: string; sk: string }) {
    super(`Item ${key.pk} / ${key.sk} already exists`);
    this.name = "ItemExistsError";
  }
}

export type CreateOutcome = { created: true } | { created: false; existing: ComplaintRecord };

/** Extra attribute changes written in the same conditional update as a transition. */
export interface SideEffects {
  set?: Record<string, unknown>;
  remove?: string[];
}

export class ComplaintStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The commit point of a submission: a put that succeeds only if the complaint id is new. */
  async create(record: ComplaintRecord): Promise<CreateOutcome> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { created: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const existing = await this.get(record.complaintId);
        if (existing) return { created: false, existing };
      }
      throw error;
    }
  }

  async get(complaintId: string): Promise<ComplaintRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: complaintPk(complaintId), sk: COMPLAINT_SK },
        ConsistentRead: true,
      }),
    );
    return Item as ComplaintRecord | undefined;
  }

  /**
   * Moves a complaint through the lifecycle: the state machine decides, and the write is conditional on the
   * version it decided on, so a concurrent change makes this throw VersionConflictError instead of winning.
   */
  async transition(
    current: ComplaintRecord,
    request: TransitionRequest,
    effects: SideEffects = {},
  ): Promise<void> {
    const outcome = decideTransition(current, request);
    const update = lifecycleUpdate(current, outcome.status, outcome.version, [outcome.entry], effects);
    await this.conditionalUpdate(current, update);
  }

  /**
   * Several lifecycle steps decided in order by the state machine (decideSteps) and written as one update
   * conditional on the version read, in one transaction with `newItems` (each put only if its key is new): all
   * of it happens or none. A concurrent change throws VersionConflictError; an existing new item throws
   * ItemExistsError.
   */
  async applySteps(
    current: ComplaintRecord,
    steps: readonly TransitionRequest[],
    effects: SideEffects = {},
    newItems: readonly { pk: string; sk: string }[] = [],
  ): Promise<{ status: ComplaintStatus; version: number }> {
    const outcome = decideSteps(current, steps);
    const update = lifecycleUpdate(current, outcome.status, outcome.version, outcome.entries, effects);
    const condition = update.condition((name, value) => `${name("version")} = ${value(current.version)}`);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: complaintPk(current.complaintId), sk: COMPLAINT_SK },
                ConditionExpression: condition,
                ...update.build(),
              },
            },
            ...newItems.map((item) => ({
              Put: { TableName: this.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" },
            })),
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionConflictException) throw new VersionConflictError(current.complaintId);
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      // Another transaction was writing the complaint at the same moment: a concurrent change like any other.
      if (reasons.some((r) => r.Code === "TransactionConflict"))
        throw new VersionConflictError(current.complaintId);
      const existing = reasons.findIndex((r, i) => i > 0 && r.Code === "ConditionalCheckFailed");
      if (existing > 0) {
        const item = newItems[existing - 1] as { pk: string; sk: string };
        throw new ItemExistsError({ pk: item.pk, sk: item.sk });
      }
      if (reasons[0]?.Code === "ConditionalCheckFailed") throw new VersionConflictError(current.complaintId);
      throw error;
    }
    return { status: outcome.status, version: outcome.version };
  }

  /** An item other than a complaint (report, attempt, ...) by its key. */
  async getItem<T>(pk: string, sk: string): Promise<T | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return Item as T | undefined;
  }

  /** One page of a Query (an index's, for lists: the table is never scanned). */
  async query(
    input: Omit<QueryCommandInput, "TableName">,
  ): Promise<{ items: Record<string, unknown>[]; lastKey?: Record<string, unknown> }> {
    const { Items, LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({ ...input, TableName: this.tableName }),
    );
    return { items: Items ?? [], ...(LastEvaluatedKey ? { lastKey: LastEvaluatedKey } : {}) };
  }

  /** Puts an item only if its key is new; false when it exists. */
  async putIfNew(item: { pk: string; sk: string }): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Changes delivery bookkeeping without a lifecycle transition (still guarded by the version). */
  async updateDelivery(current: ComplaintRecord, delivery: Partial<DeliveryState>, now: Date): Promise<void> {
    const update = new UpdateExpression()
      .set("updatedAt", now.toISOString())
      .set("version", current.version + 1);
    for (const [key, value] of Object.entries(delivery)) {
      if (value !== undefined) update.set(`delivery.${key}`, value);
    }
    await this.conditionalUpdate(current, update);
  }

  async putAttempt(attempt: AttemptRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: attempt }));
  }

  private async conditionalUpdate(current: ComplaintRecord, update: UpdateExpression): Promise<void> {
    const condition = update.condition((name, value) => `${name("version")} = ${value(current.version)}`);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: complaintPk(current.complaintId), sk: COMPLAINT_SK },
          ConditionExpression: condition,
          ...update.build(),
        }),
      );
    } catch (error) {
      // A transaction writing the same complaint at that moment is a concurrent change too.
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionConflictException) {
        throw new VersionConflictError(current.complaintId);
      }
      throw error;
    }
  }
}

/**
 * The update of one lifecycle write: status, version, timeline entries and the caller's effects, completed with
 * the timers that follow (shared/lifecycle/timers.ts). The status sort key changes only when the status does.
 */
function lifecycleUpdate(
  current: ComplaintRecord,
  status: ComplaintStatus,
  version: number,
  entries: readonly TimelineEntry[],
  effects: SideEffects,
): UpdateExpression {
  const at = (entries.at(-1) as TimelineEntry).at;
  const changes = withTimers(
    current,
    entries.map((entry) => ({ from: entry.from, to: entry.to, actor: entry.actor, at: new Date(entry.at) })),
    effects,
  );
  const update = new UpdateExpression()
    .set("status", status)
    .set("version", version)
    .set("updatedAt", at)
    .append("timeline", [...entries]);
  if (status !== current.status) update.set("gsi1sk", statusSortKey(status, at));
  for (const [path, value] of Object.entries(changes.set)) update.set(path, value);
  for (const path of changes.remove) update.remove(path);
  return update;
}

/**
 * Applies a change decided from a fresh read, re-reading and deciding again when another writer won the race.
 * `decide` returns false when there is nothing (left) to do.
 */
export async function withFreshRead(
  store: ComplaintStore,
  complaintId: string,
  decide: (current: ComplaintRecord) => Promise<boolean>,
  attempts = 5,
): Promise<ComplaintRecord | undefined> {
  for (let i = 0; i < attempts; i++) {
    const current = await store.get(complaintId);
    if (!current) return undefined;
    try {
      await decide(current);
      return current;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || i === attempts - 1) throw error;
    }
  }
  return undefined;
}
