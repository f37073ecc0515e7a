import type { ComplaintRecord } from "../complaint/record";
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
 * routed; a status change and a delivery that got parked are announced so new rules can subscribe.
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
  const events: HubEvent[] = [];
  if (oldImage.status !== newImage.status) {
    const entry = newImage.timeline.at(-1);
    const detail: StatusChangedDetail = {
      schemaVersion: "1",
      complaintId: newImage.complaintId,
      platform: newImage.platform,
      from: oldImage.status,
      to: newImage.status,
      actor: entry?.actor ?? "hub",
      at: entry?.at ?? newImage.updatedAt,
      ...(entry?.reason ? { reason: entry.reason } : {}),
      urgent: newImage.urgent,
    };
    events.push({ detailType: DETAIL_TYPES.statusChanged, detail, time });
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
