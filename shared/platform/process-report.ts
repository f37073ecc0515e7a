import { COMPLAINT_ID_PATTERN, canonicalHash } from "../complaint/identity";
import { type ComplaintRecord, complaintPk, type ReportRecord, reportSk } from "../complaint/record";
import { parseOrThrow } from "../complaint/validation";
import { deliveredChanges } from "../delivery/delivered";
import { ProblemError } from "../http/problem";
import { pauseForConsumer } from "../lifecycle/clock";
import { rerouteChanges } from "../lifecycle/reroute";
import { decideSteps, IllegalTransitionError, type TransitionRequest } from "../lifecycle/state-machine";
import type { ComplaintStatus, Visibility } from "../lifecycle/states";
import {
  type ComplaintStore,
  ItemExistsError,
  type SideEffects,
  VersionConflictError,
} from "../store/complaint-store";
import { type PlatformReport, platformReportSchema, type ReportType } from "./report";

export interface ReportDependencies {
  store: ComplaintStore;
  now: () => Date;
  /** Whether a platform id is an enabled member: a REDIRECT there is re-routed at once. */
  isMember: (platformId: string) => boolean;
}

export interface ReportOutcome {
  complaintId: string;
  eventId: string;
  type: ReportType;
  /** The status the report left the complaint in. */
  status: ComplaintStatus;
  receivedAt: string;
  /** The platform the complaint was re-routed to at once (REDIRECT to a member). */
  reroutedTo?: string;
  /** True when this eventId was processed before: nothing changed now, the outcome is the first one. */
  replayed: boolean;
}

/** Where each report type takes the complaint, and whether the consumer sees its timeline entry. */
const REPORT_RULES: Record<ReportType, { to: ComplaintStatus; reason: string; visibility: Visibility }> = {
  ACK: { to: "ACKNOWLEDGED", reason: "acknowledged_by_platform", visibility: "consumer" },
  CONTACTED_CONSUMER: { to: "IN_PROGRESS", reason: "platform_contacted_consumer", visibility: "consumer" },
  INFO_REQUESTED: { to: "IN_PROGRESS", reason: "platform_requested_information", visibility: "consumer" },
  REFUND_APPROVED: { to: "IN_PROGRESS", reason: "refund_approved", visibility: "consumer" },
  PROPOSAL: { to: "AWAITING_CONSUMER_CONFIRMATION", reason: "platform_proposed", visibility: "consumer" },
  RESOLVED: { to: "AWAITING_CONSUMER_CONFIRMATION", reason: "platform_resolved", visibility: "consumer" },
  REFUND_REJECTED: {
    to: "AWAITING_CONSUMER_CONFIRMATION",
    reason: "refund_rejected",
    visibility: "consumer",
  },
  // Between the platform and the hub: the consumer sees the re-route, not the platform's notes about it.
  INCORRECT_PLATFORM: { to: "REROUTE_REVIEW", reason: "incorrect_platform", visibility: "platform" },
  REDIRECT: { to: "REROUTE_REVIEW", reason: "redirect_requested", visibility: "platform" },
};

const MAX_ATTEMPTS = 5;

/**
 * POST /platform/v1/complaints/{id}/events for an authenticated platform. The report and the change it causes
 * are one transaction (the complaint's conditional update and the `REPORT#<platform>#<eventId>` item), so a
 * retry after any failure either finds the report processed (same outcome, nothing changes) or does it all
 * now. A platform acts only on complaints routed to it; the state machine decides every step.
 */
export async function processReport(
  deps: ReportDependencies,
  platformId: string,
  complaintId: string,
  rawBody: string,
): Promise<ReportOutcome> {
  const report = parseOrThrow(platformReportSchema, parseJson(rawBody), "The report");
  if (!COMPLAINT_ID_PATTERN.test(complaintId)) throw new ProblemError("notFound", "No such complaint");
  const bodyHash = canonicalHash(report);

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const complaint = await deps.store.get(complaintId);
    if (!complaint) throw new ProblemError("notFound", "No such complaint");
    // The caller's own earlier report first: a retry of a REDIRECT finds its outcome after the complaint left.
    const earlier = await deps.store.getItem<ReportRecord>(
      complaintPk(complaintId),
      reportSk(platformId, report.eventId),
    );
    if (earlier) return replayOf(earlier, bodyHash);
    if (complaint.platform !== platformId) {
      throw new ProblemError("forbidden", "The complaint is not routed to this platform");
    }

    const now = deps.now();
    const plan = planReport(deps, complaint, report, now);
    const record: ReportRecord = {
      pk: complaintPk(complaintId),
      sk: reportSk(platformId, report.eventId),
      kind: "report",
      complaintId,
      platform: platformId,
      eventId: report.eventId,
      type: report.type,
      bodyHash,
      occurredAt: report.occurredAt,
      receivedAt: now.toISOString(),
      status: plan.status,
      ...(plan.reroutedTo ? { reroutedTo: plan.reroutedTo } : {}),
      ...(report.caseRef ? { caseRef: report.caseRef } : {}),
    };
    try {
      await deps.store.applySteps(complaint, plan.steps, plan.effects, [record]);
      return outcomeOf(record, false);
    } catch (error) {
      // Another writer won (the complaint changed, or the same report raced in): read again and decide again.
      if (error instanceof VersionConflictError || error instanceof ItemExistsError) continue;
      throw error;
    }
  }
  throw new ProblemError("concurrentChange");
}

interface ReportPlan {
  steps: TransitionRequest[];
  effects: SideEffects;
  status: ComplaintStatus;
  reroutedTo?: string;
}

/** The lifecycle steps and attribute changes a report stands for; refused (409) when the state machine says no. */
export function planReport(
  deps: Pick<ReportDependencies, "isMember">,
  complaint: ComplaintRecord,
  report: PlatformReport,
  at: Date,
): ReportPlan {
  const rule = REPORT_RULES[report.type];
  const steps: TransitionRequest[] = [];
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  let reroutedTo: string | undefined;

  const receipt = report.type === "ACK" && complaint.status === "QUEUED";
  if (receipt) {
    // A pull platform confirms receipt here: delivered means the same for push and pull.
    steps.push({ to: "DELIVERED", actor: "platform", at, reason: "received_by_platform" });
    Object.assign(
      set,
      deliveredChanges(complaint, { at, ...(report.caseRef ? { caseRef: report.caseRef } : {}) }),
    );
  }
  // Being chased ends only with an answer: acknowledgements and progress are recorded in the chased status.
  const chased = complaint.status === "OVERDUE" || complaint.status === "SUPERVISED";
  const progressOnly = rule.to === "ACKNOWLEDGED" || rule.to === "IN_PROGRESS";
  steps.push({
    to: chased && progressOnly ? complaint.status : rule.to,
    actor: "platform",
    at,
    reason: rule.reason,
    ...(report.note ? { note: report.note } : {}),
    visibility: rule.visibility,
  });

  if (report.type === "INFO_REQUESTED" && !complaint.clockPausedAt) {
    // The platform's clock stands still until the consumer answers (shared/lifecycle/clock.ts resumes it).
    Object.assign(set, pauseForConsumer(at).set);
  }
  if (report.type === "RESOLVED") set.relief = report.relief;
  if (report.type === "REDIRECT") {
    if (report.redirectTo === complaint.platform) {
      throw new ProblemError("validation", "The report is not valid", [
        { pointer: "/redirectTo", detail: "names the platform the complaint is already routed to" },
      ]);
    }
    if (deps.isMember(report.redirectTo)) {
      reroutedTo = report.redirectTo;
      steps.push({ to: "QUEUED", actor: "hub", at, reason: "rerouted_to_member_platform" });
      Object.assign(set, rerouteChanges(complaint, reroutedTo, true, at));
      remove.push("relief");
    }
  }

  if (!receipt && !reroutedTo && report.caseRef && !complaint.delivery.caseRef) {
    set["delivery.caseRef"] = report.caseRef;
  }

  let status: ComplaintStatus;
  try {
    status = decideSteps(complaint, steps).status;
  } catch (error) {
    if (error instanceof IllegalTransitionError) {
      throw new ProblemError(
        "illegalTransition",
        `A ${report.type} report cannot be accepted while the complaint is ${complaint.status}`,
      );
    }
    throw error;
  }
  const effects: SideEffects = { set, ...(remove.length ? { remove: [...new Set(remove)] } : {}) };
  return { steps, effects, status, ...(reroutedTo ? { reroutedTo } : {}) };
}

function replayOf(earlier: ReportRecord, bodyHash: string): ReportOutcome {
  if (earlier.bodyHash !== bodyHash) {
    throw new ProblemError("eventIdConflict", "This eventId was used for another report on this complaint");
  }
  return outcomeOf(earlier, true);
}

function outcomeOf(record: ReportRecord, replayed: boolean): ReportOutcome {
  return {
    complaintId: record.complaintId,
    eventId: record.eventId,
    type: record.type as ReportType,
    status: record.status,
    receivedAt: record.receivedAt,
    ...(record.reroutedTo ? { reroutedTo: record.reroutedTo } : {}),
    replayed,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError("malformedJson");
  }
}
