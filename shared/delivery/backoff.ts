import type { RetrySchedule } from "../../infra/stages";

/** SQS's longest visibility timeout: a retry cannot be scheduled further out. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Seconds until the next attempt: exponential from the schedule's base with equal jitter (half fixed, half
 * random, so retries of a burst spread out but never come back at once), and never sooner than Retry-After.
 */
export function retryDelaySeconds(
  attempt: number,
  schedule: RetrySchedule,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(
    schedule.maxDelaySeconds,
    schedule.baseDelaySeconds * 2 ** Math.max(0, attempt - 1),
  );
  const jittered = exponential / 2 + random() * (exponential / 2);
  const delay = Math.max(jittered, retryAfterSeconds ?? 0);
  return Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(delay));
}
