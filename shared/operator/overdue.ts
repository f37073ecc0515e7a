/**
 * Which complaints are overdue, per platform, for the operators' overview (`npm run ops -- status`): those in
 * OVERDUE or SUPERVISED (the chase has them), and those whose running deadline (shared/lifecycle/timers.ts) has
 * passed before the chase's next run got to them. Queries on the two indexes only, never a scan.
 */
import { DEADLINE_SHARD_KEYS, platformStatusKey } from "../complaint/record";
import type { ComplaintStatus } from "../lifecycle/states";
import type { ComplaintStore } from "../store/complaint-store";
import { GSI_BY_DEADLINE, GSI_BY_PLATFORM_STATUS } from "../store/indexes";

export const CHASED_STATUSES: readonly ComplaintStatus[] = ["OVERDUE", "SUPERVISED"];

export interface OverdueComplaint {
  complaintId: string;
  platform: string;
  status: string;
  /** Set when the running deadline has passed (and when it did). */
  dueBy?: string;
}

/** Every overdue complaint of the given platforms (all platforms when none are given), each once. */
export async function overdueComplaints(
  store: Pick<ComplaintStore, "query">,
  platforms: readonly string[],
  now: Date,
): Promise<OverdueComplaint[]> {
  const found = new Map<string, OverdueComplaint>();
  for (const platform of platforms) {
    for (const status of CHASED_STATUSES) {
      for await (const item of pages(store, {
        IndexName: GSI_BY_PLATFORM_STATUS,
        KeyConditionExpression: "gsi1pk = :pk AND begins_with(gsi1sk, :status)",
        ExpressionAttributeValues: { ":pk": platformStatusKey(platform), ":status": `${status}#` },
      })) {
        const id = String(item.complaintId);
        found.set(id, { complaintId: id, platform, status: String(item.status ?? status) });
      }
    }
  }
  for (const shard of DEADLINE_SHARD_KEYS) {
    for await (const item of pages(store, {
      IndexName: GSI_BY_DEADLINE,
      KeyConditionExpression: "gsi2pk = :shard AND gsi2sk <= :now",
      ExpressionAttributeValues: { ":shard": shard, ":now": now.toISOString() },
    })) {
      const platform = String(item.platform);
      if (!platforms.includes(platform)) continue;
      const id = String(item.complaintId);
      found.set(id, { complaintId: id, platform, status: String(item.status), dueBy: String(item.gsi2sk) });
    }
  }
  return [...found.values()];
}

/** The count per platform (every platform asked for, 0 when none). */
export function countByPlatform(
  complaints: readonly OverdueComplaint[],
  platforms: readonly string[],
): Map<string, number> {
  const counts = new Map(platforms.map((platform) => [platform, 0]));
  for (const complaint of complaints)
    counts.set(complaint.platform, (counts.get(complaint.platform) ?? 0) + 1);
  return counts;
}

async function* pages(
  store: Pick<ComplaintStore, "query">,
  input: Parameters<ComplaintStore["query"]>[0],
): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.query({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
    yield* page.items;
    startKey = page.lastKey;
  } while (startKey);
}
