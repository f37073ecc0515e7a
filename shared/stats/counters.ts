import { FACT_NAMES, type FactName, HISTOGRAM_CAP_HOURS } from "./facts";

/**
 * Where the statistics live in the complaints table: one counter item per platform × category under the single
 * partition "STATS" (read with one Query, never a scan), and one marker per counted fact beside them.
 */
export const STATS_PK = "STATS";
export const cellSk = (platform: string, category: string) => `${platform}#${category}`;
export const statsMarkPk = (complaintId: string) => `STATSMARK#${complaintId}`;
export const statsMarkSk = (routeSeq: number, fact: FactName) => `${routeSeq}#${fact}`;

/**
 * How long a marker is kept. A stream record can come again only while the stream keeps it (24 hours), so a
 * month is ample; the timeline, not the marker, keeps a later change from repeating a fact.
 */
export const MARK_TTL_SECONDS = 30 * 24 * 3600;

/** Counter attribute of the first-response histogram bucket for `hours` (frh_0000 … frh_0720). */
export const histogramAttribute = (hours: number) => `frh_${String(hours).padStart(4, "0")}`;
const HISTOGRAM_ATTRIBUTE = /^frh_(\d{4})$/;

/** The counters of one platform × category cell. */
export interface CellCounters {
  platform: string;
  category: string;
  counts: Record<FactName, number>;
  /** First responses by whole hours (index; the last bucket is HISTOGRAM_CAP_HOURS or more). */
  histogram: number[];
}

export function emptyCounts(): Record<FactName, number> {
  return Object.fromEntries(FACT_NAMES.map((name) => [name, 0])) as Record<FactName, number>;
}

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_CAP_HOURS + 1).fill(0);
}

/** A counter item as read from the table; anything unexpected in it counts as zero. */
export function cellFromItem(item: Record<string, unknown>): CellCounters | undefined {
  const sk = typeof item.sk === "string" ? item.sk : "";
  const separator = sk.indexOf("#");
  if (separator <= 0) return undefined;
  const counts = emptyCounts();
  for (const name of FACT_NAMES) counts[name] = count(item[name]);
  const histogram = emptyHistogram();
  for (const [key, value] of Object.entries(item)) {
    const hours = HISTOGRAM_ATTRIBUTE.exec(key)?.[1];
    if (hours !== undefined && Number(hours) <= HISTOGRAM_CAP_HOURS) histogram[Number(hours)] = count(value);
  }
  return { platform: sk.slice(0, separator), category: sk.slice(separator + 1), counts, histogram };
}

/** The sum of several cells' counters (a platform's total). */
export function sumCells(platform: string, category: string, cells: readonly CellCounters[]): CellCounters {
  const counts = emptyCounts();
  const histogram = emptyHistogram();
  for (const cell of cells) {
    for (const name of FACT_NAMES) counts[name] += cell.counts[name];
    cell.histogram.forEach((n, hours) => {
      histogram[hours] = (histogram[hours] ?? 0) + n;
    });
  }
  return { platform, category, counts, histogram };
}

function count(value: unknown): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
