import type { SuccessRule } from "../../infra/platforms";
import { judgeAnswer } from "./success-rule";

/** What the platform said, or why it said nothing. */
export interface PlatformAnswer {
  status?: number;
  headers?: Headers;
  body?: string;
  /** Set when no HTTP answer arrived: timeout, refused connection, reset. */
  transportError?: "timeout" | "network";
  latencyMs: number;
}

export type DeliveryVerdict =
  | { kind: "delivered"; caseRef: string }
  | { kind: "retry"; reason: string; retryAfterSeconds?: number }
  | { kind: "permanent"; reason: string };

/** 4xx answers that say "try again later" rather than "never". */
const RETRYABLE_CLIENT_ERRORS = new Set([408, 409, 425, 429]);

/**
 * Retry, park or succeed (DESIGN: Push delivery): timeouts, 5xx and 408/409/425/429 are retried (honouring
 * Retry-After); 410 and other 4xx are permanent; a 2xx is judged by the platform's success rule.
 */
export function classifyAnswer(rule: SuccessRule, answer: PlatformAnswer, now: Date): DeliveryVerdict {
  if (answer.transportError || answer.status === undefined) {
    return {
      kind: "retry",
      reason: answer.transportError === "timeout" ? "request timed out" : "connection failed",
    };
  }
  const status = answer.status;
  if (status >= 200 && status < 300) {
    const judgement = judgeAnswer(rule, status, answer.body ?? "");
    return judgement.ok
      ? { kind: "delivered", caseRef: judgement.caseRef }
      : { kind: "retry", reason: judgement.reason };
  }
  if (status >= 500 || RETRYABLE_CLIENT_ERRORS.has(status)) {
    const retryAfterSeconds = parseRetryAfter(answer.headers?.get("retry-after") ?? null, now);
    return {
      kind: "retry",
      reason: `status ${status}`,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
  }
  if (status === 410) return { kind: "permanent", reason: "status 410: the platform's endpoint is gone" };
  return { kind: "permanent", reason: `status ${status}: refused by the platform` };
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}
