import { findPlatform } from "../../infra/platforms";
import { ProblemError } from "../http/problem";
import { decideTransition, initialEntry } from "../lifecycle/state-machine";
import { deriveTrackingToken, hashToken } from "../security/tracking-token";
import type { ComplaintStore } from "../store/complaint-store";
import { platformResponseDeadline } from "./deadlines";
import { canonicalHash, complaintIdFor, IDEMPOTENCY_KEY_PATTERN } from "./identity";
import {
  COMPLAINT_SK,
  type ComplaintRecord,
  complaintPk,
  type Deadlines,
  noticeIdFor,
  platformStatusKey,
  statusSortKey,
} from "./record";
import { type ScreeningOutcome, screenSubmission } from "./screening";
import { isUrgent, type Submission, submissionRuleViolations, submissionSchema } from "./submission";
import { parseOrThrow } from "./validation";

export interface SubmitDependencies {
  store: ComplaintStore;
  /** The key tracking tokens are derived with (from Secrets Manager). */
  trackingTokenKey: () => Promise<string>;
  now: () => Date;
}

export interface SubmitReceipt {
  complaintId: string;
  trackingToken: string;
  status: ComplaintRecord["status"];
  deadlines: Deadlines;
  /** Why screening did not accept it (SAMR Art 15), when it did not. */
  reason?: string;
}

export interface SubmitOutcome {
  /** true when this request created the complaint, false for an idempotent repeat. */
  created: boolean;
  receipt: SubmitReceipt;
}

/** Validates, screens and stores a complaint; the conditional put is the commit point (DESIGN: outbox). */
export async function submitComplaint(
  deps: SubmitDependencies,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<SubmitOutcome> {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new ProblemError("validation", "Idempotency-Key must be 8 to 255 printable ASCII characters", [
      { pointer: "", detail: "invalid Idempotency-Key header" },
    ]);
  }
  const submission = parseOrThrow(submissionSchema, body, "The complaint");
  const now = deps.now();
  const violations = submissionRuleViolations(submission, shanghaiDate(now));
  if (violations.length > 0) throw new ProblemError("validation", "The complaint is not valid", violations);

  const complaintId = complaintIdFor(idempotencyKey);
  const tokenKey = await deps.trackingTokenKey();
  const tokenHash = hashToken(deriveTrackingToken(tokenKey, complaintId));
  const record = newComplaintRecord(
    complaintId,
    submission,
    now,
    tokenHash,
    screenSubmission(submission, shanghaiDate(now)),
  );
  const outcome = await deps.store.create(record);
  if (outcome.created) return { created: true, receipt: receiptFor(record, tokenKey) };

  if (outcome.existing.requestHash !== record.requestHash) {
    throw new ProblemError("idempotencyConflict", "This Idempotency-Key was used for another complaint");
  }
  return { created: false, receipt: receiptFor(outcome.existing, tokenKey) };
}

function receiptFor(record: ComplaintRecord, tokenKey: string): SubmitReceipt {
  return {
    complaintId: record.complaintId,
    trackingToken: deriveTrackingToken(tokenKey, record.complaintId),
    status: record.status,
    deadlines: record.deadlines,
    ...(record.status === "NOT_ACCEPTED" ? { reason: record.timeline.at(-1)?.reason } : {}),
  };
}

/**
 * A new complaint is screened at once: accepted (SUBMITTED → ACCEPTED), it waits to be routed; not accepted
 * (SAMR Art 15), it is kept with the reason the consumer reads and goes nowhere.
 */
export function newComplaintRecord(
  complaintId: string,
  submission: Submission,
  now: Date,
  trackingTokenHash: string,
  screening: ScreeningOutcome = { to: "ACCEPTED", reason: "screening_passed" },
): ComplaintRecord {
  const urgent = isUrgent(submission);
  const accepted = decideTransition(
    { status: "SUBMITTED", version: 1 },
    {
      to: screening.to,
      actor: "hub",
      at: now,
      reason: screening.reason,
      ...("note" in screening ? { note: screening.note } : {}),
    },
  );
  const platform = findPlatform(submission.platform);
  const at = now.toISOString();
  return {
    pk: complaintPk(complaintId),
    sk: COMPLAINT_SK,
    kind: "complaint",
    complaintId,
    platform: submission.platform,
    member: platform?.enabled ?? false,
    status: accepted.status,
    version: accepted.version,
    urgent,
    submittedAt: at,
    updatedAt: at,
    requestHash: canonicalHash(submission),
    trackingTokenHash,
    submission,
    deadlines: platformResponseDeadline(submission.platform, urgent, now, "estimated_from_submission"),
    timeline: [initialEntry(now), accepted.entry],
    routing: { noticeId: noticeIdFor(complaintId, 1), routeSeq: 1 },
    delivery: { state: "pending", attempts: 0 },
    gsi1pk: platformStatusKey(submission.platform),
    gsi1sk: statusSortKey(accepted.status, at),
  };
}

/** Today's date in China, where consumers and platforms live. */
function shanghaiDate(now: Date): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
