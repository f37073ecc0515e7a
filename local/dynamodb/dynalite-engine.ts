/**
 * A typed, promise-based face over dynalite's internals (its LevelDB store, request validations and
 * actions). The local DynamoDB calls them directly instead of going through dynalite's HTTP handler: it
 * needs the parsed request to capture stream records, its own locking around each write, and operations
 * dynalite lacks (transactions), and it skips dynalite's signature-header checks as every local service does.
 */
import { createRequire } from "node:module";

/** A DynamoDB attribute value in the wire format (`{ S: "x" }`, `{ M: { ... } }`, ...). */
export type AttributeValue = {
  S?: string;
  N?: string;
  B?: string;
  SS?: string[];
  NS?: string[];
  BS?: string[];
  M?: AttributeMap;
  L?: AttributeValue[];
  NULL?: boolean;
  BOOL?: boolean;
};
export type AttributeMap = Record<string, AttributeValue>;

export interface KeySchemaElement {
  AttributeName: string;
  KeyType: string;
}

/** The parts of dynalite's stored table description the local DynamoDB reads. */
export interface TableDescription {
  TableName: string;
  TableStatus: string;
  TableArn: string;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  GlobalSecondaryIndexes?: IndexDescription[];
  LocalSecondaryIndexes?: IndexDescription[];
  [key: string]: unknown;
}

export interface IndexDescription {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
  [key: string]: unknown;
}

/** A validated request: dynalite adds parsed expressions (`_condition`, `_updates`, ...) to it. */
export type ValidatedRequest = Record<string, unknown>;

/** An error dynalite answers with: an HTTP status and an AWS JSON error body. */
export class DynamoDbServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: { __type: string; [key: string]: unknown },
  ) {
    super(String(body.message ?? body.Message ?? body.__type));
    this.name = "DynamoDbServiceError";
  }

  /** The short AWS error code, e.g. "ConditionalCheckFailedException". */
  get code(): string {
    return this.body.__type.split("#").pop() as string;
  }
}

const DYNAMODB_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#";

export function serviceError(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): DynamoDbServiceError {
  const type =
    code === "ValidationException" ? `com.amazon.coral.validate#${code}` : DYNAMODB_ERROR_PREFIX + code;
  return new DynamoDbServiceError(400, { __type: type, message, ...extra });
}

/** The on-disk state cannot be opened: the local cloud must stop with this one line. */
export class LocalDynamoDbStateError extends Error {
  override readonly name = "LocalDynamoDbStateError";
}

/** The operations dynalite implements (its own list, in index.js). */
export const DYNALITE_OPERATIONS = [
  "BatchGetItem",
  "BatchWriteItem",
  "CreateTable",
  "DeleteItem",
  "DeleteTable",
  "DescribeTable",
  "DescribeTimeToLive",
  "GetItem",
  "ListTables",
  "PutItem",
  "Query",
  "Scan",
  "TagResource",
  "UntagResource",
  "ListTagsOfResource",
  "UpdateItem",
  "UpdateTable",
] as const;
export type DynaliteOperation = (typeof DYNALITE_OPERATIONS)[number];

export function isDynaliteOperation(operation: string): operation is DynaliteOperation {
  return (DYNALITE_OPERATIONS as readonly string[]).includes(operation);
}

// --- dynalite's untyped internals -------------------------------------------------------------------------

type Callback<T> = (
  error: (Error & { statusCode?: number; body?: unknown }) | null | undefined,
  value?: T,
) => void;

interface SubDb {
  get(key: string, callback: Callback<unknown>): void;
  createValueStream(options?: object): AsyncIterable<unknown>;
}

interface Store {
  options: { maxItemSize: number };
  db: {
    open(): Promise<void>;
    close(callback: Callback<void>): void;
    getMany(keys: string[]): Promise<unknown[]>;
    status: string;
  };
  tableDb: SubDb & { awsRegion: string; awsAccountId: string };
  getItemDb(tableName: string): SubDb;
  getTable(tableName: string, checkStatus: boolean, callback: Callback<TableDescription>): void;
}

interface DbModule {
  create(options: object): Store;
  createKey(item: AttributeMap, table: TableDescription): string;
  validateKey(key: AttributeMap, table: TableDescription): Error | null | undefined;
  validateItem(item: AttributeMap, table: TableDescription): Error | null | undefined;
  validateUpdates(
    attributeUpdates: unknown,
    expressionUpdates: unknown,
    table: TableDescription,
  ): Error | null | undefined;
  checkConditional(data: ValidatedRequest, existing: AttributeMap | undefined): Error | null | undefined;
  itemSize(item: AttributeMap): number;
}

interface ValidationModule {
  types: object;
  custom?: (data: ValidatedRequest, store: Store) => string | undefined;
}

interface ValidationsModule {
  checkTypes(data: unknown, types: object): ValidatedRequest;
  checkValidations(data: ValidatedRequest, types: object, custom: unknown, store: Store): void;
}

type ActionFn = (store: Store, data: ValidatedRequest, callback: Callback<Record<string, unknown>>) => void;

const requireFromHere = createRequire(import.meta.url);
const dbModule = requireFromHere("dynalite/db") as DbModule;
const validations = requireFromHere("dynalite/validations") as ValidationsModule;
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const actions = new Map<string, ActionFn>();
const actionValidations = new Map<string, ValidationModule>();
for (const operation of DYNALITE_OPERATIONS) {
  actions.set(operation, requireFromHere(`dynalite/actions/${lowerFirst(operation)}`) as ActionFn);
  actionValidations.set(
    operation,
    requireFromHere(`dynalite/validations/${lowerFirst(operation)}`) as ValidationModule,
  );
}

/** dynalite's errors carry `statusCode` and an AWS body; anything else is a genuine failure. */
function toServiceError(error: unknown): unknown {
  const e = error as { statusCode?: number; body?: { __type?: string } } | undefined;
  if (e && typeof e.statusCode === "number" && e.body && typeof e.body.__type === "string") {
    return new DynamoDbServiceError(e.statusCode, e.body as { __type: string });
  }
  return error;
}

/** One dynalite store on disk (LevelDB in a folder). */
export class DynaliteEngine {
  private constructor(private readonly store: Store) {}

  /**
   * Opens (or creates) the LevelDB folder. An unreadable folder becomes a LocalDynamoDbStateError whose
   * message names the folder and the way out.
   */
  static async open(options: { path: string; region: string; accountId: string }): Promise<DynaliteEngine> {
    const store = dbModule.create({
      path: options.path,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    try {
      await store.db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === "LEVEL_LOCKED") {
        throw new LocalDynamoDbStateError(
          `DynamoDB state in ${options.path} is in use by another process: stop the other local cloud or pass --state-dir`,
        );
      }
      throw new LocalDynamoDbStateError(
        `DynamoDB state in ${options.path} cannot be opened (${oneLine(cause?.message ?? (error as Error).message)}): restart with --reset to start from empty tables`,
      );
    }
    // Table ARNs name the local cloud's region and account, not dynalite's defaults.
    store.tableDb.awsRegion = options.region;
    store.tableDb.awsAccountId = options.accountId;
    const engine = new DynaliteEngine(store);
    try {
      await engine.listTables();
    } catch (error) {
      await engine.close().catch(() => undefined);
      throw new LocalDynamoDbStateError(
        `DynamoDB state in ${options.path} is unreadable (${oneLine((error as Error).message)}): restart with --reset to start from empty tables`,
      );
    }
    return engine;
  }

  /** Type-checks and validates a request as DynamoDB would; throws DynamoDbServiceError. */
  validate(operation: DynaliteOperation, input: unknown): ValidatedRequest {
    const rules = actionValidations.get(operation) as ValidationModule;
    try {
      const data = validations.checkTypes(input, rules.types);
      validations.checkValidations(data, rules.types, rules.custom, this.store);
      return data;
    } catch (error) {
      throw toServiceError(error);
    }
  }

  /** Runs a validated request; throws DynamoDbServiceError for the errors DynamoDB answers with. */
  run(operation: DynaliteOperation, data: ValidatedRequest): Promise<Record<string, unknown>> {
    const action = actions.get(operation) as ActionFn;
    return new Promise((resolve, reject) => {
      try {
        action(this.store, data, (error, result) =>
          error ? reject(toServiceError(error)) : resolve(result ?? {}),
        );
      } catch (error) {
        reject(toServiceError(error));
      }
    });
  }

  /** The table's description; with `active`, a table still being created or deleted counts as missing. */
  getTable(tableName: string, active = true): Promise<TableDescription> {
    return new Promise((resolve, reject) => {
      this.store.getTable(tableName, active, (error, table) =>
        error ? reject(toServiceError(error)) : resolve(table as TableDescription),
      );
    });
  }

  /** The table, or undefined when it does not exist (yet). */
  async findTable(tableName: string, active = true): Promise<TableDescription | undefined> {
    try {
      return await this.getTable(tableName, active);
    } catch (error) {
      if (error instanceof DynamoDbServiceError && error.code === "ResourceNotFoundException")
        return undefined;
      throw error;
    }
  }

  async listTables(): Promise<TableDescription[]> {
    const tables: TableDescription[] = [];
    for await (const table of this.store.tableDb.createValueStream()) tables.push(table as TableDescription);
    return tables;
  }

  /** Waits until a just created table leaves CREATING (dynalite flips it on a zero-delay timer). */
  async waitUntilActive(tableName: string): Promise<TableDescription> {
    for (let attempt = 0; attempt < 500; attempt++) {
      const table = await this.getTable(tableName, false);
      if (table.TableStatus === "ACTIVE") return table;
      await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 0 : 10));
    }
    throw new Error(`Local DynamoDB table ${tableName} did not become ACTIVE`);
  }

  /** Waits until a deleted table is gone. */
  async waitUntilDeleted(tableName: string): Promise<void> {
    for (let attempt = 0; attempt < 500; attempt++) {
      if (!(await this.findTable(tableName, false))) return;
      await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 0 : 10));
    }
    throw new Error(`Local DynamoDB table ${tableName} was not deleted`);
  }

  /** A consistent read of the stored item (undefined when absent). `key` may be a whole item. */
  async readItem(table: TableDescription, key: AttributeMap): Promise<AttributeMap | undefined> {
    return (await this.readItems([{ table, key }]))[0];
  }

  /**
   * Consistent reads of several items in one LevelDB call. Reads the store directly (dynalite keeps an item
   * under `item-<table>~<key>`) rather than through its callback wrappers, which add an event-loop turn to
   * every read: these reads sit inside a table's write lock, so each turn costs throughput.
   */
  async readItems(
    reads: readonly { table: TableDescription; key: AttributeMap }[],
  ): Promise<(AttributeMap | undefined)[]> {
    if (reads.length === 0) return [];
    const keys = reads.map(({ table, key }) => `item-${table.TableName}~${dbModule.createKey(key, table)}`);
    const items = await this.store.db.getMany(keys);
    return items.map((item) => (item ?? undefined) as AttributeMap | undefined);
  }

  /** Every item of a table (for rebuilding it with new indexes). */
  async allItems(tableName: string): Promise<AttributeMap[]> {
    const items: AttributeMap[] = [];
    for await (const item of this.store.getItemDb(tableName).createValueStream())
      items.push(item as AttributeMap);
    return items;
  }

  /** dynalite's storage key for an item or key: equal strings mean the same item. */
  itemKey(table: TableDescription, key: AttributeMap): string {
    return dbModule.createKey(key, table);
  }

  /** Why `key` (a key, or a whole item with `isItem`) does not fit the table, or undefined when it fits. */
  invalidKey(table: TableDescription, key: AttributeMap, isItem: boolean): DynamoDbServiceError | undefined {
    const error = isItem ? dbModule.validateItem(key, table) : dbModule.validateKey(key, table);
    return error ? (toServiceError(error) as DynamoDbServiceError) : undefined;
  }

  invalidUpdate(table: TableDescription, data: ValidatedRequest): DynamoDbServiceError | undefined {
    const error = dbModule.validateUpdates(data.AttributeUpdates, data._updates, table);
    return error ? (toServiceError(error) as DynamoDbServiceError) : undefined;
  }

  /** The ConditionalCheckFailed error when the request's condition does not hold for `existing`. */
  failedCondition(data: ValidatedRequest, existing: AttributeMap | undefined): boolean {
    return dbModule.checkConditional(data, existing) != null;
  }

  itemSize(item: AttributeMap): number {
    return dbModule.itemSize(item);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.store.db.close((error) => (error ? reject(error) : resolve())),
    );
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
