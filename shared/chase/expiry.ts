import type { ComplaintRecord } from "../complaint/record";
import type { TransitionRequest } from "../lifecycle/state-machine";
import type { ComplaintStatus } from "../lifecycle/states";
import { runningTimer, type TimerKind } from "../lifecycle/timers";

/** What the schedule does when each deadline passes (DESIGN: Lifecycle; reasons in shared/lifecycle/reasons.ts). */
const ON_EXPIRY: Record<TimerKind, { to: ComplaintStatus; reason: string }> = {
  platform_response: { to: "OVERDUE", reason: "response_deadline_missed" },
  supervision_start: { to: "SUPERVISED", reason: "supervision_opened" },
  supervision: { to: "ASSOCIATION_MEDIATION", reason: "supervision_deadline_missed" },
  mediation: { to: "CLOSED", reason: "mediation_time_limit_reached" },
  consumer_confirmation: { to: "CLOSED", reason: "resolved_without_feedback" },
};

/**
 * The step the schedule takes for a complaint whose running deadline has passed at `now`; undefined when none
 * has (not due yet, paused, answered meanwhile). Decided from a fresh read, so an index entry that is out of
 * date changes nothing. One step per run: the next deadline starts from now, so a schedule that was down for
 * days moves a complaint one step at a time instead of cascading it through the chase at once.
 */
export function expiryStep(complaint: ComplaintRecord, now: Date): TransitionRequest | undefined {
  const timer = runningTimer(complaint);
  if (!timer || Date.parse(timer.dueBy) > now.getTime()) return undefined;
  const { to, reason } = ON_EXPIRY[timer.kind];
  return { to, actor: "schedule", at: now, reason, visibility: "consumer" };
}
