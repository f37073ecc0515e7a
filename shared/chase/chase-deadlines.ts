import { DEADLINE_SHARD_KEYS } from "../complaint/record";
import type { ComplaintStatus } from "../lifecycle/states";
import { type ComplaintStore, withFreshRead } from "../store/complaint-store";
import { GSI_BY_DEADLINE } from "../store/indexes";
import { expiryStep } from "./expiry";

export interface ChaseDependencies {
  store: ComplaintStore;
  /** Milliseconds before the run must end (the Lambda context's remaining time). */
  remainingMs: () => number;
  /** Called for a complaint that could not be moved; the next run tries it again. */
  onFailure?: (complaintId: string, error: unknown) => void;
  /** Complaints handled at once. */
  concurrency?: number;
  pageSize?: number;
}

export interface ChaseResult {
  /** Index entries found due. */
  due: number;
  /** Complaints moved, by the status they moved to. */
  moved: Partial<Record<ComplaintStatus, number>>;
  /** Due in the index but not on a fresh read (answered, paused or moved meanwhile). */
  unchanged: number;
  failed: number;
  /** False when the run stopped for time: the rest waits for the next run. */
  complete: boolean;
}

/** Stop starting new pages this long before the function's timeout. */
const TIME_RESERVE_MS = 10_000;

/**
 * One run of the schedule at `now`: every complaint whose running deadline has passed, found through the
 * byDeadline index shard by shard (a Query per page, never a scan), moves one step along the chase. Each move
 * is decided on a fresh read and written conditionally on its version, so overlapping runs, a late index or a
 * platform answering at the same moment never move a complaint twice or undo an answer.
 */
export async function chaseDeadlines(deps: ChaseDependencies, now: Date): Promise<ChaseResult> {
  const result: ChaseResult = { due: 0, moved: {}, unchanged: 0, failed: 0, complete: true };
  const concurrency = deps.concurrency ?? 8;
  for (const shard of DEADLINE_SHARD_KEYS) {
    let startKey: Record<string, unknown> | undefined;
    do {
      if (deps.remainingMs() < TIME_RESERVE_MS) return { ...result, complete: false };
      const page = await deps.store.query({
        IndexName: GSI_BY_DEADLINE,
        KeyConditionExpression: "gsi2pk = :shard AND gsi2sk <= :now",
        ExpressionAttributeValues: { ":shard": shard, ":now": now.toISOString() },
        ProjectionExpression: "complaintId",
        Limit: deps.pageSize ?? 100,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      startKey = page.lastKey;
      const ids = page.items.map((item) => String(item.complaintId));
      result.due += ids.length;
      await inBatches(ids, concurrency, async (complaintId) => {
        try {
          const to = await moveIfDue(deps.store, complaintId, now);
          if (to) result.moved[to] = (result.moved[to] ?? 0) + 1;
          else result.unchanged += 1;
        } catch (error) {
          result.failed += 1;
          deps.onFailure?.(complaintId, error);
        }
      });
    } while (startKey);
  }
  return result;
}

/** The status the complaint moved to, or undefined when nothing was due on a fresh read. */
async function moveIfDue(store: ComplaintStore, complaintId: string, now: Date) {
  let movedTo: ComplaintStatus | undefined;
  await withFreshRead(store, complaintId, async (current) => {
    const step = expiryStep(current, now);
    if (!step) return false;
    await store.applySteps(current, [step]);
    movedTo = step.to;
    return true;
  });
  return movedTo;
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(work));
  }
}
