/**
 * What the association's operators do to a complaint (the ops CLI calls these with the operator's own AWS
 * credentials): supervise, mediate, pause mediation for testing or appraisal, re-route, refuse, close, and note.
 * The state machine decides every step; each write is conditional on the version read, re-decided on a fresh read
 * when another writer won; every entry names the operator.
 */
import type { ComplaintRecord } from "../complaint/record";
import { platformIdSchema } from "../complaint/submission";
import { pauseForAppraisal, resumeClock } from "../lifecycle/clock";
import {
  CLOSURE_REASONS,
  type ClosureReason,
  NOT_ACCEPTED_REASONS,
  type NotAcceptedReason,
  OPERATOR_CLOSURE_REASONS,
} from "../lifecycle/reasons";
import { rerouteChanges } from "../lifecycle/reroute";
import type { TransitionRequest } from "../lifecycle/state-machine";
import type { ComplaintStatus } from "../lifecycle/states";
import { type ComplaintStore, type SideEffects, withFreshRead } from "../store/complaint-store";

export interface OperatorDependencies {
  store: ComplaintStore;
  now: () => Date;
  /** Whether a platform is an enabled member (a re-route to anyone else goes to triage). */
  isMember: (platformId: string) => boolean;
}

/** Who acts, and an optional note for the timeline. */
export interface OperatorRequest {
  complaintId: string;
  /** The operator's name (kept in the timeline entry). */
  operator: string;
  note?: string;
}

/** A request an operator may not make as asked (unknown complaint, reason or platform; nothing to resume). */
export class OperatorRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OperatorRequestError";
  }
}

/** The complaint asked for does not exist. */
export class ComplaintNotFoundError extends OperatorRequestError {
  constructor(readonly complaintId: string) {
    super(`No complaint ${complaintId}`);
    this.name = "ComplaintNotFoundError";
  }
}

interface Plan {
  steps: TransitionRequest[];
  effects?: SideEffects;
}

/** OVERDUE → SUPERVISED (督办) ahead of the schedule: the platform gets its 3 working days from now. */
export async function supervise(deps: OperatorDependencies, request: OperatorRequest) {
  return act(deps, request, (_current, at) => ({
    steps: [step(request, at, "SUPERVISED", "supervision_opened_by_operator")],
  }));
}

/** SUPERVISED or a disputed resolution → ASSOCIATION_MEDIATION, with its 45-working-day limit from now. */
export async function mediate(deps: OperatorDependencies, request: OperatorRequest) {
  return act(deps, request, (_current, at) => ({
    steps: [step(request, at, "ASSOCIATION_MEDIATION", "mediation_opened_by_operator")],
  }));
}

/** Closes a complaint with a closure reason (settled, or mediation ended: SAMR Art 24). */
export async function closeComplaint(
  deps: OperatorDependencies,
  request: OperatorRequest & { reason: string },
) {
  if (!(OPERATOR_CLOSURE_REASONS as string[]).includes(request.reason)) {
    throw new OperatorRequestError(
      `Unknown closure reason "${request.reason}"; one of: ${OPERATOR_CLOSURE_REASONS.join(", ")}`,
    );
  }
  const reason = request.reason as ClosureReason;
  return act(deps, request, (_current, at) => ({
    steps: [{ ...step(request, at, "CLOSED", reason), note: request.note ?? CLOSURE_REASONS[reason] }],
  }));
}

/** Refuses a complaint under review (SAMR Art 15): it is not taken further. */
export async function refuseComplaint(
  deps: OperatorDependencies,
  request: OperatorRequest & { reason: string },
) {
  if (!(request.reason in NOT_ACCEPTED_REASONS)) {
    throw new OperatorRequestError(
      `Unknown reason "${request.reason}"; one of: ${Object.keys(NOT_ACCEPTED_REASONS).join(", ")}`,
    );
  }
  const reason = request.reason as NotAcceptedReason;
  return act(deps, request, (_current, at) => ({
    steps: [
      { ...step(request, at, "NOT_ACCEPTED", reason), note: request.note ?? NOT_ACCEPTED_REASONS[reason] },
    ],
  }));
}

/**
 * Sends a complaint to another platform: through REROUTE_REVIEW to QUEUED with a new route, so the new platform
 * (or, for a platform that is not an enabled member, the association's triage queue) receives a notice with a new
 * noticeId.
 */
export async function reroute(deps: OperatorDependencies, request: OperatorRequest & { to: string }) {
  if (!platformIdSchema.safeParse(request.to).success) {
    throw new OperatorRequestError(`"${request.to}" is not a platform id`);
  }
  return act(deps, request, (current, at) => {
    if (current.platform === request.to) {
      throw new OperatorRequestError(`The complaint is already routed to ${request.to}`);
    }
    const review = step(request, at, "REROUTE_REVIEW", "reroute_by_operator", "internal");
    return {
      steps: [
        ...(current.status === "REROUTE_REVIEW" ? [] : [review]),
        step(request, at, "QUEUED", "rerouted_by_operator"),
      ],
      effects: {
        set: rerouteChanges(current, request.to, deps.isMember(request.to), at),
        remove: ["relief"],
      },
    };
  });
}

/** Mediation waits for testing or appraisal: its time is not counted (SAMR Art 23). */
export async function pauseMediation(deps: OperatorDependencies, request: OperatorRequest) {
  return act(deps, request, (current, at) => {
    if (current.status !== "ASSOCIATION_MEDIATION") {
      throw new OperatorRequestError(
        `Only a complaint in mediation can wait for appraisal (it is ${current.status})`,
      );
    }
    if (current.appraisalPending) throw new OperatorRequestError("Mediation is already paused for appraisal");
    return {
      steps: [step(request, at, "ASSOCIATION_MEDIATION", "appraisal_pending")],
      effects: pauseForAppraisal(at),
    };
  });
}

/** Testing or appraisal is done: mediation's limit moves out by the working days it took. */
export async function resumeMediation(deps: OperatorDependencies, request: OperatorRequest) {
  return act(deps, request, (current, at) => {
    if (!current.appraisalPending) throw new OperatorRequestError("Mediation is not paused for appraisal");
    const resumed = resumeClock(current, at);
    const days = resumed.addedWorkingDays;
    return {
      steps: [
        {
          ...step(request, at, "ASSOCIATION_MEDIATION", "appraisal_completed"),
          note:
            request.note ?? `The mediation limit moves out by ${days} working day${days === 1 ? "" : "s"}`,
        },
      ],
      effects: { set: resumed.set, remove: resumed.remove },
    };
  });
}

/** An internal note on an open complaint (consumers and platforms do not see it). */
export async function addOperatorNote(
  deps: OperatorDependencies,
  request: OperatorRequest & { note: string },
) {
  return act(deps, request, (current, at) => ({
    steps: [step(request, at, current.status, "operator_note", "internal")],
  }));
}

/**
 * Records that an operator saw the complaint's personal data (the consumer's name and contact details, order id,
 * evidence links): an internal entry naming the operator, in any status, closed complaints included. Call it
 * before showing the data, so nothing is shown without the record.
 */
export async function recordReveal(deps: OperatorDependencies, request: OperatorRequest) {
  return act(deps, request, (current, at) => ({
    steps: [step(request, at, current.status, "personal_data_revealed", "internal")],
  }));
}

function step(
  request: OperatorRequest,
  at: Date,
  to: ComplaintStatus,
  reason: string,
  visibility: TransitionRequest["visibility"] = "consumer",
): TransitionRequest {
  return {
    to,
    actor: "operator",
    at,
    reason,
    by: request.operator,
    visibility,
    ...(request.note ? { note: request.note } : {}),
  };
}

/** Read, decide, write conditionally; on a lost race read again and decide again. Returns the complaint after. */
async function act(
  deps: OperatorDependencies,
  request: OperatorRequest,
  plan: (current: ComplaintRecord, at: Date) => Plan,
): Promise<ComplaintRecord> {
  if (!request.operator.trim()) throw new OperatorRequestError("The operator must be named");
  const found = await withFreshRead(deps.store, request.complaintId, async (current) => {
    const { steps, effects } = plan(current, deps.now());
    await deps.store.applySteps(current, steps, effects);
    return true;
  });
  if (!found) throw new ComplaintNotFoundError(request.complaintId);
  const after = await deps.store.get(request.complaintId);
  if (!after) throw new Error("The complaint disappeared after a write");
  return after;
}
