/** Cells with fewer complaints than this are not published: a handful of complaints could point to a person. */
export const SUPPRESSION_THRESHOLD = 5;

export interface Suppression {
  total: boolean;
  categories: ReadonlySet<string>;
}

/**
 * Which of a platform's cells stay hidden. Primary: every cell (and the total) with fewer than `threshold`
 * complaints received. Secondary: when the total is shown and exactly one category is hidden, the total minus
 * the shown categories would give it away, so the smallest shown category (the first in the given order on a
 * tie) is hidden too; with no category left to hide, the total is hidden instead.
 */
export function suppressionFor(
  totalReceived: number,
  cells: readonly { category: string; received: number }[],
  threshold = SUPPRESSION_THRESHOLD,
): Suppression {
  const hidden = new Set(cells.filter((c) => c.received < threshold).map((c) => c.category));
  if (totalReceived < threshold) return { total: true, categories: new Set(cells.map((c) => c.category)) };
  if (hidden.size !== 1) return { total: false, categories: hidden };
  let smallest: { category: string; received: number } | undefined;
  for (const cell of cells) {
    if (hidden.has(cell.category)) continue;
    if (!smallest || cell.received < smallest.received) smallest = cell;
  }
  if (!smallest) return { total: true, categories: hidden };
  hidden.add(smallest.category);
  return { total: false, categories: hidden };
}
