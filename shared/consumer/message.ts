import { type ComplaintRecord, complaintPk, type MessageRecord, messageSk } from "../complaint/record";
import { resumeClock } from "../lifecycle/clock";
import type { SideEffects } from "../store/complaint-store";
import { type ConsumerDependencies, type ConsumerRequest, consumerAction } from "./action";
import { type MessageRequest, messageSchema } from "./requests";

export const MESSAGE_REASON = "consumer_added_information";
const ANSWER_NOTE = "Answers the platform's request for information";

export interface MessageDecision {
  message: MessageRecord;
  note?: string;
  effects: SideEffects;
}

/**
 * A message the consumer adds: kept as its own item beside the complaint, numbered in order. If the platform
 * had asked for information, the message answers it: the hub no longer waits, and the response clock resumes
 * with the due date pushed out by the working days spent waiting.
 */
export function decideMessage(current: ComplaintRecord, input: MessageRequest, now: Date): MessageDecision {
  const seq = (current.consumerMessages ?? 0) + 1;
  const at = now.toISOString();
  const answersInfoRequest = current.awaitingConsumerInfo === true;
  const message: MessageRecord = {
    pk: complaintPk(current.complaintId),
    sk: messageSk(at, seq),
    kind: "message",
    complaintId: current.complaintId,
    seq,
    at,
    text: input.text,
    ...(input.evidence?.length ? { evidence: input.evidence } : {}),
    answersInfoRequest,
  };
  if (!answersInfoRequest) return { message, effects: { set: { consumerMessages: seq } } };
  const clock = resumeClock(current, now);
  const extension = clock.addedWorkingDays;
  return {
    message,
    note:
      extension > 0
        ? `${ANSWER_NOTE}; its response deadline moves out by ${extension} working day${extension === 1 ? "" : "s"}`
        : ANSWER_NOTE,
    effects: { set: { consumerMessages: seq, ...clock.set }, remove: clock.remove },
  };
}

/** `POST /v1/complaints/{id}/messages`: the message and its timeline entry in one transaction, same status. */
export function addMessage(deps: ConsumerDependencies, request: ConsumerRequest): Promise<ComplaintRecord> {
  return consumerAction(deps, request, messageSchema, "The message", async (current, input, now) => {
    const { message, note, effects } = decideMessage(current, input, now);
    await deps.store.applySteps(
      current,
      [{ to: current.status, actor: "consumer", at: now, reason: MESSAGE_REASON, ...(note ? { note } : {}) }],
      effects,
      [message],
    );
  });
}
