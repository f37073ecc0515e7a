/**
 * Replaying the bus archive for operators (`npm run ops -- replay`): what a window holds (the preview, from a dry
 * run whose events land on the replay-preview queue, infra/constructs/replay-preview.ts), and how a replay is cut
 * into small replays so that it goes out at a limited rate and can be stopped between them.
 */
import { EVENT_SOURCE, ROUTED_DETAIL_TYPES } from "../events/contract";

/** Replay names of dry runs: the replay-preview rule matches these only. */
export const REPLAY_PREVIEW_PREFIX = "ops-preview-";
/** Replay names of operators' replays. */
export const REPLAY_PREFIX = "ops-replay-";

/** One archived event as the preview saw it. */
export interface PreviewEvent {
  id: string;
  /** Epoch ms (EventBridge keeps whole seconds). */
  time: number;
  detailType: string;
  platform?: string;
  urgent?: boolean;
  noticeId?: string;
}

/** What the preview tells the operator, per platform: the notices a replay would send again, and the rest. */
export interface PreviewSummary {
  from: string;
  to: string;
  /** Every archived event of the hub in the window. */
  archived: number;
  /** Notices (Complaint Submitted / Rerouted) of the platforms asked for: what the replay sends. */
  toReplay: number;
  platforms: { platform: string; notices: number; urgent: number; otherEvents: number }[];
}

/**
 * The events of a dry run's queue messages (whole events, as the preview rule's target puts them) that belong to
 * the named dry run; anything else (another operator's preview) is not ours.
 */
export function previewEventOf(body: string, replayName: string): PreviewEvent | undefined {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (event["replay-name"] !== replayName || event.source !== EVENT_SOURCE) return undefined;
  const detail = (typeof event.detail === "object" && event.detail !== null ? event.detail : {}) as Record<
    string,
    unknown
  >;
  const time = typeof event.time === "string" ? Date.parse(event.time) : Number.NaN;
  return {
    id: String(event.id ?? ""),
    time: Number.isFinite(time) ? time : 0,
    detailType: String(event["detail-type"] ?? ""),
    ...(typeof detail.platform === "string" ? { platform: detail.platform } : {}),
    ...(typeof detail.urgent === "boolean" ? { urgent: detail.urgent } : {}),
    ...(typeof detail.noticeId === "string" ? { noticeId: detail.noticeId } : {}),
  };
}

export const isNotice = (event: PreviewEvent) =>
  (ROUTED_DETAIL_TYPES as readonly string[]).includes(event.detailType);

/** The notices a replay limited to `platform` (or to every platform) would send. */
export function noticesToReplay(events: readonly PreviewEvent[], platform?: string): PreviewEvent[] {
  return events.filter((event) => isNotice(event) && (platform === undefined || event.platform === platform));
}

export function summarizePreview(
  events: readonly PreviewEvent[],
  window: { from: Date; to: Date },
  platform?: string,
): PreviewSummary {
  const unique = [...new Map(events.map((event) => [event.id, event])).values()];
  const rows = new Map<string, PreviewSummary["platforms"][number]>();
  for (const event of unique) {
    const id = event.platform ?? "(none)";
    if (platform !== undefined && id !== platform) continue;
    const row = rows.get(id) ?? { platform: id, notices: 0, urgent: 0, otherEvents: 0 };
    if (isNotice(event)) {
      row.notices++;
      if (event.urgent) row.urgent++;
    } else {
      row.otherEvents++;
    }
    rows.set(id, row);
  }
  return {
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    archived: unique.length,
    toReplay: noticesToReplay(unique, platform).length,
    platforms: [...rows.values()].sort(
      (a, b) => b.notices - a.notices || a.platform.localeCompare(b.platform),
    ),
  };
}

/** One small replay of the whole: its window (both ends inclusive) and the events it carries. */
export interface ReplayChunk {
  from: Date;
  to: Date;
  events: number;
}

/**
 * Cuts [from, to] into windows of at most `batch` events each (more only when one second holds more: EventBridge
 * times are whole seconds, and a window cannot split a second). Windows meet without overlapping: each ends 1 ms
 * before the next one's first second, so no event is replayed twice and none is missed.
 */
export function planChunks(
  times: readonly number[],
  window: { from: Date; to: Date },
  batch: number,
): ReplayChunk[] {
  if (!Number.isInteger(batch) || batch < 1) throw new Error("The batch size must be a positive integer");
  const from = window.from.getTime();
  const to = window.to.getTime();
  const seconds = new Map<number, number>();
  for (const time of times) {
    if (time < from || time > to) continue;
    const second = Math.floor(time / 1000) * 1000;
    seconds.set(second, (seconds.get(second) ?? 0) + 1);
  }
  const ordered = [...seconds.entries()].sort((a, b) => a[0] - b[0]);
  if (ordered.length === 0) return [];
  const groups: { start: number; events: number }[] = [];
  for (const [second, count] of ordered) {
    const last = groups.at(-1);
    if (last && last.events + count <= batch) last.events += count;
    else groups.push({ start: second, events: count });
  }
  return groups.map((group, i) => {
    const next = groups[i + 1];
    return {
      from: new Date(i === 0 ? from : group.start),
      to: new Date(next ? next.start - 1 : to),
      events: group.events,
    };
  });
}
