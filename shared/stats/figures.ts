import type { CellCounters } from "./counters";
import type { FactName } from "./facts";

/** The published figures of one cell (or of a platform's total). Rates are fractions 0–1, 3 decimals. */
export interface Figures {
  received: number;
  delivered: number;
  onTimeResponseRate: number | null;
  settlementRate: number | null;
  medianFirstResponseHours: number | null;
}

/**
 * On-time response rate = answeredOnTime / (answeredOnTime + answeredLate + overdue): of the routes whose
 * response window has ended in an answer or in OVERDUE, the share the platform answered by its due date.
 * Each route counts in one of the three at most (see facts.ts), so none is counted twice. Null without any.
 */
export function onTimeResponseRate(counts: Readonly<Record<FactName, number>>): number | null {
  return rate(counts.answeredOnTime, counts.answeredOnTime + counts.answeredLate + counts.overdue);
}

/** Settlement rate = settled / closed: of the closed complaints, the share closed with an outcome for the consumer. */
export function settlementRate(counts: Readonly<Record<FactName, number>>): number | null {
  return rate(counts.settled, counts.closed);
}

/**
 * The median of the first-response times, each counted in whole hours (rounded down; the last bucket holds
 * every time from its hour on). With an even count, the mean of the two middle values. Null without any.
 */
export function medianFromHistogram(histogram: readonly number[]): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const lower = valueAtRank(histogram, Math.ceil(total / 2));
  const upper = valueAtRank(histogram, Math.floor(total / 2) + 1);
  return (lower + upper) / 2;
}

export function figuresOf(cell: CellCounters): Figures {
  return {
    received: cell.counts.received,
    delivered: cell.counts.delivered,
    onTimeResponseRate: onTimeResponseRate(cell.counts),
    settlementRate: settlementRate(cell.counts),
    medianFirstResponseHours: medianFromHistogram(cell.histogram),
  };
}

function rate(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((numerator / denominator) * 1000) / 1000 : null;
}

/** The bucket holding the `rank`-th smallest value (1-based). */
function valueAtRank(histogram: readonly number[], rank: number): number {
  let seen = 0;
  for (let hours = 0; hours < histogram.length; hours++) {
    seen += histogram[hours] ?? 0;
    if (seen >= rank) return hours;
  }
  return histogram.length - 1;
}
