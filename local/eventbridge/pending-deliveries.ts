/**
 * The events the bus has accepted and not yet finished delivering, on disk:
 * `<stateDir>/eventbridge/pending-deliveries.jsonl`. EventBridge answers PutEvents only once the event is
 * durably taken, and delivers it to every matched target afterwards; a local cloud killed in between (SIGKILL,
 * a power cut) must still deliver it, or a caller that was told "accepted" has lost an event.
 *
 * A line `{"p": {id, busName, text, ingestedAt}}` is written (and, with fsync, synced) before PutEvents answers;
 * `{"d": id}` once every target delivery of the event has ended (delivered, dead-lettered or given up). After a
 * restart the events without their `d` line are delivered again from the start: at least once, as EventBridge
 * promises (a target may see an event twice). The file is rewritten with only the pending events when it grows.
 */
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface PendingEvent {
  id: string;
  busName: string;
  /** The envelope as JSON text. */
  text: string;
  ingestedAt: number;
}

type Line = { p: PendingEvent } | { d: string };

const FILE = "pending-deliveries.jsonl";
/** Lines written before the file is rewritten with the pending events only. */
const COMPACT_AFTER_LINES = 20_000;

export class PendingDeliveries {
  private handle: FileHandle | undefined;
  private tail: Promise<void> = Promise.resolve();
  private lines: number;

  private constructor(
    readonly file: string,
    private readonly pending: Map<string, PendingEvent>,
    private readonly fsync: boolean,
  ) {
    this.lines = pending.size;
  }

  /** Opens the journal in `<stateDir>/eventbridge/`, keeping only what is still pending (a torn line is skipped). */
  static async open(stateDir: string, options: { fsync?: boolean } = {}): Promise<PendingDeliveries> {
    const directory = join(stateDir, "eventbridge");
    await mkdir(directory, { recursive: true });
    const file = join(directory, FILE);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    const pending = new Map<string, PendingEvent>();
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let entry: Line;
      try {
        entry = JSON.parse(line) as Line;
      } catch {
        continue;
      }
      if ("p" in entry) pending.set(entry.p.id, entry.p);
      else pending.delete(entry.d);
    }
    const journal = new PendingDeliveries(file, pending, options.fsync ?? true);
    await journal.rewrite();
    return journal;
  }

  /** What was accepted and not delivered when the journal was opened (and since), oldest first. */
  events(): PendingEvent[] {
    return [...this.pending.values()];
  }

  /** Records accepted events; resolves once they are on disk. */
  accept(events: readonly PendingEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    for (const event of events) this.pending.set(event.id, event);
    return this.append(
      events.map((p) => ({ p })),
      this.fsync,
    );
  }

  /** Every delivery of the event has ended. Not synced: a lost line only means one more delivery. */
  done(id: string): void {
    if (!this.pending.delete(id)) return;
    void this.append([{ d: id }], false).then(() => {
      if (this.lines > COMPACT_AFTER_LINES) void this.queue(() => this.rewrite());
    });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = undefined;
  }

  private append(entries: readonly Line[], sync: boolean): Promise<void> {
    const chunk = entries.map((entry) => `${JSON.stringify(entry)}\n`).join("");
    return this.queue(async () => {
      this.handle ??= await open(this.file, "a");
      await this.handle.appendFile(chunk);
      if (sync) await this.handle.datasync();
      this.lines += entries.length;
    });
  }

  /** Rewrites the file with the pending events only (temporary file, then rename). */
  private async rewrite(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const temporary = `${this.file}.tmp`;
    await writeFile(
      temporary,
      this.events()
        .map((p) => `${JSON.stringify({ p })}\n`)
        .join(""),
    );
    await rename(temporary, this.file);
    this.lines = this.pending.size;
  }

  private queue(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
