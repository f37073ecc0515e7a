/**
 * TransactWriteItems and TransactGetItems, which dynalite lacks, built from its single-item validations and
 * actions. The caller holds the write locks of every table involved, so conditions are checked and writes
 * applied with no other write in between: all or nothing as far as other requests can tell (a crash halfway
 * through applying could still leave part of a transaction, which AWS never does).
 */
import {
  type AttributeMap,
  type DynaliteEngine,
  DynamoDbServiceError,
  serviceError,
  type TableDescription,
  type ValidatedRequest,
} from "./dynalite-engine";

const MAX_TRANSACT_ITEMS = 100;

type TransactKind = "ConditionCheck" | "Put" | "Delete" | "Update";
const KINDS: readonly TransactKind[] = ["ConditionCheck", "Put", "Delete", "Update"];

export interface TransactWriteEntry {
  kind: TransactKind;
  tableName: string;
  /** The key, or the whole item for a Put. */
  key: AttributeMap;
  isItem: boolean;
  data: ValidatedRequest;
  returnOldOnConditionFailure: boolean;
}

export interface TransactGetEntry {
  tableName: string;
  data: ValidatedRequest;
}

function validation(message: string): DynamoDbServiceError {
  return serviceError("ValidationException", message);
}

function transactItemsOf(input: unknown): Record<string, unknown>[] {
  const items = (input as { TransactItems?: unknown } | null)?.TransactItems;
  if (!Array.isArray(items)) {
    throw validation(
      "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
    );
  }
  if (items.length < 1 || items.length > MAX_TRANSACT_ITEMS) {
    const bound =
      items.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_TRANSACT_ITEMS}`;
    throw validation(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  return items.map((item) => (typeof item === "object" && item !== null ? item : {})) as Record<
    string,
    unknown
  >[];
}

/** Validates a TransactWriteItems request entry by entry, as the matching single-item request. */
export function parseTransactWrite(engine: DynaliteEngine, input: unknown): TransactWriteEntry[] {
  return transactItemsOf(input).map((item) => {
    const kinds = KINDS.filter((kind) => item[kind] != null);
    if (kinds.length !== 1) {
      throw validation("TransactItems can only contain one of Check, Put, Update or Delete");
    }
    const kind = kinds[0] as TransactKind;
    const body = { ...(item[kind] as Record<string, unknown>) };
    const returnOld = body.ReturnValuesOnConditionCheckFailure === "ALL_OLD";
    delete body.ReturnValuesOnConditionCheckFailure;
    if (kind === "ConditionCheck" && body.ConditionExpression == null) {
      throw validation(
        "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
      );
    }
    if (kind === "Update" && body.UpdateExpression == null) {
      throw validation(
        "1 validation error detected: Value null at 'transactItems.1.member.update.updateExpression' failed to satisfy constraint: Member must not be null",
      );
    }
    const operation = kind === "Put" ? "PutItem" : kind === "Update" ? "UpdateItem" : "DeleteItem";
    const data = engine.validate(operation, body);
    const isItem = kind === "Put";
    return {
      kind,
      tableName: String(data.TableName),
      key: (isItem ? data.Item : data.Key) as AttributeMap,
      isItem,
      data,
      returnOldOnConditionFailure: returnOld,
    };
  });
}

/**
 * Checks every condition against the current items, then applies the writes in order. Throws
 * TransactionCanceledException (with a reason per entry) when any condition fails, changing nothing.
 */
export async function executeTransactWrite(
  engine: DynaliteEngine,
  entries: readonly TransactWriteEntry[],
): Promise<Record<string, unknown>> {
  const tables = new Map<string, TableDescription>();
  const seen = new Set<string>();
  for (const entry of entries) {
    let table = tables.get(entry.tableName);
    if (!table) {
      table = await engine.getTable(entry.tableName);
      tables.set(entry.tableName, table);
    }
    const invalid =
      engine.invalidKey(table, entry.key, entry.isItem) ??
      (entry.kind === "Update" ? engine.invalidUpdate(table, entry.data) : undefined);
    if (invalid) throw invalid;
    const itemKey = `${entry.tableName}\u0000${engine.itemKey(table, entry.key)}`;
    if (seen.has(itemKey))
      throw validation("Transaction request cannot include multiple operations on one item");
    seen.add(itemKey);
  }
  const current = await engine.readItems(
    entries.map((entry) => ({ table: tables.get(entry.tableName) as TableDescription, key: entry.key })),
  );
  const reasons = entries.map((entry, index) => {
    const item = current[index];
    if (!engine.failedCondition(entry.data, item)) return { Code: "None" };
    return {
      Code: "ConditionalCheckFailed",
      Message: "The conditional request failed",
      ...(entry.returnOldOnConditionFailure && item ? { Item: item } : {}),
    };
  });
  if (reasons.some((reason) => reason.Code !== "None")) {
    throw new DynamoDbServiceError(400, {
      __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
      Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
      CancellationReasons: reasons,
    });
  }
  for (const entry of entries) {
    if (entry.kind === "Put") await engine.run("PutItem", entry.data);
    else if (entry.kind === "Update") await engine.run("UpdateItem", entry.data);
    else if (entry.kind === "Delete") await engine.run("DeleteItem", entry.data);
  }
  return {};
}

export function parseTransactGet(engine: DynaliteEngine, input: unknown): TransactGetEntry[] {
  return transactItemsOf(input).map((item) => {
    if (item.Get == null) throw validation("TransactItems can only contain Get");
    const data = engine.validate("GetItem", item.Get);
    return { tableName: String(data.TableName), data };
  });
}

export async function executeTransactGet(
  engine: DynaliteEngine,
  entries: readonly TransactGetEntry[],
): Promise<Record<string, unknown>> {
  const responses = [];
  for (const entry of entries) {
    const result = await engine.run("GetItem", entry.data);
    responses.push(result.Item ? { Item: result.Item } : {});
  }
  return { Responses: responses };
}
