/**
 * One DynamoDB stream, kept on disk: `stream.json` (what it captures), `records.jsonl` (append-only, one
 * Lambda-shaped record a line) and `checkpoints.json` (each consumer's last fully processed record).
 * Records are kept 24 hours, as AWS does; older ones are dropped at start-up (and from memory as they age).
 */
import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { AttributeMap } from "./dynalite-engine";
import { LocalDynamoDbStateError } from "./dynalite-engine";
import {
  type DynamoDbStreamRecord,
  type ItemChange,
  STREAM_VIEW_TYPES,
  type StreamViewType,
  streamRecord,
} from "./stream-records";

export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
const RECORDS_FILE = "records.jsonl";
const CONFIG_FILE = "stream.json";
const CHECKPOINTS_FILE = "checkpoints.json";
/** Sequence numbers start from the clock (ms × 10^8: 21 digits, as AWS's are) so they grow across restarts. */
const SEQUENCE_PER_MS = 100_000_000n;

export interface StreamConfig {
  streamArn: string;
  tableName: string;
  streamViewType: StreamViewType;
  /** The table's key attribute names (hash first): a record's `Keys`. */
  keyAttributes: string[];
  /** False once the table is deleted or its stream disabled: still readable, no longer written. */
  enabled: boolean;
  createdAt: string;
}

/** Where a reader starts: after a sequence number, or at the oldest kept record / the tip of the stream. */
export type StreamPosition = string | "TRIM_HORIZON" | "LATEST" | undefined;

/**
 * What a stream event source poller uses. Satisfies `StreamRecordSource` of local/lambda/stream-event-source.
 * Records are shared objects: treat them as read-only.
 */
export interface StreamReader {
  readonly streamArn: string;
  /**
   * Up to `limit` records, oldest first, with a sequence number greater than `position` (a sequence number);
   * from the oldest kept record for undefined or "TRIM_HORIZON"; none for "LATEST" (only later records).
   * A position older than the retention window reads from the oldest kept record.
   */
  read(position: StreamPosition, limit: number): DynamoDbStreamRecord[];
  /** The newest record's sequence number (a LATEST starting position as a checkpoint), if any. */
  latestSequenceNumber(): string | undefined;
  /** Called synchronously after each record is stored; returns the unsubscribe function. */
  onRecord(listener: (record: DynamoDbStreamRecord) => void): () => void;
  /** Resolves once a record after `position` exists, when `signal` aborts, or when the stream closes. */
  waitForRecords(position: StreamPosition, signal: AbortSignal): Promise<void>;
  /** Durably remembers that `consumerId` has fully processed everything up to `sequenceNumber`. */
  saveCheckpoint(consumerId: string, sequenceNumber: string): void;
  loadCheckpoint(consumerId: string): string | undefined;
}

interface Entry {
  sequence: bigint;
  atMs: number;
  record: DynamoDbStreamRecord;
}

export interface StreamLogOptions {
  region: string;
  now: () => number;
  itemSize: (item: AttributeMap) => number;
  retentionMs?: number;
}

export class StreamLog implements StreamReader {
  private entries: Entry[] = [];
  /** Index of the oldest kept entry (expired ones are skipped, then compacted away in bulk). */
  private start = 0;
  private lastSequence = 0n;
  private readonly checkpoints = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(record: DynamoDbStreamRecord) => void>();
  private fd: number | undefined;
  private readonly retentionMs: number;

  private constructor(
    readonly directory: string,
    private current: StreamConfig,
    private readonly options: StreamLogOptions,
  ) {
    this.retentionMs = options.retentionMs ?? STREAM_RETENTION_MS;
  }

  get streamArn(): string {
    return this.current.streamArn;
  }

  get config(): Readonly<StreamConfig> {
    return this.current;
  }

  /** Opens the stream kept in `directory`, or creates it with `config` when `directory` holds none. */
  static open(directory: string, options: StreamLogOptions, config?: StreamConfig): StreamLog {
    mkdirSync(directory, { recursive: true });
    const configPath = join(directory, CONFIG_FILE);
    const stored = existsSync(configPath) ? readConfig(configPath) : undefined;
    const effective = config ?? stored;
    if (!effective) throw new LocalDynamoDbStateError(`${configPath} is missing: restart with --reset`);
    const log = new StreamLog(directory, effective, options);
    if (!stored || JSON.stringify(stored) !== JSON.stringify(effective)) log.writeConfig();
    log.load();
    return log;
  }

  /** Reads the configuration of the stream kept in `directory` (for listing streams at start-up). */
  static readConfig(directory: string): StreamConfig | undefined {
    const path = join(directory, CONFIG_FILE);
    return existsSync(path) ? readConfig(path) : undefined;
  }

  /** Changes what is captured from now on (view type, key attributes, enabled). */
  reconfigure(change: Partial<Omit<StreamConfig, "streamArn">>): void {
    const next = { ...this.current, ...change };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.writeConfig();
  }

  /** Stores the record for `change` and wakes readers; returns it. */
  append(change: ItemChange): DynamoDbStreamRecord {
    if (this.fd === undefined) throw new Error(`Stream ${this.streamArn} is closed`);
    const atMs = this.options.now();
    const sequence = maxBigInt(this.lastSequence + 1n, BigInt(Math.floor(atMs)) * SEQUENCE_PER_MS);
    const record = streamRecord(
      change,
      { streamArn: this.streamArn, streamViewType: this.current.streamViewType, region: this.options.region },
      {
        eventID: randomUUID().replaceAll("-", ""),
        sequenceNumber: sequence.toString(),
        createdAtSeconds: Math.floor(atMs / 1000),
      },
      this.options.itemSize,
    );
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.lastSequence = sequence;
    this.entries.push({ sequence, atMs, record });
    this.dropExpired(atMs);
    for (const wake of [...this.waiters]) wake();
    for (const listener of [...this.listeners]) {
      try {
        listener(record);
      } catch (error) {
        console.error(`[dynamodb] stream listener for ${this.streamArn} failed:`, error);
      }
    }
    return record;
  }

  read(position: StreamPosition, limit: number): DynamoDbStreamRecord[] {
    if (position === "LATEST" || limit <= 0) return [];
    this.dropExpired(this.options.now());
    const from = this.indexAfter(position);
    const to = Math.min(this.entries.length, from + limit);
    const records: DynamoDbStreamRecord[] = [];
    for (let i = from; i < to; i++) records.push((this.entries[i] as Entry).record);
    return records;
  }

  latestSequenceNumber(): string | undefined {
    return this.entries.length > this.start
      ? (this.entries.at(-1) as Entry).record.dynamodb.SequenceNumber
      : undefined;
  }

  /** The number of kept records. */
  get size(): number {
    return this.entries.length - this.start;
  }

  onRecord(listener: (record: DynamoDbStreamRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitForRecords(position: StreamPosition, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const open = this.fd !== undefined;
    if (open && position !== "LATEST" && this.indexAfter(position) < this.entries.length)
      return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      // A closed stream gets no more records: only the abort ends the wait (no busy loop).
      if (open) this.waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  saveCheckpoint(consumerId: string, sequenceNumber: string): void {
    parseSequence(sequenceNumber);
    if (this.checkpoints.get(consumerId) === sequenceNumber) return;
    this.checkpoints.set(consumerId, sequenceNumber);
    writeAtomically(
      join(this.directory, CHECKPOINTS_FILE),
      JSON.stringify(Object.fromEntries(this.checkpoints)),
    );
  }

  loadCheckpoint(consumerId: string): string | undefined {
    return this.checkpoints.get(consumerId);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    for (const wake of [...this.waiters]) wake();
    this.listeners.clear();
  }

  /** Index of the first kept entry after `position`. */
  private indexAfter(position: StreamPosition): number {
    if (position === undefined || position === "TRIM_HORIZON") return this.start;
    const after = parseSequence(position);
    let low = this.start;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as Entry).sequence <= after) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private dropExpired(nowMs: number): void {
    const cutoff = nowMs - this.retentionMs;
    while (this.start < this.entries.length && (this.entries[this.start] as Entry).atMs < cutoff)
      this.start++;
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  /** Loads kept records and checkpoints; rewrites the log without expired records or a torn last line. */
  private load(): void {
    const recordsPath = join(this.directory, RECORDS_FILE);
    const cutoff = this.options.now() - this.retentionMs;
    let dropped = false;
    if (existsSync(recordsPath)) {
      const lines = readFileSync(recordsPath, "utf8").split("\n");
      while (lines.length > 0 && lines.at(-1) === "") lines.pop();
      for (const [index, line] of lines.entries()) {
        const record = parseRecord(line);
        if (!record) {
          if (index === lines.length - 1) {
            dropped = true; // a write cut short by a crash: it was never acknowledged
            break;
          }
          throw new LocalDynamoDbStateError(
            `DynamoDB stream log ${recordsPath} is unreadable at line ${index + 1}: restart with --reset`,
          );
        }
        const atMs = record.dynamodb.ApproximateCreationDateTime * 1000;
        const sequence = BigInt(record.dynamodb.SequenceNumber);
        if (sequence > this.lastSequence) this.lastSequence = sequence;
        if (atMs < cutoff) {
          dropped = true;
          continue;
        }
        this.entries.push({ sequence, atMs, record });
      }
    }
    if (dropped) {
      writeAtomically(recordsPath, this.entries.map((e) => `${JSON.stringify(e.record)}\n`).join(""));
    }
    const checkpointsPath = join(this.directory, CHECKPOINTS_FILE);
    if (existsSync(checkpointsPath)) {
      let stored: Record<string, string>;
      try {
        stored = JSON.parse(readFileSync(checkpointsPath, "utf8")) as Record<string, string>;
      } catch {
        throw new LocalDynamoDbStateError(
          `DynamoDB stream checkpoints ${checkpointsPath} are unreadable: restart with --reset`,
        );
      }
      for (const [consumer, sequence] of Object.entries(stored)) {
        this.checkpoints.set(consumer, sequence);
        // Never hand out a number a consumer has already passed, even if its records were trimmed.
        if (/^\d+$/.test(sequence) && BigInt(sequence) > this.lastSequence)
          this.lastSequence = BigInt(sequence);
      }
    }
    this.fd = openSync(recordsPath, "a");
  }

  private writeConfig(): void {
    writeAtomically(join(this.directory, CONFIG_FILE), `${JSON.stringify(this.current, null, 2)}\n`);
  }
}

function readConfig(path: string): StreamConfig {
  try {
    const config = JSON.parse(readFileSync(path, "utf8")) as StreamConfig;
    if (
      typeof config.streamArn !== "string" ||
      typeof config.tableName !== "string" ||
      !STREAM_VIEW_TYPES.includes(config.streamViewType) ||
      !Array.isArray(config.keyAttributes)
    ) {
      throw new Error("unexpected content");
    }
    return config;
  } catch {
    throw new LocalDynamoDbStateError(
      `DynamoDB stream description ${path} is unreadable: restart with --reset`,
    );
  }
}

function parseRecord(line: string): DynamoDbStreamRecord | undefined {
  try {
    const record = JSON.parse(line) as DynamoDbStreamRecord;
    const sequence = record?.dynamodb?.SequenceNumber;
    if (typeof sequence !== "string" || !/^\d+$/.test(sequence)) return undefined;
    if (typeof record.dynamodb.ApproximateCreationDateTime !== "number") return undefined;
    return record;
  } catch {
    return undefined;
  }
}

function parseSequence(sequenceNumber: string): bigint {
  if (!/^\d{1,40}$/.test(sequenceNumber)) {
    throw new Error(`Invalid stream sequence number ${JSON.stringify(sequenceNumber)}`);
  }
  return BigInt(sequenceNumber);
}

function maxBigInt(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
