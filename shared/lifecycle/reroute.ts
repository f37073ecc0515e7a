import { platformResponseDeadline } from "../complaint/deadlines";
import { type ComplaintRecord, noticeIdFor, platformStatusKey } from "../complaint/record";

/**
 * A new route to another platform (a member's REDIRECT, or an operator's re-route): a new noticeId (the routed
 * event and the new platform's dedup key), delivery starting over, the platform's index partition, and the
 * response window of the new platform, estimated until it is delivered there. A non-member's notice goes to
 * the association's triage queue by the routing rules.
 */
export function rerouteChanges(complaint: ComplaintRecord, platform: string, member: boolean, at: Date) {
  const routeSeq = complaint.routing.routeSeq + 1;
  return {
    platform,
    member,
    routing: { noticeId: noticeIdFor(complaint.complaintId, routeSeq), routeSeq },
    delivery: { state: "pending", attempts: 0 },
    gsi1pk: platformStatusKey(platform),
    deadlines: platformResponseDeadline(platform, complaint.urgent, at, "estimated_from_submission"),
  };
}
