import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  type AttemptRecord,
  COMPLAINT_SK,
  type ComplaintRecord,
  complaintPk,
  type DeliveryState,
  statusSortKey,
} from "../complaint/record";
import { decideTransition, type TransitionRequest } from "../lifecycle/state-machine";
import { UpdateExpression } from "./update-expression";

/** Another writer changed the complaint first; the caller re-reads and decides again. */
export class VersionConflictError extends Error {
  constructor(readonly complaintId: string) {
    super(`Complaint ${complaintId} changed concurrently`);
    this.name = "VersionConflictError";
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
    const at = request.at.toISOString();
    const update = new UpdateExpression()
      .set("status", outcome.status)
      .set("version", outcome.version)
      .set("updatedAt", at)
      .set("gsi1sk", statusSortKey(outcome.status, at))
      .append("timeline", [outcome.entry]);
    for (const [path, value] of Object.entries(effects.set ?? {})) update.set(path, value);
    for (const path of effects.remove ?? []) update.remove(path);
    await this.conditionalUpdate(current, update);
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
      if (error instanceof ConditionalCheckFailedException)
        throw new VersionConflictError(current.complaintId);
      throw error;
    }
  }
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
