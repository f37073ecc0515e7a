/**
 * Writes in progress on stream-enabled tables, on disk: `<stateDir>/dynamodb/write-intents.jsonl`.
 *
 * A write and its stream record are two steps here (the item in LevelDB, then the record in the stream log);
 * DynamoDB makes them one. A local cloud killed between the two would keep the item and lose its record, and
 * the stream consumers (the hub's outbox) would never see the change. So before a write each touched item's
 * before-image is noted (`{"b": id, "t": [...]}`, written synchronously), and once the stream has what changed
 * the note is closed (`{"e": id}`). At start-up, a note left open is settled: the item as it is now is compared
 * with its before-image, and the stream gets the record the write should have left.
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { AttributeMap } from "./dynalite-engine";

export interface WriteIntentTouch {
  /** The stream that captures the table's writes now. */
  streamArn: string;
  tableName: string;
  key: AttributeMap;
  before: AttributeMap | undefined;
}

type Line = { b: number; t: WriteIntentTouch[] } | { e: number };

/** Lines written, with no write open, before the file is emptied. */
const COMPACT_AFTER_LINES = 10_000;

export class WriteIntents {
  private fd: number;
  private next = 1;
  private readonly open = new Set<number>();
  private lines = 0;

  private constructor(readonly file: string) {
    this.fd = openSync(file, "a");
  }

  /**
   * The intents a previous run left open (its process died mid-write). The log keeps them until `settled()`, so
   * a run that dies again while settling them finds them again.
   */
  static open(directory: string): { intents: WriteIntents; unfinished: WriteIntentTouch[][] } {
    const file = join(directory, "write-intents.jsonl");
    const begun = new Map<number, WriteIntentTouch[]>();
    if (existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line.trim()) continue;
        let entry: Line;
        try {
          entry = JSON.parse(line) as Line;
        } catch {
          continue; // a torn last line: that write had not begun
        }
        if ("b" in entry) begun.set(entry.b, entry.t);
        else begun.delete(entry.e);
      }
    }
    return { intents: new WriteIntents(file), unfinished: [...begun.values()] };
  }

  /** The unfinished intents `open` returned have their stream records: the log starts empty. */
  settled(): void {
    this.truncate();
  }

  /** Notes a write about to happen; synchronous, so it is in the file before the write starts. */
  begin(touches: readonly WriteIntentTouch[]): number {
    const id = this.next++;
    this.open.add(id);
    this.write({ b: id, t: [...touches] });
    return id;
  }

  /** The stream has what the write changed. */
  end(id: number): void {
    if (!this.open.delete(id)) return;
    this.write({ e: id });
    if (this.open.size === 0 && this.lines > COMPACT_AFTER_LINES) this.truncate();
  }

  private truncate(): void {
    closeSync(this.fd);
    writeFileSync(this.file, "");
    this.fd = openSync(this.file, "a");
    this.lines = 0;
  }

  close(): void {
    closeSync(this.fd);
  }

  private write(line: Line): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    this.lines++;
  }
}
