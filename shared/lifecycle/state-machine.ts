import {
  type Actor,
  COMPLAINT_STATUSES,
  type ComplaintStatus,
  TERMINAL_STATUSES,
  type TimelineEntry,
  type Visibility,
} from "./states";

type Rule = readonly [from: readonly ComplaintStatus[], to: ComplaintStatus, actors: readonly Actor[]];

const AWAITING_PLATFORM: readonly ComplaintStatus[] = ["DELIVERED", "ACKNOWLEDGED", "IN_PROGRESS"];
const CHASED: readonly ComplaintStatus[] = ["OVERDUE", "SUPERVISED"];
/** Every status a complaint can still leave. */
const OPEN: readonly ComplaintStatus[] = COMPLAINT_STATUSES.filter(
  (status) => !TERMINAL_STATUSES.has(status),
);

/** Every allowed transition with the actors that may make it; anything not listed is refused. */
const RULES: readonly Rule[] = [
  [["SUBMITTED"], "ACCEPTED", ["hub"]],
  [["SUBMITTED", "REROUTE_REVIEW"], "NOT_ACCEPTED", ["hub", "operator"]],
  [["ACCEPTED", "REROUTE_REVIEW"], "QUEUED", ["hub", "operator"]],
  // Push platforms are delivered by the hub; pull platforms confirm receipt themselves.
  [["QUEUED"], "DELIVERED", ["hub", "platform"]],
  [["DELIVERED"], "ACKNOWLEDGED", ["platform"]],
  [["DELIVERED", "ACKNOWLEDGED", "AWAITING_CONSUMER_CONFIRMATION"], "IN_PROGRESS", ["platform"]],
  // The consumer rejects the platform's resolution the first time: back to the platform (a new window).
  [["AWAITING_CONSUMER_CONFIRMATION"], "IN_PROGRESS", ["consumer"]],
  [[...AWAITING_PLATFORM, ...CHASED], "AWAITING_CONSUMER_CONFIRMATION", ["platform"]],
  [["QUEUED", ...AWAITING_PLATFORM, ...CHASED], "REROUTE_REVIEW", ["platform", "operator"]],
  [AWAITING_PLATFORM, "OVERDUE", ["schedule"]],
  [["OVERDUE"], "SUPERVISED", ["schedule", "operator"]],
  [["SUPERVISED"], "ASSOCIATION_MEDIATION", ["schedule", "operator"]],
  // A second rejection by the consumer, or an operator taking a disputed resolution into mediation.
  [["AWAITING_CONSUMER_CONFIRMATION"], "ASSOCIATION_MEDIATION", ["consumer", "operator"]],
  [["AWAITING_CONSUMER_CONFIRMATION"], "CLOSED", ["consumer", "schedule", "operator"]],
  // Mediation ends by the operator (settled or terminated, SAMR Art 24) or by its time limit (the schedule).
  [["ASSOCIATION_MEDIATION"], "CLOSED", ["operator", "schedule"]],
  [["REROUTE_REVIEW", ...CHASED, ...AWAITING_PLATFORM], "CLOSED", ["operator"]],
  [OPEN, "WITHDRAWN", ["consumer"]],
];

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: ComplaintStatus,
    readonly to: ComplaintStatus,
    readonly actor: Actor,
  ) {
    super(`A ${actor} cannot move a complaint from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function canTransition(from: ComplaintStatus, to: ComplaintStatus, actor: Actor): boolean {
  if (TERMINAL_STATUSES.has(from)) return false;
  return RULES.some(
    ([froms, target, actors]) => target === to && froms.includes(from) && actors.includes(actor),
  );
}

export interface TransitionRequest {
  to: ComplaintStatus;
  actor: Actor;
  at: Date;
  reason?: string;
  note?: string;
  visibility?: Visibility;
  /** Who acted, where the actor is a person (an operator's name): kept for accountability. */
  by?: string;
}

export interface TransitionOutcome {
  status: ComplaintStatus;
  version: number;
  entry: TimelineEntry;
}

/** Decides a transition for a complaint at `status`/`version`; the caller writes it conditionally on `version`. */
export function decideTransition(
  current: { status: ComplaintStatus; version: number },
  request: TransitionRequest,
): TransitionOutcome {
  if (!canTransition(current.status, request.to, request.actor)) {
    throw new IllegalTransitionError(current.status, request.to, request.actor);
  }
  return {
    status: request.to,
    version: current.version + 1,
    entry: timelineEntry(current.status, request),
  };
}

/**
 * Where an actor may record progress without a status change. The timeline entry has from = to.
 * These are not transitions: canTransition never allows a self-transition.
 */
const PROGRESS_RULES: readonly (readonly [statuses: readonly ComplaintStatus[], actors: readonly Actor[]])[] =
  [
    // A platform working on a complaint, or being chased for it, reports contact, information requests and
    // approved refunds without leaving that status: being chased ends only with an answer.
    [["IN_PROGRESS", ...CHASED], ["platform"]],
    // A consumer may add information to any open complaint (POST /v1/complaints/{id}/messages).
    [OPEN, ["consumer"]],
    // Operators note what they did (internal entries, appraisal pauses) on any open complaint.
    [OPEN, ["operator"]],
  ];

/**
 * Entries kept for accountability in any status, closed complaints included: an operator who saw a complaint's
 * personal data (`npm run ops -- complaint show --reveal`) is on record whatever became of the complaint.
 */
export const AUDIT_REASONS: ReadonlySet<string> = new Set(["personal_data_revealed"]);

export function canRecordProgress(status: ComplaintStatus, actor: Actor, reason?: string): boolean {
  if (actor === "operator" && reason !== undefined && AUDIT_REASONS.has(reason)) return true;
  if (TERMINAL_STATUSES.has(status)) return false;
  return PROGRESS_RULES.some(([statuses, actors]) => statuses.includes(status) && actors.includes(actor));
}

/** Decides a progress entry that keeps the status (`request.to` must be the current status). */
export function decideProgress(
  current: { status: ComplaintStatus; version: number },
  request: TransitionRequest,
): TransitionOutcome {
  if (request.to !== current.status || !canRecordProgress(current.status, request.actor, request.reason)) {
    throw new IllegalTransitionError(current.status, request.to, request.actor);
  }
  return {
    status: current.status,
    version: current.version + 1,
    entry: timelineEntry(current.status, request),
  };
}

/**
 * Decides several steps in order, each from the state the previous one left (a step to the current status is
 * progress, see decideProgress). All or nothing: the caller writes the result as one conditional update.
 */
export function decideSteps(
  current: { status: ComplaintStatus; version: number },
  steps: readonly TransitionRequest[],
): { status: ComplaintStatus; version: number; entries: TimelineEntry[] } {
  if (steps.length === 0) throw new Error("decideSteps needs at least one step");
  let state = { status: current.status, version: current.version };
  const entries: TimelineEntry[] = [];
  for (const step of steps) {
    const outcome = step.to === state.status ? decideProgress(state, step) : decideTransition(state, step);
    entries.push(outcome.entry);
    state = { status: outcome.status, version: outcome.version };
  }
  return { ...state, entries };
}

/** The first entry of every complaint's timeline. */
export function initialEntry(at: Date): TimelineEntry {
  return { at: at.toISOString(), actor: "consumer", from: null, to: "SUBMITTED", visibility: "consumer" };
}

function timelineEntry(from: ComplaintStatus, request: TransitionRequest): TimelineEntry {
  return {
    at: request.at.toISOString(),
    actor: request.actor,
    from,
    to: request.to,
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.note ? { note: request.note } : {}),
    ...(request.by ? { by: request.by } : {}),
    visibility: request.visibility ?? "consumer",
  };
}
