import { statsEtag } from "./http-cache";
import { buildStatsReport, type PublishedPlatform } from "./report";
import { cachedFor } from "./report-cache";
import type { StatsReport } from "./report-schema";
import type { StatsStore } from "./stats-store";

/** How long one instance serves the same figures before it reads the counters again. */
export const STATS_READ_TTL_MS = 60_000;

export interface RenderedStats {
  report: StatsReport;
  etag: string;
}

/** The current statistics, read from the counters at most once per `ttlMs` per function instance. */
export function statsReader(deps: {
  store: Pick<StatsStore, "readCells">;
  platforms: readonly PublishedPlatform[];
  now: () => Date;
  ttlMs?: number;
}): () => Promise<RenderedStats> {
  return cachedFor(
    deps.ttlMs ?? STATS_READ_TTL_MS,
    async () => {
      const report = buildStatsReport(await deps.store.readCells(), deps.platforms, deps.now());
      return { report, etag: statsEtag(report) };
    },
    () => deps.now().getTime(),
  );
}
