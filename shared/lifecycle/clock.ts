/**
 * The platform's response clock stands still while the hub waits for the consumer: a platform that asked for
 * information (INFO_REQUESTED) pauses it, the consumer's answer resumes it, and the response deadline moves out
 * by the working days spent waiting. Pure arithmetic over the complaint's attributes; the callers write the
 * changes in their conditional update.
 */
import { addWorkingDays, workingDaysBetween } from "../calendar/working-days";
import { type ComplaintRecord, type Deadlines, deadlineShard } from "../complaint/record";

/** Attribute changes, in the shape of the store's side effects (set by dot path, remove by dot path). */
export interface ClockChanges {
  set: Record<string, unknown>;
  remove: string[];
}

/** The deadline index (byDeadline) is sparse: it holds complaints whose deadline is running. */
const DEADLINE_INDEX_KEYS = ["gsi2pk", "gsi2sk"];

/**
 * Pauses the clock: the complaint waits for the consumer from `now`, and leaves the deadline index so the
 * schedule does not chase the platform meanwhile.
 */
export function pauseClock(now: Date): ClockChanges {
  return {
    set: { awaitingConsumerInfo: true, clockPausedAt: now.toISOString() },
    remove: DEADLINE_INDEX_KEYS,
  };
}

/**
 * The working days the clock stood still: those after the pause's date (in Shanghai) up to and including the
 * resumption's date. A pause and resumption on the same day cost nothing; paused on Friday and resumed on
 * Monday is one day (Monday), because the platform keeps the working day it was paused on.
 */
export function pausedWorkingDays(pausedAt: Date, resumedAt: Date): number {
  if (Number.isNaN(pausedAt.getTime()) || Number.isNaN(resumedAt.getTime())) return 0;
  return workingDaysBetween(pausedAt, resumedAt);
}

/** The deadlines with the platform's response due date pushed out by `days` working days. */
export function extendDeadlines(deadlines: Deadlines, days: number): Deadlines {
  if (days <= 0) return deadlines;
  return {
    ...deadlines,
    platformResponseDueBy: addWorkingDays(new Date(deadlines.platformResponseDueBy), days).toISOString(),
    pausedWorkingDays: (deadlines.pausedWorkingDays ?? 0) + days,
  };
}

export interface ClockResumption extends ClockChanges {
  /** Working days added to the platform's response deadline (0: the wait cost none, or nothing was paused). */
  addedWorkingDays: number;
  deadlines: Deadlines;
}

/**
 * Resumes the clock after the consumer answered: no longer waiting, the due date pushed out by the working days
 * spent waiting, and (for a deadline running since delivery) back in the deadline index under the new date.
 */
export function resumeClock(
  complaint: Pick<ComplaintRecord, "complaintId" | "deadlines" | "clockPausedAt">,
  now: Date,
): ClockResumption {
  const waited = complaint.clockPausedAt ? pausedWorkingDays(new Date(complaint.clockPausedAt), now) : 0;
  const deadlines = extendDeadlines(complaint.deadlines, waited);
  const set: Record<string, unknown> = {};
  if (waited > 0) set.deadlines = deadlines;
  if (deadlines.basis === "from_delivery") {
    set.gsi2pk = deadlineShard(complaint.complaintId);
    set.gsi2sk = deadlines.platformResponseDueBy;
  }
  return { set, remove: ["awaitingConsumerInfo", "clockPausedAt"], addedWorkingDays: waited, deadlines };
}
