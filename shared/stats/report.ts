import { ISSUE_NATURES } from "../complaint/submission";
import { type CellCounters, sumCells } from "./counters";
import { figuresOf } from "./figures";
import type { StatsCell, StatsReport } from "./report-schema";
import { SUPPRESSION_THRESHOLD, suppressionFor } from "./suppression";

/** A platform as the registry (infra/platforms.ts) names it. */
export interface PublishedPlatform {
  id: string;
  names: { zh: string; en: string };
  enabled: boolean;
}

/** What each figure means, published with them. */
export const STATS_DEFINITIONS: Readonly<Record<string, string>> = {
  scope:
    "Cumulative since the hub began counting, per member platform and per issue nature (category.nature of the submission). A complaint re-routed to another platform counts for each platform it reached, for what happened while it was there.",
  received: "Complaints that reached the platform: accepted and routed to it, or re-routed to it.",
  delivered:
    "Complaints delivered to the platform's after-sale system (pushed and accepted, or pulled and acknowledged).",
  onTimeResponseRate:
    "answeredOnTime / (answeredOnTime + answeredLate + overdue): of the complaints whose response window has ended, the share the platform answered (a proposal, resolution or refusal put to the consumer) by its due date: 7 Chinese working days after delivery unless the platform's agreement says otherwise, 2 for safety issues, time spent waiting for information the platform asked the consumer for not counted. overdue: the complaint became overdue before any answer. Only the first answer of each complaint counts. Null when there is none yet.",
  settlementRate:
    "settled / closed: of the closed complaints, the share closed with an outcome for the consumer (the consumer accepted the resolution, or did not answer it within 7 days, or mediation reached an agreement, or the parties settled). Null when none is closed yet.",
  medianFirstResponseHours:
    "The median time from delivery to the platform's first report on the complaint, each time rounded down to whole hours; 720 stands for 720 hours or more. Null when there is none yet.",
  suppressed: `A cell with fewer than ${SUPPRESSION_THRESHOLD} complaints received shows no figures; when a platform would have exactly one such category, its next-smallest category is hidden too, so that no hidden cell can be worked out from the platform's total.`,
};

/**
 * The public statistics from the counter cells: every platform of the registry that is enabled or has counts,
 * its total and every issue nature, with small cells suppressed. Counts for ids outside the registry are left
 * out (only members are counted), and categories outside the current list are folded into "other" so no count
 * is in a total without being in a category.
 */
export function buildStatsReport(
  cells: readonly CellCounters[],
  platforms: readonly PublishedPlatform[],
  generatedAt: Date,
): StatsReport {
  const natures: readonly string[] = ISSUE_NATURES;
  const byPlatform = new Map<string, CellCounters[]>();
  for (const cell of cells) {
    const list = byPlatform.get(cell.platform) ?? [];
    list.push(cell);
    byPlatform.set(cell.platform, list);
  }

  const rows = platforms
    .filter((p) => p.enabled || byPlatform.has(p.id))
    .map((platform) => {
      const own = byPlatform.get(platform.id) ?? [];
      const categoryCells = ISSUE_NATURES.map((nature) =>
        sumCells(
          platform.id,
          nature,
          own.filter((c) => c.category === nature || (nature === "other" && !natures.includes(c.category))),
        ),
      );
      const total = sumCells(platform.id, "*", own);
      const suppression = suppressionFor(
        total.counts.received,
        categoryCells.map((c) => ({ category: c.category, received: c.counts.received })),
      );
      return {
        platform: platform.id,
        names: { zh: platform.names.zh, en: platform.names.en },
        total: shown(total, suppression.total),
        categories: categoryCells.map((c) => ({
          category: c.category as (typeof ISSUE_NATURES)[number],
          ...shown(c, suppression.categories.has(c.category)),
        })),
      };
    });

  return {
    schemaVersion: "1",
    generatedAt: generatedAt.toISOString(),
    suppressionThreshold: SUPPRESSION_THRESHOLD,
    definitions: { ...STATS_DEFINITIONS },
    platforms: rows,
  };
}

function shown(cell: CellCounters, suppressed: boolean): StatsCell {
  return suppressed ? { suppressed: true } : { suppressed: false, ...figuresOf(cell) };
}
