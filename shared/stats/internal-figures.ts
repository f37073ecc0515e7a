/**
 * The association's own view of the statistics (`npm run ops -- stats`): every platform's figures unsuppressed,
 * with the counts behind the rates. Never published: small cells are what suppression protects.
 */
import { type CellCounters, sumCells } from "./counters";
import type { FactName } from "./facts";
import { type Figures, figuresOf } from "./figures";
import type { PublishedPlatform } from "./report";

export interface InternalPlatformFigures extends Figures {
  platform: string;
  name: string;
  counts: Record<FactName, number>;
}

/** Per platform of the registry that is enabled or has counts: its totals over every category, unsuppressed. */
export function internalFigures(
  cells: readonly CellCounters[],
  platforms: readonly PublishedPlatform[],
): InternalPlatformFigures[] {
  return platforms
    .filter((platform) => platform.enabled || cells.some((cell) => cell.platform === platform.id))
    .map((platform) => {
      const total = sumCells(
        platform.id,
        "*",
        cells.filter((cell) => cell.platform === platform.id),
      );
      return { platform: platform.id, name: platform.names.en, ...figuresOf(total), counts: total.counts };
    });
}
