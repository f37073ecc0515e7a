import type { SQSRecord } from "aws-lambda";
import type { PushPlatform } from "../../infra/platforms";
import type { RetrySchedule } from "../../infra/stages";
import {
  type AttemptRecord,
  attemptSk,
  type ComplaintRecord,
  complaintPk,
  type DeliveryState,
} from "../complaint/record";
import { type ComplaintNotice, complaintNoticeSchema } from "../events/contract";
import { canTransition } from "../lifecycle/state-machine";
import { TERMINAL_STATUSES } from "../lifecycle/states";
import type { ComplaintStore } from "../store/complaint-store";
import { withFreshRead } from "../store/complaint-store";
import { retryDelaySeconds } from "./backoff";
import { classifyAnswer, type DeliveryVerdict, type PlatformAnswer } from "./classify";
import { deliveredChanges, deliveredState } from "./delivered";
import { signWebhook, type WebhookSecrets } from "./signing";

export interface DeliveryConfig {
  platform: PushPlatform;
  endpoint: string;
  retry: RetrySchedule;
}

export interface DeliveryDependencies {
  store: ComplaintStore;
  secrets: () => Promise<WebhookSecrets>;
  post: (
    url: string,
    headers: Record<string, string>,
    payload: string,
    timeoutMs: number,
  ) => Promise<PlatformAnswer>;
  /** Hides the message until the next attempt is due. */
  delayRetry: (receiptHandle: string, seconds: number) => Promise<void>;
  /** Parks a message in the platform's DLQ with the reason, for an operator to see and redrive. */
  park: (body: string, reason: string, complaintId: string | undefined) => Promise<void>;
  now: () => Date;
  random?: () => number;
}

/** The message goes back to the queue (its visibility already set to the backoff delay). */
export class RetryLaterError extends Error {
  constructor(readonly delaySeconds: number) {
    super(`Delivery will be retried in ${delaySeconds} s`);
    this.name = "RetryLaterError";
  }
}

export type DeliveryResult = AttemptRecord["outcome"];

const EXCERPT_CHARS = 512;
const ATTEMPT_RETENTION_SECONDS = 400 * 86_400;

/**
 * Delivers one ComplaintNotice to a push platform (DESIGN: Push delivery). Returns normally when the message
 * is done with (delivered, duplicate, parked) and throws RetryLaterError to keep it for another attempt.
 */
export async function deliverNotice(
  deps: DeliveryDependencies,
  config: DeliveryConfig,
  message: SQSRecord,
): Promise<DeliveryResult> {
  const notice = parseNotice(message.body);
  if (!notice || notice.platform !== config.platform.id) {
    const reason = notice ? "notice addressed to another platform" : "message is not a valid ComplaintNotice";
    await deps.park(message.body, reason, notice?.complaintId);
    return "parked";
  }
  const complaint = await deps.store.get(notice.complaintId);
  if (!complaint) {
    await deps.park(message.body, "no such complaint", notice.complaintId);
    return "parked";
  }
  const skip = reasonToSkip(complaint, notice);
  if (skip) {
    const outcome = skip === "already delivered" ? "duplicate" : "skipped";
    await recordAttempt(deps, config, notice, attemptNumber(message), outcome, { latencyMs: 0 }, skip);
    return outcome;
  }

  const attempt = attemptNumber(message);
  const payload = JSON.stringify(notice);
  const headers = {
    "content-type": "application/json",
    "user-agent": "ComplaintHub/1 (+delivery)",
    ...signWebhook(await deps.secrets(), notice.noticeId, deps.now(), payload),
  };
  const answer = await deps.post(
    config.endpoint,
    headers,
    payload,
    config.platform.delivery.requestTimeoutSeconds * 1000,
  );
  const verdict = classifyAnswer(config.platform.delivery.successRule, answer, deps.now());
  return settle(deps, config, message, notice, attempt, answer, verdict);
}

async function settle(
  deps: DeliveryDependencies,
  config: DeliveryConfig,
  message: SQSRecord,
  notice: ComplaintNotice,
  attempt: number,
  answer: PlatformAnswer,
  verdict: DeliveryVerdict,
): Promise<DeliveryResult> {
  const now = deps.now();
  const at = now.toISOString();
  const attempts = { attempts: attempt, lastAttemptAt: at };

  if (verdict.kind === "delivered") {
    await recordAttempt(deps, config, notice, attempt, "delivered", answer);
    await withFreshRead(deps.store, notice.complaintId, async (current) => {
      await markDelivered(deps.store, current, verdict.caseRef, attempt, now);
      return true;
    });
    return "delivered";
  }

  if (verdict.kind === "permanent") {
    await recordAttempt(deps, config, notice, attempt, "parked", answer, verdict.reason);
    await deps.park(message.body, verdict.reason, notice.complaintId);
    await updateDelivery(deps, notice.complaintId, {
      ...attempts,
      state: "parked",
      lastError: verdict.reason,
      parkedReason: verdict.reason,
      parkedAt: at,
    });
    return "parked";
  }

  if (attempt >= config.retry.maxAttempts) {
    const reason = `retries exhausted after ${attempt} attempts: ${verdict.reason}`;
    await recordAttempt(deps, config, notice, attempt, "dead_lettered", answer, verdict.reason);
    await updateDelivery(deps, notice.complaintId, {
      ...attempts,
      state: "dead_lettered",
      lastError: verdict.reason,
      parkedReason: reason,
      parkedAt: at,
    });
    // Visible again at once: the queue's redrive policy moves it to the DLQ on the next receive.
    await deps.delayRetry(message.receiptHandle, 0);
    throw new RetryLaterError(0);
  }

  const delay = retryDelaySeconds(
    attempt,
    config.retry,
    verdict.kind === "retry" ? verdict.retryAfterSeconds : undefined,
    deps.random,
  );
  await recordAttempt(deps, config, notice, attempt, "retry", answer, verdict.reason);
  // "pending" again: a message redriven from the DLQ is being retried, and a second parking must be announced.
  await updateDelivery(deps, notice.complaintId, {
    ...attempts,
    state: "pending",
    lastError: verdict.reason,
  });
  await deps.delayRetry(message.receiptHandle, delay);
  throw new RetryLaterError(delay);
}

/** DELIVERED with the platform's case reference, and the response clock starts. */
async function markDelivered(
  store: ComplaintStore,
  current: ComplaintRecord,
  caseRef: string,
  attempt: number,
  now: Date,
): Promise<void> {
  const facts = { at: now, caseRef, attempt };
  if (!canTransition(current.status, "DELIVERED", "hub")) {
    // The complaint moved on meanwhile (e.g. withdrawn): keep the case reference, leave the status alone.
    await store.updateDelivery(current, deliveredState(current, facts), now);
    return;
  }
  await store.transition(
    current,
    { to: "DELIVERED", actor: "hub", at: now, reason: "delivered_to_platform" },
    { set: deliveredChanges(current, facts) },
  );
}

async function updateDelivery(
  deps: DeliveryDependencies,
  complaintId: string,
  change: Partial<DeliveryState>,
) {
  await withFreshRead(deps.store, complaintId, async (current) => {
    // A duplicate of the message delivered it meanwhile: that outcome stands.
    if (current.delivery.state === "delivered") return false;
    await deps.store.updateDelivery(current, change, deps.now());
    return true;
  });
}

async function recordAttempt(
  deps: DeliveryDependencies,
  config: DeliveryConfig,
  notice: ComplaintNotice,
  attempt: number,
  outcome: AttemptRecord["outcome"],
  answer: Pick<PlatformAnswer, "latencyMs" | "status" | "body" | "transportError">,
  error?: string,
): Promise<void> {
  const at = deps.now().toISOString();
  const record: AttemptRecord = {
    pk: complaintPk(notice.complaintId),
    sk: attemptSk(at, attempt),
    kind: "attempt",
    complaintId: notice.complaintId,
    platform: config.platform.id,
    noticeId: notice.noticeId,
    at,
    attempt,
    outcome,
    latencyMs: answer.latencyMs,
    ...(answer.status !== undefined ? { httpStatus: answer.status } : {}),
    ...(error || answer.transportError ? { error: error ?? answer.transportError } : {}),
    ...(answer.body ? { responseExcerpt: answer.body.slice(0, EXCERPT_CHARS) } : {}),
    expiresAt: Math.floor(deps.now().getTime() / 1000) + ATTEMPT_RETENTION_SECONDS,
  };
  await deps.store.putAttempt(record);
}

/** Why a notice needs no POST: delivered before (retry or replay), superseded by a re-route, or closed. */
function reasonToSkip(complaint: ComplaintRecord, notice: ComplaintNotice): string | undefined {
  if (complaint.routing.noticeId !== notice.noticeId) return "superseded by a newer route";
  if (complaint.delivery.caseRef) return "already delivered";
  if (TERMINAL_STATUSES.has(complaint.status)) return `complaint is ${complaint.status}`;
  return undefined;
}

function parseNotice(body: string): ComplaintNotice | undefined {
  try {
    const parsed = complaintNoticeSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const attemptNumber = (message: SQSRecord) =>
  Math.max(1, Number(message.attributes.ApproximateReceiveCount) || 1);
