/**
 * One EventBridge archive on disk: `<stateDir>/eventbridge/archives/<name>.jsonl`, one event envelope (JSON
 * text) a line, in the order the bus accepted them. The file outlives restarts; events older than the
 * retention period are dropped when the archive is opened.
 */

import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CompiledPattern } from "./event-pattern.js";

export interface ArchiveOptions {
  name: string;
  busName: string;
  arn: string;
  sourceArn: string;
  /** Canonical JSON text of the pattern, when the archive filters. */
  eventPattern?: string;
  pattern?: CompiledPattern;
  /** 0: keep forever. */
  retentionDays: number;
  description?: string;
  /** fdatasync after each append (default true). */
  fsync?: boolean;
  now: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function archivesDirectory(stateDir: string): string {
  return join(stateDir, "eventbridge", "archives");
}

export class EventArchive {
  readonly createdAt: number;
  private handle: FileHandle | undefined;
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly options: ArchiveOptions,
    readonly file: string,
    private events: number,
    private bytes: number,
  ) {
    this.createdAt = options.now();
  }

  /** Opens (or creates) the archive file, dropping expired events and a torn last line. */
  static async open(directory: string, options: ArchiveOptions): Promise<EventArchive> {
    await mkdir(directory, { recursive: true });
    const file = join(directory, `${options.name}.jsonl`);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
    const lines = complete.split("\n").filter((line) => line !== "");
    const cutoff = options.retentionDays > 0 ? options.now() - options.retentionDays * DAY_MS : undefined;
    const kept = cutoff === undefined ? lines : lines.filter((line) => !isOlderThan(line, cutoff));
    if (kept.length !== lines.length || complete.length !== text.length) {
      const temporary = `${file}.tmp`;
      await writeFile(temporary, kept.map((line) => `${line}\n`).join(""));
      await rename(temporary, file);
    }
    const bytes = kept.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    return new EventArchive(options, file, kept.length, bytes);
  }

  get name(): string {
    return this.options.name;
  }

  get eventCount(): number {
    return this.events;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Appends event envelopes (JSON text, one line each); resolves once they are on disk. */
  append(events: readonly string[]): Promise<void> {
    const chunk = events.map((event) => `${event}\n`).join("");
    const written = this.tail.then(async () => {
      this.handle ??= await open(this.file, "a");
      await this.handle.appendFile(chunk);
      if (this.options.fsync !== false) await this.handle.datasync();
      this.events += events.length;
      this.bytes += Buffer.byteLength(chunk);
    });
    this.tail = written.catch(() => undefined);
    return written;
  }

  /** Every archived envelope, oldest first (after pending appends). */
  async readAll(): Promise<string[]> {
    await this.tail;
    const text = await readFile(this.file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    return text.split("\n").filter((line) => line !== "");
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** The event's `time` in epoch milliseconds, or undefined when the line is not an event. */
export function eventTimeOf(line: string): number | undefined {
  try {
    const event = JSON.parse(line) as { time?: unknown };
    const time = typeof event.time === "string" ? Date.parse(event.time) : Number.NaN;
    return Number.isNaN(time) ? undefined : time;
  } catch {
    return undefined;
  }
}

function isOlderThan(line: string, cutoff: number): boolean {
  const time = eventTimeOf(line);
  return time !== undefined && time < cutoff;
}
