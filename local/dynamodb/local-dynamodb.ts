/**
 * The local cloud's DynamoDB: dynalite's LevelDB-backed implementation, data kept in `<stateDir>/dynamodb/`,
 * plus what dynalite lacks and the hub needs — DynamoDB Streams records for the Lambda stream event sources,
 * TransactWriteItems / TransactGetItems, and Time to Live settings.
 *
 * Every write holds the write lock of each table it touches; for tables with a stream, the touched items are
 * read (consistently) before and after the write and a record is kept for each item that actually changed —
 * INSERT, MODIFY or REMOVE with the images the stream view type asks for. Failed conditions, identical
 * overwrites and deletes of missing items leave no record, as on AWS. See README.md for what AWS does that
 * this does not.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { callerOf, dynamoDbFaultAnswer, isRaceable, type LocalFaults } from "../faults";
import type { StreamRecordSource } from "../lambda/stream-event-source";
import type { TableModel } from "../template/stack-model";
import {
  type AttributeMap,
  DynaliteEngine,
  DynamoDbServiceError,
  isDynaliteOperation,
  type KeySchemaElement,
  LocalDynamoDbStateError,
  serviceError,
  type TableDescription,
} from "./dynalite-engine";
import { type StreamConfig, StreamLog, type StreamReader } from "./stream-log";
import { itemChange, STREAM_VIEW_TYPES, type StreamViewType } from "./stream-records";
import { TableLocks } from "./table-locks";
import {
  executeTransactGet,
  executeTransactWrite,
  parseTransactGet,
  parseTransactWrite,
} from "./transactions";
import { WriteIntents, type WriteIntentTouch } from "./write-intents";

export { DynamoDbServiceError, LocalDynamoDbStateError } from "./dynalite-engine";
export type { StreamPosition, StreamReader } from "./stream-log";
export type { DynamoDbStreamRecord, StreamViewType } from "./stream-records";

export const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810.";

export interface LocalDynamoDbOptions {
  /** The local cloud's state folder; DynamoDB keeps its data in `<stateDir>/dynamodb/`. */
  stateDir: string;
  region: string;
  accountId: string;
  /** For ARNs of tables and streams created through the API (default "aws", like the rest of the local cloud). */
  partition?: string;
  /** Milliseconds since the epoch; stream record times and the 24-hour retention use it. */
  now?: () => number;
  /** Test-only fault injection (local/faults.ts), consulted for requests that arrive over HTTP. */
  faults?: LocalFaults;
}

type AttributeDefinition = { AttributeName: string; AttributeType: string };
type IndexDefinition = {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
};

/**
 * A table as `AWS::DynamoDB::GlobalTable` / `AWS::DynamoDB::Table` properties (or a CreateTable request)
 * declare it. Throughput settings are ignored: local tables are on-demand.
 */
export interface CloudFormationTableDefinition {
  TableName: string;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  GlobalSecondaryIndexes?: (IndexDefinition & Record<string, unknown>)[];
  LocalSecondaryIndexes?: (IndexDefinition & Record<string, unknown>)[];
  StreamSpecification?: { StreamViewType?: string; StreamEnabled?: boolean };
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  BillingMode?: string;
  /** The stream ARN the template resolves `Fn::GetAtt [Table, StreamArn]` to; `<table ARN>/stream/local` if absent. */
  StreamArn?: string;
}

/** What the template model (local/template/stack-model.ts) or CloudFormation properties declare. */
export type TableDefinition = TableModel | CloudFormationTableDefinition;

export interface ProvisionedTable {
  tableName: string;
  tableArn: string;
  streamArn?: string;
  /** "rebuilt": the table existed with other indexes; its items were kept and re-indexed. */
  outcome: "created" | "unchanged" | "rebuilt";
}

interface DesiredTable {
  name: string;
  keySchema: KeySchemaElement[];
  attributeDefinitions: AttributeDefinition[];
  globalSecondaryIndexes: IndexDefinition[];
  localSecondaryIndexes: IndexDefinition[];
  stream?: { viewType: StreamViewType; arn?: string };
  timeToLiveAttribute?: string;
}

/** One item a write may change. */
interface Touch {
  tableName: string;
  /** The key, or the whole item for a put. */
  key: AttributeMap;
  isItem: boolean;
}

const TIME_TO_LIVE_FILE = "time-to-live.json";

export function dynamoDbStateDirectory(stateDir: string): string {
  return join(stateDir, "dynamodb");
}

export class LocalDynamoDb {
  private readonly locks = new TableLocks();
  private readonly streamsByArn = new Map<string, StreamLog>();
  /** Table name → the stream that captures its writes now. */
  private readonly activeStreams = new Map<string, StreamLog>();
  private readonly timeToLive = new Map<string, string>();
  private readonly tableCache = new Map<string, TableDescription>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Writes in progress on stream-enabled tables (./write-intents.ts): a crash mid-write loses no record. */
  private intents: WriteIntents | undefined;
  private readonly now: () => number;
  private readonly partition: string;
  private closed = false;

  private constructor(
    /** `<stateDir>/dynamodb` */
    readonly directory: string,
    private readonly engine: DynaliteEngine,
    private readonly options: LocalDynamoDbOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.partition = options.partition ?? "aws";
  }

  /**
   * Opens the DynamoDB state in `<stateDir>/dynamodb/` (created when missing). State that cannot be read
   * throws LocalDynamoDbStateError, whose one-line message names the folder and says to restart with --reset.
   */
  static async open(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
    const directory = dynamoDbStateDirectory(options.stateDir);
    try {
      mkdirSync(join(directory, "streams"), { recursive: true });
    } catch (error) {
      throw new LocalDynamoDbStateError(
        `DynamoDB state folder ${directory} cannot be created (${(error as Error).message}): restart with --reset`,
      );
    }
    const engine = await DynaliteEngine.open({
      path: join(directory, "tables"),
      region: options.region,
      accountId: options.accountId,
    });
    const db = new LocalDynamoDb(directory, engine, options);
    try {
      db.loadStreams();
      db.loadTimeToLive();
      const { intents, unfinished } = WriteIntents.open(directory);
      db.intents = intents;
      await db.settleUnfinishedWrites(unfinished);
      intents.settled();
    } catch (error) {
      db.closeStreams();
      db.intents?.close();
      await engine.close().catch(() => undefined);
      throw error;
    }
    return db;
  }

  /** Serves one DynamoDB JSON-protocol request whose body the shared endpoint has already read. */
  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestType = String(req.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim();
    const contentType = requestType === "application/x-amz-json-1.0" ? requestType : "application/json";
    const target = String(req.headers["x-amz-target"] ?? "");
    let status = 200;
    let payload: unknown;
    try {
      if (!target.startsWith(DYNAMODB_TARGET_PREFIX)) {
        throw new DynamoDbServiceError(400, { __type: "com.amazon.coral.service#UnknownOperationException" });
      }
      let input: unknown;
      try {
        input = body.length === 0 ? undefined : JSON.parse(body.toString("utf8"));
      } catch {
        throw new DynamoDbServiceError(400, { __type: "com.amazon.coral.service#SerializationException" });
      }
      if (input === undefined) {
        throw new DynamoDbServiceError(400, { __type: "com.amazon.coral.service#SerializationException" });
      }
      const operation = target.slice(DYNAMODB_TARGET_PREFIX.length);
      const fault = this.options.faults?.requestFault(
        "dynamodb",
        operation,
        (kind) => kind === "throttle" || isRaceable(operation, input),
        callerOf(req.headers.authorization),
      );
      const injected = fault ? dynamoDbFaultAnswer(fault, operation, input) : undefined;
      if (injected) throw new DynamoDbServiceError(400, injected);
      payload = await this.request(operation, input);
    } catch (error) {
      if (error instanceof DynamoDbServiceError) {
        status = error.statusCode;
        payload = error.body;
      } else {
        console.error(`[dynamodb] ${target} failed:`, error);
        status = 500;
        payload = {
          __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
          message: `The local DynamoDB failed: ${(error as Error)?.message ?? String(error)}`,
        };
      }
    }
    if (res.destroyed) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomUUID(),
      "x-amz-crc32": String(crc32(text)),
    });
    res.end(text);
  }

  /**
   * Runs one DynamoDB API call (`operation` as in X-Amz-Target, `input` as the JSON body) and returns the
   * response body; DynamoDB's errors are thrown as DynamoDbServiceError.
   */
  request(operation: string, input: unknown): Promise<Record<string, unknown>> {
    if (this.closed) {
      return Promise.reject(
        new DynamoDbServiceError(500, {
          __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
          message: "The local DynamoDB is shutting down",
        }),
      );
    }
    const running = this.dispatch(operation, input);
    this.inFlight.add(running);
    const forget = () => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /**
   * Creates a table as the template declares it; idempotent. An existing table with the same key schema is
   * kept (with its items); if its indexes differ it is rebuilt with the declared ones, items kept. A different
   * key schema cannot be reconciled and throws, naming --reset. Registers the table's stream, if any.
   */
  async createTable(definition: TableDefinition): Promise<ProvisionedTable> {
    const desired = this.normalize(definition);
    return this.locks.withLocks([desired.name], async () => {
      this.tableCache.delete(desired.name);
      let table = await this.engine.findTable(desired.name, false);
      let outcome: ProvisionedTable["outcome"] = "unchanged";
      if (table && table.TableStatus !== "ACTIVE") table = await this.engine.waitUntilActive(desired.name);
      if (!table) {
        table = await this.createDynaliteTable(desired);
        outcome = "created";
      } else {
        const stored = keySignature(table.KeySchema, table.AttributeDefinitions);
        const declared = keySignature(desired.keySchema, desired.attributeDefinitions);
        if (stored !== declared) {
          throw new LocalDynamoDbStateError(
            `Local DynamoDB table ${desired.name} has key schema ${stored} but the template declares ${declared}: restart with --reset (this discards local data)`,
          );
        }
        if (indexSignature(table) !== indexSignature(desiredAsDescription(desired))) {
          table = await this.rebuildTable(desired);
          outcome = "rebuilt";
        }
      }
      if (desired.stream) {
        const arn = desired.stream.arn ?? `${table.TableArn}/stream/local`;
        this.enableStream(table, desired.stream.viewType, arn);
      } else {
        this.disableStream(desired.name);
      }
      this.setTimeToLive(desired.name, desired.timeToLiveAttribute);
      const stream = this.activeStreams.get(desired.name);
      return {
        tableName: desired.name,
        tableArn: table.TableArn,
        ...(stream ? { streamArn: stream.streamArn } : {}),
        outcome,
      };
    });
  }

  /** The reader of a stream, for a Lambda stream event source. Throws for an unknown stream. */
  streamReader(streamArn: string): StreamReader & StreamRecordSource {
    const log = this.streamsByArn.get(streamArn);
    if (!log) {
      const known = [...this.streamsByArn.keys()].join(", ") || "none";
      throw new Error(`No local DynamoDB stream ${streamArn} (known streams: ${known})`);
    }
    return log;
  }

  /** The ARN of the stream capturing writes to `tableName` now, if it has one. */
  streamArnOf(tableName: string): string | undefined {
    return this.activeStreams.get(tableName)?.streamArn;
  }

  /** Waits for requests in progress, then closes the stream logs and the LevelDB store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.closeStreams();
    this.intents?.close();
    await this.engine.close();
  }

  // --- requests ---------------------------------------------------------------------------------------------

  private async dispatch(operation: string, input: unknown): Promise<Record<string, unknown>> {
    switch (operation) {
      case "PutItem":
      case "UpdateItem":
      case "DeleteItem":
        return this.singleWrite(operation, input);
      case "BatchWriteItem":
        return this.batchWrite(input);
      case "TransactWriteItems":
        return this.transactWrite(input);
      case "TransactGetItems": {
        const entries = parseTransactGet(this.engine, input);
        return this.locks.withLocks(
          entries.map((e) => e.tableName),
          () => executeTransactGet(this.engine, entries),
        );
      }
      case "CreateTable":
        return this.createTableRequest(input);
      case "DeleteTable":
        return this.deleteTableRequest(input);
      case "UpdateTable":
        return this.updateTableRequest(input);
      case "DescribeTable": {
        const result = await this.engine.run("DescribeTable", this.engine.validate("DescribeTable", input));
        return { ...result, Table: this.withStream(result.Table as TableDescription) };
      }
      case "DescribeTimeToLive":
        return this.describeTimeToLive(input);
      case "UpdateTimeToLive":
        return this.updateTimeToLive(input);
      default:
        if (!isDynaliteOperation(operation)) {
          throw new DynamoDbServiceError(400, {
            __type: "com.amazon.coral.service#UnknownOperationException",
            message: `The local DynamoDB does not support ${operation}`,
          });
        }
        return this.engine.run(operation, this.engine.validate(operation, input));
    }
  }

  private async singleWrite(
    operation: "PutItem" | "UpdateItem" | "DeleteItem",
    input: unknown,
  ): Promise<Record<string, unknown>> {
    // dynalite does not know this parameter (its validation drops it): read it first.
    const returnOld =
      (input as { ReturnValuesOnConditionCheckFailure?: unknown } | null)
        ?.ReturnValuesOnConditionCheckFailure === "ALL_OLD";
    const data = this.engine.validate(operation, input);
    const isItem = operation === "PutItem";
    const touch: Touch = {
      tableName: String(data.TableName),
      key: (isItem ? data.Item : data.Key) as AttributeMap,
      isItem,
    };
    return this.locks.withLocks([touch.tableName], async () => {
      try {
        return await this.captured([touch], () => this.engine.run(operation, data));
      } catch (error) {
        if (
          returnOld &&
          error instanceof DynamoDbServiceError &&
          error.code === "ConditionalCheckFailedException"
        ) {
          // Nothing was written and the lock is still held: the current item is the one the condition saw.
          const item = await this.readTouched(touch);
          if (item) throw new DynamoDbServiceError(error.statusCode, { ...error.body, Item: item });
        }
        throw error;
      }
    });
  }

  private batchWrite(input: unknown): Promise<Record<string, unknown>> {
    const data = this.engine.validate("BatchWriteItem", input);
    const requestItems = data.RequestItems as Record<
      string,
      { PutRequest?: { Item: AttributeMap }; DeleteRequest?: { Key: AttributeMap } }[]
    >;
    const touches: Touch[] = [];
    for (const [tableName, requests] of Object.entries(requestItems)) {
      for (const request of requests) {
        if (request.PutRequest) touches.push({ tableName, key: request.PutRequest.Item, isItem: true });
        else if (request.DeleteRequest)
          touches.push({ tableName, key: request.DeleteRequest.Key, isItem: false });
      }
    }
    return this.locks.withLocks(Object.keys(requestItems), () =>
      this.captured(touches, () => this.engine.run("BatchWriteItem", data)),
    );
  }

  private transactWrite(input: unknown): Promise<Record<string, unknown>> {
    const entries = parseTransactWrite(this.engine, input);
    const touches = entries
      .filter((e) => e.kind !== "ConditionCheck")
      .map((e) => ({ tableName: e.tableName, key: e.key, isItem: e.isItem }));
    return this.locks.withLocks(
      entries.map((e) => e.tableName),
      () => this.captured(touches, () => executeTransactWrite(this.engine, entries)),
    );
  }

  /**
   * Runs `write` (the caller holds the tables' locks) and keeps a stream record for each touched item of a
   * stream-enabled table that it changed — also when `write` fails, so a partly applied batch is recorded
   * exactly as far as it got.
   */
  private async captured<T>(touches: readonly Touch[], write: () => Promise<T>): Promise<T> {
    const watched: { table: TableDescription; key: AttributeMap; stream: StreamLog }[] = [];
    for (const touch of touches) {
      const stream = this.activeStreams.get(touch.tableName);
      if (!stream) continue;
      const table = await this.activeTable(touch.tableName);
      // A missing table or a malformed key fails the write itself: nothing to capture.
      if (!table || this.engine.invalidKey(table, touch.key, touch.isItem)) continue;
      watched.push({ table, key: touch.key, stream });
    }
    if (watched.length === 0) return write();
    const before = await this.engine.readItems(watched);
    const intent = this.intents?.begin(
      watched.map((w, index) => ({
        streamArn: w.stream.streamArn,
        tableName: w.table.TableName,
        key: w.key,
        before: before[index],
      })),
    );
    try {
      return await write();
    } finally {
      const after = await this.engine.readItems(watched);
      watched.forEach((w, index) => {
        const change = itemChange(keyAttributes(w.table.KeySchema), before[index], after[index]);
        if (change) w.stream.append(change);
      });
      if (intent !== undefined) this.intents?.end(intent);
    }
  }

  /**
   * The writes a killed local cloud left between its item and its stream record: each touched item as it is now
   * against its before-image; what changed gets its record (an unchanged item means the write never landed).
   */
  private async settleUnfinishedWrites(unfinished: readonly WriteIntentTouch[][]): Promise<void> {
    for (const touches of unfinished) {
      for (const touch of touches) {
        const stream = this.streamsByArn.get(touch.streamArn);
        const table = await this.activeTable(touch.tableName);
        if (!stream || !table) continue;
        const now = await this.engine.readItem(table, touch.key).catch(() => undefined);
        const change = itemChange(keyAttributes(table.KeySchema), touch.before, now);
        if (change) stream.append(change);
      }
    }
  }

  /**
   * The ACTIVE table's description, cached: key schema and indexes change only through requests that pass
   * here (CreateTable, DeleteTable, UpdateTable, createTable), and those drop the cached entry.
   */
  private async activeTable(tableName: string): Promise<TableDescription | undefined> {
    const cached = this.tableCache.get(tableName);
    if (cached) return cached;
    const table = await this.engine.findTable(tableName);
    if (table) this.tableCache.set(tableName, table);
    return table;
  }

  private async readTouched(touch: Touch): Promise<AttributeMap | undefined> {
    const table = await this.activeTable(touch.tableName);
    if (!table || this.engine.invalidKey(table, touch.key, touch.isItem)) return undefined;
    return this.engine.readItem(table, touch.key);
  }

  private async createTableRequest(input: unknown): Promise<Record<string, unknown>> {
    // dynalite drops StreamSpecification (it has no streams): take it first.
    const stream = parseStreamSpecification(
      (input as { StreamSpecification?: unknown } | null)?.StreamSpecification,
    );
    const data = this.engine.validate("CreateTable", input);
    const tableName = String(data.TableName);
    return this.locks.withLocks([tableName], async () => {
      this.tableCache.delete(tableName);
      const result = await this.engine.run("CreateTable", data);
      const description = result.TableDescription as TableDescription;
      if (stream) {
        const label = new Date(this.now()).toISOString().replace("Z", "");
        this.enableStream(description, stream, `${this.tableArn(tableName)}/stream/${label}`);
      }
      return { ...result, TableDescription: this.withStream(description) };
    });
  }

  private async deleteTableRequest(input: unknown): Promise<Record<string, unknown>> {
    const data = this.engine.validate("DeleteTable", input);
    const tableName = String(data.TableName);
    return this.locks.withLocks([tableName], async () => {
      this.tableCache.delete(tableName);
      const result = await this.engine.run("DeleteTable", data);
      const description = this.withStream(result.TableDescription as TableDescription);
      // AWS keeps a deleted table's stream readable for 24 hours: so does this, without new records.
      this.disableStream(tableName);
      this.setTimeToLive(tableName, undefined);
      return { ...result, TableDescription: description };
    });
  }

  private async updateTableRequest(input: unknown): Promise<Record<string, unknown>> {
    const raw = { ...((input ?? {}) as Record<string, unknown>) };
    const specification = raw.StreamSpecification as { StreamEnabled?: boolean } | undefined;
    delete raw.StreamSpecification;
    const tableName = String(raw.TableName ?? "");
    const otherUpdates = [
      "ProvisionedThroughput",
      "BillingMode",
      "GlobalSecondaryIndexUpdates",
      "SSESpecification",
    ].some((key) => raw[key] != null);
    this.tableCache.delete(tableName);
    if (!specification) return this.engine.run("UpdateTable", this.engine.validate("UpdateTable", input));
    const viewType = parseStreamSpecification(specification);
    const data = otherUpdates ? this.engine.validate("UpdateTable", raw) : undefined;
    return this.locks.withLocks([tableName], async () => {
      this.tableCache.delete(tableName);
      const table = await this.engine.getTable(tableName);
      const active = this.activeStreams.get(tableName);
      if (viewType && active)
        throw serviceError("ValidationException", "Table already has an enabled stream");
      if (!viewType && !active)
        throw serviceError("ValidationException", "Table already has no stream enabled");
      const result = data ? await this.engine.run("UpdateTable", data) : { TableDescription: table };
      if (viewType) {
        const label = new Date(this.now()).toISOString().replace("Z", "");
        this.enableStream(table, viewType, `${this.tableArn(tableName)}/stream/${label}`);
      } else {
        this.disableStream(tableName);
      }
      return { ...result, TableDescription: this.withStream(result.TableDescription as TableDescription) };
    });
  }

  private async describeTimeToLive(input: unknown): Promise<Record<string, unknown>> {
    const data = this.engine.validate("DescribeTimeToLive", input);
    const result = await this.engine.run("DescribeTimeToLive", data);
    const attribute = this.timeToLive.get(String(data.TableName));
    return attribute
      ? { TimeToLiveDescription: { TimeToLiveStatus: "ENABLED", AttributeName: attribute } }
      : result;
  }

  private async updateTimeToLive(input: unknown): Promise<Record<string, unknown>> {
    const { TableName, TimeToLiveSpecification: spec } = (input ?? {}) as {
      TableName?: unknown;
      TimeToLiveSpecification?: { Enabled?: unknown; AttributeName?: unknown };
    };
    if (typeof TableName !== "string" || !spec || typeof spec.Enabled !== "boolean") {
      throw serviceError(
        "ValidationException",
        "TableName and TimeToLiveSpecification (Enabled, AttributeName) are required",
      );
    }
    if (typeof spec.AttributeName !== "string" || spec.AttributeName === "") {
      throw serviceError("ValidationException", "TimeToLiveSpecification.AttributeName must not be empty");
    }
    await this.engine.getTable(TableName);
    const current = this.timeToLive.get(TableName);
    if (spec.Enabled && current) throw serviceError("ValidationException", "TimeToLive is already enabled");
    if (!spec.Enabled && !current)
      throw serviceError("ValidationException", "TimeToLive is already disabled");
    this.setTimeToLive(TableName, spec.Enabled ? spec.AttributeName : undefined);
    return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
  }

  // --- tables -----------------------------------------------------------------------------------------------

  private normalize(definition: TableDefinition): DesiredTable {
    if ("TableName" in definition) {
      const view = definition.StreamSpecification?.StreamViewType;
      const streamOn = view !== undefined && definition.StreamSpecification?.StreamEnabled !== false;
      const ttl = definition.TimeToLiveSpecification;
      return {
        name: definition.TableName,
        keySchema: definition.KeySchema,
        attributeDefinitions: definition.AttributeDefinitions,
        globalSecondaryIndexes: (definition.GlobalSecondaryIndexes ?? []).map(indexDefinition),
        localSecondaryIndexes: (definition.LocalSecondaryIndexes ?? []).map(indexDefinition),
        ...(streamOn
          ? {
              stream: {
                viewType: checkViewType(view, definition.TableName),
                ...(definition.StreamArn ? { arn: definition.StreamArn } : {}),
              },
            }
          : {}),
        ...(ttl?.AttributeName && ttl.Enabled !== false ? { timeToLiveAttribute: ttl.AttributeName } : {}),
      };
    }
    return {
      name: definition.name,
      keySchema: definition.keySchema,
      attributeDefinitions: definition.attributeDefinitions,
      globalSecondaryIndexes: definition.globalSecondaryIndexes.map((g) =>
        indexDefinition(g as IndexDefinition),
      ),
      localSecondaryIndexes: [],
      ...(definition.streamViewType
        ? {
            stream: {
              viewType: checkViewType(definition.streamViewType, definition.name),
              ...(definition.streamArn ? { arn: definition.streamArn } : {}),
            },
          }
        : {}),
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
    };
  }

  private async createDynaliteTable(desired: DesiredTable): Promise<TableDescription> {
    const request: Record<string, unknown> = {
      TableName: desired.name,
      KeySchema: desired.keySchema,
      AttributeDefinitions: desired.attributeDefinitions,
      BillingMode: "PAY_PER_REQUEST",
      ...(desired.globalSecondaryIndexes.length > 0
        ? { GlobalSecondaryIndexes: desired.globalSecondaryIndexes }
        : {}),
      ...(desired.localSecondaryIndexes.length > 0
        ? { LocalSecondaryIndexes: desired.localSecondaryIndexes }
        : {}),
    };
    // dynalite keeps (and later mutates) the request objects: give it its own copy.
    const data = this.engine.validate("CreateTable", structuredClone(request));
    await this.engine.run("CreateTable", data);
    return this.engine.waitUntilActive(desired.name);
  }

  /** Recreates a table with the declared indexes, keeping its items (no stream records: nothing changed). */
  private async rebuildTable(desired: DesiredTable): Promise<TableDescription> {
    const items = await this.engine.allItems(desired.name);
    const target = desiredAsDescription(desired);
    for (const item of items) {
      const invalid = this.engine.invalidKey(target, item, true);
      if (invalid) {
        throw new LocalDynamoDbStateError(
          `Local DynamoDB table ${desired.name} cannot take the template's indexes (${invalid.message}): restart with --reset (this discards local data)`,
        );
      }
    }
    await this.engine.run("DeleteTable", this.engine.validate("DeleteTable", { TableName: desired.name }));
    await this.engine.waitUntilDeleted(desired.name);
    const table = await this.createDynaliteTable(desired);
    for (const item of items) {
      await this.engine.run(
        "PutItem",
        this.engine.validate("PutItem", { TableName: desired.name, Item: item }),
      );
    }
    return table;
  }

  private tableArn(tableName: string): string {
    return `arn:${this.partition}:dynamodb:${this.options.region}:${this.options.accountId}:table/${tableName}`;
  }

  /** A table description with the stream fields DynamoDB adds (dynalite knows nothing of streams). */
  private withStream(description: TableDescription): TableDescription {
    const stream = description ? this.activeStreams.get(description.TableName) : undefined;
    if (!stream) return description;
    return {
      ...description,
      StreamSpecification: { StreamEnabled: true, StreamViewType: stream.config.streamViewType },
      LatestStreamLabel: stream.streamArn.split("/stream/").pop(),
      LatestStreamArn: stream.streamArn,
    };
  }

  // --- streams ----------------------------------------------------------------------------------------------

  private enableStream(table: TableDescription, viewType: StreamViewType, streamArn: string): void {
    const tableName = table.TableName;
    const previous = this.activeStreams.get(tableName);
    if (previous && previous.streamArn !== streamArn) previous.reconfigure({ enabled: false });
    const change = {
      tableName,
      streamViewType: viewType,
      keyAttributes: keyAttributes(table.KeySchema),
      enabled: true,
    };
    let log = this.streamsByArn.get(streamArn);
    if (log) {
      log.reconfigure(change);
    } else {
      const config: StreamConfig = { streamArn, ...change, createdAt: new Date(this.now()).toISOString() };
      log = StreamLog.open(this.streamDirectory(tableName, streamArn), this.streamLogOptions(), config);
      this.streamsByArn.set(streamArn, log);
    }
    this.activeStreams.set(tableName, log);
  }

  private disableStream(tableName: string): void {
    const log = this.activeStreams.get(tableName);
    if (!log) return;
    log.reconfigure({ enabled: false });
    this.activeStreams.delete(tableName);
  }

  private streamDirectory(tableName: string, streamArn: string): string {
    const hash = createHash("sha256").update(streamArn).digest("hex").slice(0, 10);
    return join(this.directory, "streams", `${tableName}-${hash}`);
  }

  private streamLogOptions() {
    return {
      region: this.options.region,
      now: this.now,
      itemSize: (item: AttributeMap) => this.engine.itemSize(item),
    };
  }

  /** Opens every kept stream; drops disabled streams whose records have all expired. */
  private loadStreams(): void {
    const root = join(this.directory, "streams");
    for (const name of readdirSync(root).sort()) {
      const directory = join(root, name);
      const config = StreamLog.readConfig(directory);
      if (!config) continue;
      const log = StreamLog.open(directory, this.streamLogOptions());
      if (!config.enabled && log.size === 0) {
        log.close();
        rmSync(directory, { recursive: true, force: true });
        continue;
      }
      this.streamsByArn.set(config.streamArn, log);
      if (config.enabled) this.activeStreams.set(config.tableName, log);
    }
  }

  private closeStreams(): void {
    for (const log of this.streamsByArn.values()) log.close();
  }

  // --- time to live -----------------------------------------------------------------------------------------

  private loadTimeToLive(): void {
    const path = join(this.directory, TIME_TO_LIVE_FILE);
    if (!existsSync(path)) return;
    try {
      const stored = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
      for (const [table, attribute] of Object.entries(stored)) this.timeToLive.set(table, attribute);
    } catch {
      throw new LocalDynamoDbStateError(
        `DynamoDB Time to Live settings ${path} are unreadable: restart with --reset`,
      );
    }
  }

  private setTimeToLive(tableName: string, attribute: string | undefined): void {
    if (this.timeToLive.get(tableName) === attribute) return;
    if (attribute) this.timeToLive.set(tableName, attribute);
    else this.timeToLive.delete(tableName);
    const path = join(this.directory, TIME_TO_LIVE_FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(Object.fromEntries(this.timeToLive)));
    renameSync(`${path}.tmp`, path);
  }
}

function indexDefinition(index: IndexDefinition): IndexDefinition {
  return { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection };
}

function checkViewType(view: string | undefined, tableName: string): StreamViewType {
  if (STREAM_VIEW_TYPES.includes(view as StreamViewType)) return view as StreamViewType;
  throw new Error(`Table ${tableName}: unknown StreamViewType ${view}`);
}

/** The view type of an enabled stream specification, undefined when it disables streams. */
function parseStreamSpecification(specification: unknown): StreamViewType | undefined {
  if (specification == null) return undefined;
  const { StreamEnabled, StreamViewType } = specification as {
    StreamEnabled?: unknown;
    StreamViewType?: unknown;
  };
  if (StreamEnabled !== true) return undefined;
  if (!STREAM_VIEW_TYPES.includes(StreamViewType as StreamViewType)) {
    throw serviceError(
      "ValidationException",
      "One or more parameter values were invalid: StreamViewType must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES when StreamEnabled is true",
    );
  }
  return StreamViewType as StreamViewType;
}

/** Key attribute names, hash key first. */
function keyAttributes(keySchema: readonly KeySchemaElement[]): string[] {
  return [...keySchema]
    .sort((a, b) => (a.KeyType === "HASH" ? -1 : b.KeyType === "HASH" ? 1 : 0))
    .map((k) => k.AttributeName);
}

function keySignature(
  keySchema: readonly KeySchemaElement[],
  definitions: readonly AttributeDefinition[],
): string {
  const typeOf = (name: string) => definitions.find((d) => d.AttributeName === name)?.AttributeType ?? "?";
  return keyAttributes(keySchema)
    .map((name) => `${name}:${typeOf(name)}`)
    .join(",");
}

function indexSignature(
  table: Pick<TableDescription, "AttributeDefinitions" | "GlobalSecondaryIndexes" | "LocalSecondaryIndexes">,
): string {
  const describe = (kind: string, indexes: readonly IndexDefinition[] | undefined) =>
    (indexes ?? [])
      .map((index) => {
        const projection = index.Projection ?? {};
        const nonKey = [...(projection.NonKeyAttributes ?? [])].sort().join(",");
        return `${kind}:${index.IndexName}(${keySignature(index.KeySchema, table.AttributeDefinitions)})${projection.ProjectionType ?? ""}[${nonKey}]`;
      })
      .sort();
  return [...describe("G", table.GlobalSecondaryIndexes), ...describe("L", table.LocalSecondaryIndexes)].join(
    ";",
  );
}

/** The declared table as a dynalite description, enough for key and index validation. */
function desiredAsDescription(desired: DesiredTable): TableDescription {
  return {
    TableName: desired.name,
    TableStatus: "ACTIVE",
    TableArn: "",
    KeySchema: desired.keySchema,
    AttributeDefinitions: desired.attributeDefinitions,
    ...(desired.globalSecondaryIndexes.length > 0
      ? { GlobalSecondaryIndexes: desired.globalSecondaryIndexes }
      : {}),
    ...(desired.localSecondaryIndexes.length > 0
      ? { LocalSecondaryIndexes: desired.localSecondaryIndexes }
      : {}),
  };
}
