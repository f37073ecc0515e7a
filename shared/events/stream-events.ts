import type { ComplaintRecord } from "../complaint/record";
import type { TimelineEntry } from "../lifecycle/states";
import { DETAIL_TYPES, type DeliveryParkedDetail, type StatusChangedDetail } from "./contract";
import { noticeFor } from "./notice";

/** A bus event decided from one change of a complaint item. */
export interface HubEvent {
  detailType: (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];
  detail: object;
  time: Date;
}

/**
 * The outbox rule: which events a change of the complaint item stands for. An insert is a submission to be
 * routed, and a new route (a re-route to another platform) is routed again; every status change and a delivery
 * that got parked are announced so new rules can subscribe.
 */
export function eventsForChange(
  oldImage: ComplaintRecord | undefined,
  newImage: ComplaintRecord | undefined,
): HubEvent[] {
  if (!newImage) return [];
  const time = new Date(newImage.updatedAt);
  if (!oldImage) {
    return newImage.status === "ACCEPTED"
      ? [{ detailType: DETAIL_TYPES.submitted, detail: noticeFor(newImage), time }]
      : [];
  }
  const events: HubEvent[] = statusChanges(oldImage, newImage).map((detail) => ({
    detailType: DETAIL_TYPES.statusChanged,
    detail,
    time,
  }));
  if (newImage.routing.noticeId !== oldImage.routing.noticeId && newImage.status === "QUEUED") {
    // A new route (REROUTE_REVIEW → QUEUED with another platform): the new platform's rule takes the notice.
    events.push({ detailType: DETAIL_TYPES.rerouted, detail: noticeFor(newImage), time });
  }
  const parkedState = newImage.delivery.state;
  if (
    (parkedState === "parked" || parkedState === "dead_lettered") &&
    oldImage.delivery.state !== parkedState
  ) {
    const detail: DeliveryParkedDetail = {
      schemaVersion: "1",
      complaintId: newImage.complaintId,
      platform: newImage.platform,
      noticeId: newImage.routing.noticeId,
      state: parkedState,
      reason: newImage.delivery.parkedReason ?? "unknown",
      attempts: newImage.delivery.attempts,
      at: newImage.delivery.parkedAt ?? newImage.updatedAt,
    };
    events.push({ detailType: DETAIL_TYPES.deliveryParked, detail, time });
  }
  return events;
}

/**
 * One Status Changed event per transition the write appended (a write may make several, e.g. a pull platform's
 * ACK of a QUEUED complaint is QUEUED → DELIVERED → ACKNOWLEDGED); progress entries (from = to) are not status
 * changes. Entries before a re-route (REROUTE_REVIEW → QUEUED) are attributed to the platform they were made on.
 */
function statusChanges(oldImage: ComplaintRecord, newImage: ComplaintRecord): StatusChangedDetail[] {
  const appended = newImage.timeline.slice(oldImage.timeline.length).filter((e) => e.from !== e.to);
  if (appended.length === 0) {
    if (oldImage.status === newImage.status) return [];
    // A status change without its timeline entry: announced from the images alone.
    const entry = newImage.timeline.at(-1);
    return [
      statusChangedDetail(newImage, newImage.platform, {
        from: oldImage.status,
        to: newImage.status,
        actor: entry?.actor ?? "hub",
        at: entry?.at ?? newImage.updatedAt,
        ...(entry?.reason ? { reason: entry.reason } : {}),
      }),
    ];
  }
  let platform = oldImage.platform;
  return appended.map((entry) => {
    if (entry.from === "REROUTE_REVIEW" && entry.to === "QUEUED") platform = newImage.platform;
    return statusChangedDetail(newImage, platform, entry);
  });
}

function statusChangedDetail(
  image: ComplaintRecord,
  platform: string,
  entry: Pick<TimelineEntry, "from" | "to" | "actor" | "at" | "reason">,
): StatusChangedDetail {
  return {
    schemaVersion: "1",
    complaintId: image.complaintId,
    platform,
    from: entry.from,
    to: entry.to,
    actor: entry.actor,
    at: entry.at,
    ...(entry.reason ? { reason: entry.reason } : {}),
    urgent: image.urgent,
  };
}
