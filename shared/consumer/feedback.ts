import type { ComplaintRecord } from "../complaint/record";
import { IllegalTransitionError } from "../lifecycle/state-machine";
import type { ComplaintStatus } from "../lifecycle/states";
import type { SideEffects } from "../store/complaint-store";
import { type ConsumerDependencies, type ConsumerRequest, consumerAction } from "./action";
import { type FeedbackRequest, feedbackSchema } from "./requests";

export interface FeedbackDecision {
  to: ComplaintStatus;
  reason: "resolved_accepted" | "resolution_rejected" | "second_rejection";
  effects: SideEffects;
}

/**
 * What the consumer's answer to the platform's resolution does: accepting closes the complaint; a first
 * rejection sends it back to the platform; a second one goes to the association's mediation.
 */
export function decideFeedback(
  current: ComplaintRecord,
  decision: FeedbackRequest["decision"],
): FeedbackDecision {
  if (current.status !== "AWAITING_CONSUMER_CONFIRMATION") {
    // Feedback answers a resolution; the state machine alone would let a consumer move other statuses.
    const to = decision === "accept" ? "CLOSED" : "IN_PROGRESS";
    throw new IllegalTransitionError(current.status, to, "consumer");
  }
  if (decision === "accept") {
    return { to: "CLOSED", reason: "resolved_accepted", effects: {} };
  }
  const rejections = (current.consumerRejections ?? 0) + 1;
  return rejections === 1
    ? {
        to: "IN_PROGRESS",
        reason: "resolution_rejected",
        effects: { set: { consumerRejections: rejections } },
      }
    : {
        to: "ASSOCIATION_MEDIATION",
        reason: "second_rejection",
        effects: { set: { consumerRejections: rejections } },
      };
}

/** `POST /v1/complaints/{id}/feedback` */
export function giveFeedback(deps: ConsumerDependencies, request: ConsumerRequest): Promise<ComplaintRecord> {
  return consumerAction(deps, request, feedbackSchema, "The feedback", async (current, input, now) => {
    const { to, reason, effects } = decideFeedback(current, input.decision);
    await deps.store.transition(
      current,
      { to, actor: "consumer", at: now, reason, ...(input.comment ? { note: input.comment } : {}) },
      effects,
    );
  });
}
