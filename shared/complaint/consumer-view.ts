import { runningTimer } from "../lifecycle/timers";
import type { ComplaintRecord } from "./record";

/** What the consumer sees of their complaint: no internal notes, attempts, hashes or platform internals. */
export function consumerView(record: ComplaintRecord) {
  return {
    complaintId: record.complaintId,
    platform: record.platform,
    status: record.status,
    urgent: record.urgent,
    submittedAt: record.submittedAt,
    updatedAt: record.updatedAt,
    title: record.submission.title,
    category: record.submission.category,
    demands: record.submission.demands,
    deadlines: record.deadlines,
    /** The deadline running now (none while a clock is paused or once settled), and what it is for. */
    ...currentDeadline(record),
    /** The platform asked for information: the consumer answers with POST .../messages. */
    awaitingConsumerInfo: record.awaitingConsumerInfo === true,
    ...(record.relief ? { relief: record.relief } : {}),
    delivery: {
      delivered: record.delivery.state === "delivered",
      ...(record.delivery.deliveredAt ? { deliveredAt: record.delivery.deliveredAt } : {}),
      ...(record.delivery.caseRef ? { platformCaseRef: record.delivery.caseRef } : {}),
    },
    timeline: record.timeline
      .filter((entry) => entry.visibility === "consumer")
      .map(({ at, from, to, reason, note }) => ({
        at,
        from,
        to,
        ...(reason ? { reason } : {}),
        ...(note ? { note } : {}),
      })),
  };
}

function currentDeadline(record: ComplaintRecord) {
  const running = runningTimer(record);
  return running ? { currentDeadline: { kind: running.kind, dueBy: running.dueBy } } : {};
}
