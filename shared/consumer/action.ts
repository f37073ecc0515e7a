import type { APIGatewayProxyEvent } from "aws-lambda";
import type * as z from "zod";
import type { ComplaintRecord } from "../complaint/record";
import { parseOrThrow } from "../complaint/validation";
import { ProblemError } from "../http/problem";
import { IllegalTransitionError } from "../lifecycle/state-machine";
import { type ComplaintStore, ItemExistsError, VersionConflictError } from "../store/complaint-store";
import { complaintForToken, requireBearerToken } from "./authenticate";

export interface ConsumerDependencies {
  store: ComplaintStore;
  now: () => Date;
}

/** What a consumer's request about their complaint carries, whatever the route. */
export interface ConsumerRequest {
  complaintId: string;
  headers: Record<string, string | undefined> | null;
  /** The parsed JSON body. */
  body: unknown;
}

export function consumerRequest(event: APIGatewayProxyEvent): ConsumerRequest {
  return {
    complaintId: event.pathParameters?.id ?? "",
    headers: event.headers,
    body: event.body as unknown,
  };
}

/**
 * The frame of every consumer action: the token is required (401), the body valid (400), the token must open
 * the complaint (404); then `act` decides from that read and writes conditionally on its version. A refusal
 * by the state machine is a 409 illegal-transition, a concurrent change a 409 concurrent-change: nothing is
 * written either way. Returns the complaint as it stands after the write.
 */
export async function consumerAction<T>(
  deps: ConsumerDependencies,
  request: ConsumerRequest,
  schema: z.ZodType<T>,
  what: string,
  act: (current: ComplaintRecord, input: T, now: Date) => Promise<void>,
): Promise<ComplaintRecord> {
  const token = requireBearerToken(request.headers);
  const input = parseOrThrow(schema, request.body, what);
  const current = await complaintForToken(deps.store, request.complaintId, token);
  try {
    await act(current, input, deps.now());
  } catch (error) {
    throw asProblem(error);
  }
  const updated = await deps.store.get(current.complaintId);
  if (!updated) throw new Error("The complaint disappeared after a write");
  return updated;
}

/** A refused or lost write as the problem the consumer gets. */
function asProblem(error: unknown): unknown {
  if (error instanceof IllegalTransitionError) {
    return new ProblemError("illegalTransition", `Not possible while the complaint is ${error.from}`);
  }
  if (error instanceof VersionConflictError || error instanceof ItemExistsError) {
    return new ProblemError("concurrentChange");
  }
  return error;
}
