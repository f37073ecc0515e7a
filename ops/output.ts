/**
 * How the ops CLI talks: tables and lines for people, one JSON document for scripts (`--json`), colours only on
 * a terminal (never with NO_COLOR or --no-color), progress bars on long work when a person watches (stderr).
 */
import { SingleBar } from "cli-progress";
import { createColors } from "picocolors";

/** Exit codes (README "Operating the hub"). */
export const EXIT = {
  ok: 0,
  /** Something failed: AWS refused, the target is unreachable, a redrive or replay failed. */
  failure: 1,
  /** The command line is wrong: unknown command or option, bad value, a confirmation needed. */
  usage: 2,
  /** What was named does not exist: complaint, platform, message. */
  notFound: 3,
  /** The lifecycle refuses the transition in the complaint's status, or a rotation still overlaps. */
  refused: 4,
  /** The operator interrupted (Ctrl-C); a running replay or redrive was cancelled. */
  cancelled: 130,
} as const;

/** An error the CLI reports as a message and an exit code (no stack trace). */
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = "OpsError";
  }
}

export const usageError = (message: string) => new OpsError(message, EXIT.usage);
export const notFound = (message: string) => new OpsError(message, EXIT.notFound);

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** What the CLI runs against: streams, environment, and how it waits for an answer or an interrupt. */
export interface Io {
  stdout: Writer;
  stderr: Writer;
  env: Record<string, string | undefined>;
  /** Asks a yes/no question (undefined when nobody can answer: no terminal). */
  confirm?: (question: string) => Promise<boolean>;
  /** Aborted on Ctrl-C (SIGINT). */
  interrupt?: AbortSignal;
}

export type Colors = ReturnType<typeof createColors>;

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined | null;
  align?: "left" | "right";
  /** Colours a cell's text (the padding is computed on the plain text). */
  color?: (text: string, row: T) => string;
}

export class Output {
  readonly json: boolean;
  readonly colors: Colors;
  readonly interactive: boolean;

  constructor(
    readonly io: Io,
    options: { json?: boolean; color?: boolean },
  ) {
    this.json = options.json === true;
    this.interactive = io.stdout.isTTY === true && !this.json;
    const color =
      options.color !== false && this.interactive && io.env.NO_COLOR === undefined && io.env.TERM !== "dumb";
    this.colors = createColors(color);
  }

  line(text = ""): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** Notes for the person (stderr), never mixed into JSON output. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** The command's result: printed as JSON with --json, otherwise shown by `human`. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else human();
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    const cells = rows.map((row) => columns.map((column) => text(column.value(row))));
    const widths = columns.map((column, i) =>
      Math.max(width(column.header), ...cells.map((row) => width(row[i] as string))),
    );
    const pad = (value: string, i: number) => {
      const fill = " ".repeat(Math.max(0, (widths[i] as number) - width(value)));
      return columns[i]?.align === "right" ? fill + value : value + fill;
    };
    this.line(
      this.colors.bold(
        columns
          .map((column, i) => pad(column.header, i))
          .join("  ")
          .trimEnd(),
      ),
    );
    rows.forEach((row, r) => {
      const line = columns.map((column, i) => {
        const value = (cells[r] as string[])[i] as string;
        const padded = pad(value, i);
        return column.color ? padded.replace(value, column.color(value, row)) : padded;
      });
      this.line(line.join("  ").trimEnd());
    });
  }

  /** A progress bar on stderr when a person watches; otherwise nothing (the final count is printed anyway). */
  progress(label: string, total: number): Progress {
    if (!this.interactive || this.io.stderr.isTTY !== true) return { update() {}, stop() {} };
    const bar = new SingleBar({
      format: `${label} {bar} {value}/{total} {percentage}% {extra}`,
      stream: this.io.stderr as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    });
    bar.start(Math.max(total, 1), 0, { extra: "" });
    return {
      update(value, extra = "", newTotal) {
        if (newTotal !== undefined) bar.setTotal(Math.max(newTotal, 1));
        bar.update(value, { extra });
      },
      stop() {
        bar.stop();
      },
    };
  }
}

export interface Progress {
  update(value: number, extra?: string, total?: number): void;
  stop(): void;
}

function text(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return "–";
  return String(value);
}

/** Display width: CJK characters take two columns. */
export function width(value: string): number {
  let columns = 0;
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    columns +=
      code >= 0x1100 &&
      (code <= 0x115f ||
        (code >= 0x2e80 && code <= 0xa4cf) ||
        (code >= 0xac00 && code <= 0xd7a3) ||
        (code >= 0xf900 && code <= 0xfaff) ||
        (code >= 0xfe30 && code <= 0xfe4f) ||
        (code >= 0xff00 && code <= 0xff60) ||
        (code >= 0xffe0 && code <= 0xffe6))
        ? 2
        : 1;
  }
  return columns;
}

/** 95 → "1m 35s", 7200 → "2h 0m". */
export function duration(seconds: number | undefined | null): string | undefined {
  if (seconds === undefined || seconds === null) return undefined;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** Values of a CSV row, quoted where needed (RFC 4180). */
export function csvRow(values: readonly (string | number | null | undefined)[]): string {
  return values
    .map((value) => {
      const cell = value === null || value === undefined ? "" : String(value);
      return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
    })
    .join(",");
}
