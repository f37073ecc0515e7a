/**
 * The figures of a fault run: each suite records its rows (what was tried, how many times, what was lost,
 * duplicated or let in) into `.hub/reliability/figures/<suite>.json`; scripts/reliability-report.ts renders
 * them as the table in docs/RELIABILITY.md (`npm run test:faults` runs the suite, then renders).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const FIGURES_DIR = join(process.cwd(), ".hub", "reliability", "figures");

export type Section =
  | "Platform faults"
  | "Hub faults"
  | "Bad input"
  | "Security"
  | "Privacy"
  | "Isolation"
  | "Overload";

export interface FigureRow {
  section: Section;
  /** What was tried. */
  what: string;
  /** How many times, in words and numbers ("40 complaints over 10 platforms"). */
  tried: string;
  /** Accepted complaints lost (or, for refusals, refused requests that changed the table). */
  lost: number;
  /** Complaints delivered twice as two cases. */
  duplicated: number;
  /** Requests let in that should not have been, personal data or tokens leaked, 5xx answers to bad input. */
  leaked: number;
  /** What happened, in figures. */
  outcome: string;
}

export interface SuiteFigures {
  suite: string;
  /** Test file, relative to the project. */
  file: string;
  startedAt: string;
  durationMs: number;
  rows: FigureRow[];
}

/** Collects a suite's rows; `write()` (in afterAll) puts them on disk. */
export class Figures {
  private readonly rows: FigureRow[] = [];
  private readonly started = Date.now();

  constructor(
    readonly suite: string,
    readonly file: string,
  ) {}

  add(row: FigureRow): FigureRow {
    this.rows.push(row);
    return row;
  }

  write(): void {
    mkdirSync(FIGURES_DIR, { recursive: true });
    const figures: SuiteFigures = {
      suite: this.suite,
      file: this.file,
      startedAt: new Date(this.started).toISOString(),
      durationMs: Date.now() - this.started,
      rows: this.rows,
    };
    writeFileSync(join(FIGURES_DIR, `${this.suite}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  }
}

/** 12345 → "12,345". */
export const n = (value: number) => value.toLocaleString("en-US");

/** Percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
