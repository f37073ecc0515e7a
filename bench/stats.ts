/** Small, pure statistics for the benchmarks: nearest-rank percentiles, summaries, ratios. */

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * The nearest-rank percentile (the smallest sample with at least p% of the samples at or below it): always
 * an observed value, never an interpolation. `sorted` must be ascending and non-empty.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile out of range: ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(
    [...samples].sort((a, b) => a - b),
    p,
  );
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("summary of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    n: sorted.length,
    min: sorted[0] as number,
    mean: sum / sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** a / b, rounded for a table; undefined when the baseline is zero or missing. */
export function ratio(a: number, b: number | undefined, digits = 2): number | undefined {
  if (b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return round(a / b, digits);
}

export function round(x: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(x * factor) / factor;
}

/** Rounds every number of a summary (milliseconds to microseconds by default). */
export function roundSummary(summary: Summary, digits = 3): Summary {
  return {
    n: summary.n,
    min: round(summary.min, digits),
    mean: round(summary.mean, digits),
    p50: round(summary.p50, digits),
    p90: round(summary.p90, digits),
    p95: round(summary.p95, digits),
    p99: round(summary.p99, digits),
    max: round(summary.max, digits),
  };
}

/**
 * Sustained throughput: completions per second over the middle of a run, from the time the first `trim`
 * share of completions had happened to the time the last `trim` share began, so ramp-up and the tail of
 * the last stragglers do not count. With too few completions, the whole span is used.
 */
export function sustainedRate(completionTimesMs: readonly number[], trim = 0.1): number {
  const sorted = [...completionTimesMs].sort((a, b) => a - b);
  if (sorted.length < 2) return 0;
  const skip = sorted.length >= 20 ? Math.floor(sorted.length * trim) : 0;
  const first = sorted[skip] as number;
  const last = sorted[sorted.length - 1 - skip] as number;
  const count = sorted.length - 2 * skip - 1;
  const spanMs = last - first;
  return spanMs > 0 ? (count * 1000) / spanMs : 0;
}
