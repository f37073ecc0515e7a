import type { ComplaintRecord } from "../complaint/record";
import { type ConsumerDependencies, type ConsumerRequest, consumerAction } from "./action";
import { withdrawalSchema } from "./requests";

/** `POST /v1/complaints/{id}/withdraw`: from any open status; a settled complaint stays as it is (409). */
export function withdrawComplaint(
  deps: ConsumerDependencies,
  request: ConsumerRequest,
): Promise<ComplaintRecord> {
  return consumerAction(deps, request, withdrawalSchema, "The withdrawal", async (current, input, now) => {
    await deps.store.transition(current, {
      to: "WITHDRAWN",
      actor: "consumer",
      at: now,
      reason: "consumer_withdrew",
      ...(input.reason ? { note: input.reason } : {}),
    });
  });
}
