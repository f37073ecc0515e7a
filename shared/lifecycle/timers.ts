/**
 * The deadline that runs in each status, how entering a status starts it, and the byDeadline index entry that
 * follows from it. The index is sparse: it holds each open complaint under its running deadline, so the scheduled
 * chase queries it and never scans. The store derives the index from here on every lifecycle write (withTimers),
 * so status, deadlines and index cannot disagree.
 */
import { addCalendarDays, addWorkingDays } from "../calendar/working-days";
import { platformResponseDeadline } from "../complaint/deadlines";
import { type ComplaintRecord, type Deadlines, deadlineShard } from "../complaint/record";
import type { Actor, ComplaintStatus } from "./states";

/** OVERDUE → SUPERVISED: the platform keeps one working day's grace before the association supervises. */
export const SUPERVISION_GRACE_WORKING_DAYS = 1;
/** SUPERVISED (督办): three more working days to resolve. */
export const SUPERVISION_WORKING_DAYS = 3;
/** ASSOCIATION_MEDIATION: 45 working days from acceptance into mediation (SAMR Art 23). */
export const MEDIATION_WORKING_DAYS = 45;
/** AWAITING_CONSUMER_CONFIRMATION: calendar days the consumer has to accept or reject a resolution. */
export const CONSUMER_CONFIRMATION_DAYS = 7;

export type TimerKind =
  | "platform_response"
  | "supervision_start"
  | "supervision"
  | "mediation"
  | "consumer_confirmation";

type DueField = keyof Pick<
  Deadlines,
  | "platformResponseDueBy"
  | "supervisionStartsBy"
  | "supervisionDueBy"
  | "mediationDueBy"
  | "consumerConfirmationDueBy"
>;

const PLATFORM_RESPONSE = { kind: "platform_response", field: "platformResponseDueBy" } as const;

/** The one deadline that runs in each status; statuses not listed run none. */
const TIMERS: Partial<Record<ComplaintStatus, { kind: TimerKind; field: DueField }>> = {
  DELIVERED: PLATFORM_RESPONSE,
  ACKNOWLEDGED: PLATFORM_RESPONSE,
  IN_PROGRESS: PLATFORM_RESPONSE,
  OVERDUE: { kind: "supervision_start", field: "supervisionStartsBy" },
  SUPERVISED: { kind: "supervision", field: "supervisionDueBy" },
  ASSOCIATION_MEDIATION: { kind: "mediation", field: "mediationDueBy" },
  AWAITING_CONSUMER_CONFIRMATION: { kind: "consumer_confirmation", field: "consumerConfirmationDueBy" },
};

/** The clocks the platform runs against: waiting for the consumer's information stops them. */
const PLATFORM_CLOCKS: ReadonlySet<TimerKind> = new Set([
  "platform_response",
  "supervision_start",
  "supervision",
]);

export type TimedState = Pick<
  ComplaintRecord,
  "complaintId" | "status" | "deadlines" | "awaitingConsumerInfo" | "appraisalPending" | "clockPausedAt"
>;

export interface RunningTimer {
  kind: TimerKind;
  /** The deadlines field it runs to. */
  field: DueField;
  dueBy: string;
}

/** The timer a status runs, paused or not (undefined: none). */
export function timerFor(status: ComplaintStatus): { kind: TimerKind; field: DueField } | undefined {
  return TIMERS[status];
}

/** The deadline running now: none in untimed statuses, while its clock is paused, or while only estimated. */
export function runningTimer(state: TimedState): RunningTimer | undefined {
  const timer = TIMERS[state.status];
  if (!timer || isPaused(state, timer.kind)) return undefined;
  // Before delivery the response due date is an estimate for the consumer; nobody is chased on it.
  if (timer.kind === "platform_response" && state.deadlines.basis !== "from_delivery") return undefined;
  const dueBy = state.deadlines[timer.field];
  return dueBy ? { ...timer, dueBy } : undefined;
}

function isPaused(state: TimedState, kind: TimerKind): boolean {
  if (state.awaitingConsumerInfo === true && PLATFORM_CLOCKS.has(kind)) return true;
  return state.appraisalPending === true && kind === "mediation";
}

/** One status change as the timers see it. */
export interface StatusEntry {
  from: ComplaintStatus | null;
  to: ComplaintStatus;
  actor: Actor;
  at: Date;
}

/** The deadlines after a complaint enters `entry.to`: each step of the chase starts its clock at its moment. */
export function deadlinesOnEntry(
  complaint: Pick<ComplaintRecord, "platform" | "urgent">,
  deadlines: Deadlines,
  entry: StatusEntry,
): Deadlines {
  const { at } = entry;
  const workingDaysLater = (days: number) => addWorkingDays(at, days).toISOString();
  switch (entry.to) {
    case "DELIVERED":
      return platformResponseDeadline(complaint.platform, complaint.urgent, at, "from_delivery");
    case "IN_PROGRESS":
      // The consumer rejected the resolution: the platform gets a new response window and the chase starts over.
      // A platform taking its own answer back gets no new window.
      return entry.from === "AWAITING_CONSUMER_CONFIRMATION" && entry.actor === "consumer"
        ? platformResponseDeadline(complaint.platform, complaint.urgent, at, "from_delivery")
        : deadlines;
    case "OVERDUE":
      return { ...deadlines, supervisionStartsBy: workingDaysLater(SUPERVISION_GRACE_WORKING_DAYS) };
    case "SUPERVISED":
      return { ...deadlines, supervisionDueBy: workingDaysLater(SUPERVISION_WORKING_DAYS) };
    case "ASSOCIATION_MEDIATION":
      return { ...deadlines, mediationDueBy: workingDaysLater(MEDIATION_WORKING_DAYS) };
    case "AWAITING_CONSUMER_CONFIRMATION":
      return {
        ...deadlines,
        consumerConfirmationDueBy: addCalendarDays(at, CONSUMER_CONFIRMATION_DAYS).toISOString(),
      };
    default:
      return deadlines;
  }
}

/** Attribute changes of a lifecycle write, in the store's shape (top-level names or dot paths). */
export interface AttributeChanges {
  set?: Record<string, unknown>;
  remove?: string[];
}

const DERIVED = ["gsi2pk", "gsi2sk"];

/**
 * A lifecycle write's changes completed with what follows for the timers: the deadlines each entered status
 * starts, the end of a pause whose clock no longer runs, and the complaint's place in the byDeadline index (in
 * it under the running deadline, or out of it). `deadlines` must be set whole, and the index is never set by
 * callers: both follow from here.
 */
export function withTimers(
  current: ComplaintRecord,
  entries: readonly StatusEntry[],
  changes: AttributeChanges,
): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = { ...changes.set };
  const remove = new Set(changes.remove ?? []);
  for (const path of [...Object.keys(set), ...remove]) {
    if (path.startsWith("deadlines.") || DERIVED.includes(path)) {
      throw new Error(`${path} is derived: set deadlines whole and leave the deadline index to withTimers`);
    }
  }
  const after = <K extends keyof ComplaintRecord>(key: K): ComplaintRecord[K] | undefined =>
    key in set ? (set[key] as ComplaintRecord[K]) : remove.has(key) ? undefined : current[key];
  const unset = (key: keyof ComplaintRecord) => {
    delete set[key];
    if (current[key] !== undefined) remove.add(key);
  };

  const complaint = { platform: after("platform") ?? current.platform, urgent: current.urgent };
  const given = after("deadlines") ?? current.deadlines;
  let deadlines = given;
  for (const entry of entries) {
    if (entry.from !== entry.to) deadlines = deadlinesOnEntry(complaint, deadlines, entry);
  }
  if (deadlines !== current.deadlines) set.deadlines = deadlines;
  const status = entries.at(-1)?.to ?? current.status;

  // A pause belongs to the clock it stopped: once the complaint has left the statuses that run it, it is over.
  const timer = TIMERS[status];
  if (after("awaitingConsumerInfo") && !(timer && PLATFORM_CLOCKS.has(timer.kind))) {
    unset("awaitingConsumerInfo");
    unset("clockPausedAt");
  }
  if (after("appraisalPending") && timer?.kind !== "mediation") {
    unset("appraisalPending");
    unset("clockPausedAt");
  }

  const running = runningTimer({
    complaintId: current.complaintId,
    status,
    deadlines,
    awaitingConsumerInfo: after("awaitingConsumerInfo"),
    appraisalPending: after("appraisalPending"),
    clockPausedAt: after("clockPausedAt"),
  });
  if (running) {
    set.gsi2pk = deadlineShard(current.complaintId);
    set.gsi2sk = running.dueBy;
  } else {
    for (const key of DERIVED) remove.add(key);
  }
  return { set, remove: [...remove] };
}
