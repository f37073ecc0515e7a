/** Complaint images for the statistics tests, moved along by hand so they do not depend on the state machine. */
import type { ComplaintRecord } from "../../shared/complaint/record";
import type { Actor, ComplaintStatus, TimelineEntry } from "../../shared/lifecycle/states";
import { complaintRecord, FIXTURE_NOW, validSubmission } from "../helpers/fixtures";

export const HOUR = 3_600_000;
export const at = (hours: number) => new Date(FIXTURE_NOW.getTime() + hours * HOUR).toISOString();
/** The response window used throughout: due 7 days after the fixture's "now". */
export const DUE = at(7 * 24);

export interface Step {
  to: ComplaintStatus;
  actor: Actor;
  /** Hours after FIXTURE_NOW. */
  hours: number;
  reason?: string;
}

/** A copy of `record` with the steps appended to its timeline (one write), and attribute changes. */
export function moved(
  record: ComplaintRecord,
  steps: readonly Step[],
  changes: Partial<ComplaintRecord> = {},
): ComplaintRecord {
  const next = structuredClone(record);
  let status = record.status;
  for (const step of steps) {
    const entry: TimelineEntry = {
      at: at(step.hours),
      actor: step.actor,
      from: status,
      to: step.to,
      ...(step.reason ? { reason: step.reason } : {}),
      visibility: "consumer",
    };
    next.timeline.push(entry);
    status = step.to;
  }
  const last = steps.at(-1);
  return {
    ...next,
    status,
    version: record.version + 1,
    updatedAt: last ? at(last.hours) : record.updatedAt,
    ...changes,
  };
}

/** An accepted complaint about `platform` (a member unless said otherwise), of the given issue nature. */
export function accepted(
  options: { complaintId?: string; platform?: string; nature?: "quality" | "price" | "counterfeit" } = {},
): ComplaintRecord {
  const submission = validSubmission({
    platform: options.platform ?? "suning",
    category: { nature: options.nature ?? "quality", domain: "electronics" },
  });
  const record = complaintRecord({
    submission,
    ...(options.complaintId ? { complaintId: options.complaintId } : {}),
  });
  return {
    ...record,
    deadlines: { ...record.deadlines, platformResponseDueBy: DUE, basis: "from_delivery" },
  };
}

/** The usual life of a complaint with a push platform, image by image. */
export function lifecycle(options: Parameters<typeof accepted>[0] = {}) {
  const c0 = accepted(options);
  const queued = moved(c0, [{ to: "QUEUED", actor: "hub", hours: 0.01 }]);
  const delivered = moved(queued, [{ to: "DELIVERED", actor: "hub", hours: 1 }], {
    delivery: { state: "delivered", attempts: 1, deliveredAt: at(1) },
  });
  const acknowledged = moved(delivered, [{ to: "ACKNOWLEDGED", actor: "platform", hours: 6.5 }]);
  const answered = moved(acknowledged, [
    { to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 48, reason: "platform_resolved" },
  ]);
  const closed = moved(answered, [
    { to: "CLOSED", actor: "consumer", hours: 50, reason: "resolved_accepted" },
  ]);
  return { c0, queued, delivered, acknowledged, answered, closed };
}
