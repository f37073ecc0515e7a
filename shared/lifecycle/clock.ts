/**
 * Clocks that stand still while the hub waits for someone else: a platform that asked the consumer for
 * information (INFO_REQUESTED) pauses its own clock until the consumer answers; testing or appraisal during
 * mediation pauses the 45-day limit (SAMR Art 23). Resuming pushes the running deadline out by the working days
 * spent waiting. Pure arithmetic over the complaint's attributes; the index follows in the store (timers.ts).
 */
import { addWorkingDays, workingDaysBetween } from "../calendar/working-days";
import type { ComplaintRecord, Deadlines } from "../complaint/record";
import { timerFor } from "./timers";

/** Attribute changes, in the shape of the store's side effects. */
export interface ClockChanges {
  set: Record<string, unknown>;
  remove: string[];
}

/** Pauses the platform's clock: the hub waits for the consumer from `now`. */
export function pauseForConsumer(now: Date): ClockChanges {
  return { set: { awaitingConsumerInfo: true, clockPausedAt: now.toISOString() }, remove: [] };
}

/** Pauses the mediation limit while testing or appraisal is pending. */
export function pauseForAppraisal(now: Date): ClockChanges {
  return { set: { appraisalPending: true, clockPausedAt: now.toISOString() }, remove: [] };
}

/**
 * The working days the clock stood still: those after the pause's date (in Shanghai) up to and including the
 * resumption's date. A pause and resumption on the same day cost nothing; paused on Friday and resumed on
 * Monday is one day (Monday), because the clock keeps the working day it was paused on.
 */
export function pausedWorkingDays(pausedAt: Date, resumedAt: Date): number {
  if (Number.isNaN(pausedAt.getTime()) || Number.isNaN(resumedAt.getTime())) return 0;
  return workingDaysBetween(pausedAt, resumedAt);
}

type Extendable = "platformResponseDueBy" | "supervisionStartsBy" | "supervisionDueBy" | "mediationDueBy";

/** The deadlines with `field` pushed out by `days` working days, and the days counted where they belong. */
export function extendDeadlines(
  deadlines: Deadlines,
  days: number,
  field: Extendable = "platformResponseDueBy",
) {
  const due = deadlines[field];
  if (days <= 0 || !due) return deadlines;
  const counter = field === "mediationDueBy" ? "appraisalWorkingDays" : "pausedWorkingDays";
  return {
    ...deadlines,
    [field]: addWorkingDays(new Date(due), days).toISOString(),
    [counter]: (deadlines[counter] ?? 0) + days,
  };
}

export interface ClockResumption extends ClockChanges {
  /** Working days added to the running deadline (0: the wait cost none, or nothing was paused). */
  addedWorkingDays: number;
  deadlines: Deadlines;
}

/**
 * Resumes the clock that was paused: nobody waits any more, and the deadline of the complaint's status is
 * pushed out by the working days spent waiting.
 */
export function resumeClock(
  complaint: Pick<ComplaintRecord, "status" | "deadlines" | "clockPausedAt" | "appraisalPending">,
  now: Date,
): ClockResumption {
  const remove = complaint.appraisalPending
    ? ["appraisalPending", "clockPausedAt"]
    : ["awaitingConsumerInfo", "clockPausedAt"];
  const waited = complaint.clockPausedAt ? pausedWorkingDays(new Date(complaint.clockPausedAt), now) : 0;
  const field = timerFor(complaint.status)?.field;
  const deadlines =
    field && field !== "consumerConfirmationDueBy"
      ? extendDeadlines(complaint.deadlines, waited, field)
      : complaint.deadlines;
  const added = deadlines === complaint.deadlines ? 0 : waited;
  return {
    set: added > 0 ? { deadlines } : {},
    remove,
    addedWorkingDays: added,
    deadlines,
  };
}
