/**
 * Disk persistence for the local SQS engine: an append-only journal of JSON lines.
 *
 * Every state change is one line. Lines are written in groups: the first append starts a
 * write + fdatasync, appends arriving meanwhile wait for the next group (group commit), so a
 * change is on disk before its promise resolves — callers answer clients only after that.
 * On start-up the journal is replayed and rewritten from the live state (compaction); it is
 * also compacted at run time when it has grown well beyond the live state.
 */
import { type FileHandle, mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";

/** A message attribute as stored: binary values are base64 (the JSON protocol's encoding). */
export interface StoredAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes?: Record<string, StoredAttributeValue>;
  md5OfAttributes?: string;
  /** Message system attributes set by the sender (AWSTraceHeader). */
  systemAttributes?: Record<string, StoredAttributeValue>;
  md5OfSystemAttributes?: string;
  senderId: string;
  /** Epoch ms; retention counts from here (unchanged when redriven to a dead-letter queue, as on AWS). */
  sentAt: number;
  /** Epoch ms before which the message is delayed or in flight. */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  lastReceivedAt?: number;
  /** Handle of the latest receive; only it may change the visibility or delete the message. */
  receiptHandle?: string;
  /** Set when the message was redriven to a dead-letter queue. */
  deadLetterSourceArn?: string;
}

export interface StoredQueue {
  name: string;
  /** Settable attributes in canonical string form, defaults filled in. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
}

/** One journal line. Records carry resulting values (not deltas) so replaying one twice is harmless. */
export type JournalRecord =
  | { op: "createQueue"; queue: StoredQueue }
  | { op: "setQueueAttributes"; queue: string; attributes: Record<string, string>; at: number }
  | { op: "tagQueue"; queue: string; tags: Record<string, string> }
  | { op: "untagQueue"; queue: string; keys: string[] }
  | { op: "deleteQueue"; queue: string }
  | { op: "purgeQueue"; queue: string }
  | { op: "send"; queue: string; message: StoredMessage }
  | {
      op: "receive";
      queue: string;
      id: string;
      receiptHandle: string;
      visibleAt: number;
      receiveCount: number;
      firstReceivedAt: number;
      at: number;
    }
  | { op: "changeVisibility"; queue: string; id: string; visibleAt: number }
  | { op: "delete"; queue: string; id: string }
  /** Redrive to a dead-letter queue (deadLetterSourceArn set) or a move task (asNewMessage). */
  | {
      op: "move";
      from: string;
      to: string;
      id: string;
      at: number;
      asNewMessage: boolean;
      deadLetterSourceArn?: string;
    };

const JOURNAL_OPS = new Set<JournalRecord["op"]>([
  "createQueue",
  "setQueueAttributes",
  "tagQueue",
  "untagQueue",
  "deleteQueue",
  "purgeQueue",
  "send",
  "receive",
  "changeVisibility",
  "delete",
  "move",
]);

export const JOURNAL_FILE_NAME = "journal.jsonl";

/** Start-up must stop on this: the state on disk cannot be trusted. */
export class SqsJournalCorruptError extends Error {
  override readonly name = "SqsJournalCorruptError";
}

export interface SqsJournalOptions {
  /** fdatasync each write group (default true). Off only for throwaway state. */
  fsync?: boolean;
  /** Produces the live state as records; used to compact the journal while running. */
  snapshot?: () => Iterable<JournalRecord>;
  /** Compact at run time once this many bytes were appended since the last compaction (default 64 MiB). */
  compactAfterBytes?: number;
}

interface PendingWrite {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class SqsJournal {
  private pendingLines: string[] = [];
  private pendingWrites: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private bytesSinceCompaction = 0;
  private lastSnapshotBytes = 0;
  private closed = false;

  private constructor(
    private readonly directory: string,
    private handle: FileHandle,
    private readonly options: SqsJournalOptions,
  ) {}

  /**
   * Reads the journal in `directory` (none yet: no records). A torn last line — a write cut
   * short by a crash — is dropped; any other unreadable line throws SqsJournalCorruptError.
   */
  static async read(directory: string): Promise<JournalRecord[]> {
    const path = join(directory, JOURNAL_FILE_NAME);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const lines = text.split("\n");
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    const records: JournalRecord[] = [];
    for (const [index, line] of lines.entries()) {
      const isLastLine = index === lines.length - 1;
      const record = parseRecord(line);
      if (typeof record === "string") {
        if (isLastLine) break; // torn write: the change was never acknowledged
        throw new SqsJournalCorruptError(
          `SQS journal ${path} is unreadable at line ${index + 1} (${record}); ` +
            "move the file aside or start with --reset to discard the local SQS state.",
        );
      }
      records.push(record);
    }
    return records;
  }

  /** Replaces the journal in `directory` with `snapshot` (the compacted live state) and opens it for appending. */
  static async create(
    directory: string,
    snapshot: Iterable<JournalRecord>,
    options: SqsJournalOptions = {},
  ): Promise<SqsJournal> {
    await mkdir(directory, { recursive: true });
    const snapshotBytes = await writeSnapshot(directory, snapshot, options.fsync ?? true);
    const journal = new SqsJournal(directory, await openForAppend(directory), options);
    journal.lastSnapshotBytes = snapshotBytes;
    return journal;
  }

  /** Queues `record` for the next write group; resolves once it is on disk. */
  append(record: JournalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error("The SQS journal is closed."));
    this.pendingLines.push(`${JSON.stringify(record)}\n`);
    const written = new Promise<void>((resolve, reject) => this.pendingWrites.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return written;
  }

  /** Waits for queued writes, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.handle.close();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pendingLines.length > 0) {
        const lines = this.pendingLines;
        const writes = this.pendingWrites;
        this.pendingLines = [];
        this.pendingWrites = [];
        try {
          if (this.shouldCompact()) {
            // The snapshot is taken now, so it already contains the changes in `lines`.
            await this.compact();
          } else {
            const data = Buffer.from(lines.join(""), "utf8");
            await writeFully(this.handle, data);
            if (this.options.fsync ?? true) await this.handle.datasync();
            this.bytesSinceCompaction += data.length;
          }
          for (const write of writes) write.resolve();
        } catch (error) {
          for (const write of writes) write.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private shouldCompact(): boolean {
    if (!this.options.snapshot) return false;
    const threshold = this.options.compactAfterBytes ?? 64 * 1024 * 1024;
    return this.bytesSinceCompaction > Math.max(threshold, 2 * this.lastSnapshotBytes);
  }

  private async compact(): Promise<void> {
    const snapshot = this.options.snapshot?.() ?? [];
    const snapshotBytes = await writeSnapshot(this.directory, snapshot, this.options.fsync ?? true);
    await this.handle.close();
    this.handle = await openForAppend(this.directory);
    this.lastSnapshotBytes = snapshotBytes;
    this.bytesSinceCompaction = 0;
  }
}

/** The record, or why the line is not one. */
function parseRecord(line: string): JournalRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return (error as Error).message;
  }
  if (typeof value !== "object" || value === null) return "not a JSON object";
  const op = (value as { op?: unknown }).op;
  if (typeof op !== "string" || !JOURNAL_OPS.has(op as JournalRecord["op"])) {
    return `unknown record type ${JSON.stringify(op)}`;
  }
  return value as JournalRecord;
}

/**
 * Writes `records` to a temporary file and renames it over the journal, so a crash leaves either
 * file whole. Records are serialised before the first await: they describe live state that keeps
 * changing while the file is written.
 */
async function writeSnapshot(
  directory: string,
  records: Iterable<JournalRecord>,
  fsync: boolean,
): Promise<number> {
  const chunks = serializeInChunks(records);
  const finalPath = join(directory, JOURNAL_FILE_NAME);
  const temporaryPath = `${finalPath}.tmp`;
  const handle = await open(temporaryPath, "w");
  let bytes = 0;
  try {
    for (const chunk of chunks) bytes += await writeFully(handle, chunk);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporaryPath, finalPath);
  if (fsync) await syncDirectory(directory);
  return bytes;
}

function serializeInChunks(records: Iterable<JournalRecord>): Buffer[] {
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  let length = 0;
  for (const record of records) {
    const line = `${JSON.stringify(record)}\n`;
    lines.push(line);
    length += line.length;
    if (length > 1024 * 1024) {
      chunks.push(Buffer.from(lines.join(""), "utf8"));
      lines = [];
      length = 0;
    }
  }
  chunks.push(Buffer.from(lines.join(""), "utf8"));
  return chunks;
}

async function openForAppend(directory: string): Promise<FileHandle> {
  return open(join(directory, JOURNAL_FILE_NAME), "a");
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<number> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
  return data.length;
}

/** Makes the rename durable; some platforms cannot open a directory for syncing, which is fine to skip. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close();
  }
}
