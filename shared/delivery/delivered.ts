import type { ComplaintRecord, DeliveryState } from "../complaint/record";

export interface DeliveredFacts {
  at: Date;
  /** The platform's case reference; kept from before when the platform gives none. */
  caseRef?: string;
  /** Push delivery: the attempt that got through (also the last attempt). */
  attempt?: number;
}

/**
 * What "delivered" writes beside the QUEUED → DELIVERED transition, the same for push (the hub's POST got
 * through) and pull (the platform acknowledged the notice it took): the delivery bookkeeping with the case
 * reference. Entering DELIVERED starts the platform's response clock (shared/lifecycle/timers.ts).
 */
export function deliveredChanges(current: ComplaintRecord, facts: DeliveredFacts) {
  return { delivery: deliveredState(current, facts) };
}

/** The delivery bookkeeping once delivered (no lifecycle change; see deliveredChanges for the transition). */
export function deliveredState(current: ComplaintRecord, facts: DeliveredFacts): DeliveryState {
  const at = facts.at.toISOString();
  const caseRef = facts.caseRef ?? current.delivery.caseRef;
  const delivery: DeliveryState = {
    ...current.delivery,
    state: "delivered",
    deliveredAt: at,
    ...(caseRef ? { caseRef } : {}),
    ...(facts.attempt !== undefined ? { attempts: facts.attempt, lastAttemptAt: at } : {}),
  };
  delete delivery.lastError;
  return delivery;
}
