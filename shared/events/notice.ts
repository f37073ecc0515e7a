import type { ComplaintRecord } from "../complaint/record";
import type { ComplaintNotice } from "./contract";

/** The ComplaintNotice for a complaint's current route: only what the platform needs to act. */
export function noticeFor(record: ComplaintRecord): ComplaintNotice {
  const s = record.submission;
  return {
    schemaVersion: "1",
    noticeId: record.routing.noticeId,
    complaintId: record.complaintId,
    platform: record.platform,
    submittedAt: record.submittedAt,
    urgent: record.urgent,
    responseDeadlineWorkingDays: record.deadlines.responseWorkingDays,
    seller: s.seller,
    order: s.order,
    incidentDate: s.incidentDate,
    category: s.category,
    title: s.title,
    narrative: s.narrative,
    demands: s.demands,
    consumer: s.consumer,
    ...(s.evidence ? { evidence: s.evidence } : {}),
  };
}
