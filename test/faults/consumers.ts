/**
 * Consumers as a fault run plays them: each files with its own Idempotency-Key and, when the answer is lost or
 * is a 5xx or a 429, files again with the same key and body (honouring Retry-After), as a well-behaved client
 * does. A complaint counts as accepted once an answer says so (201, or 200 for a repeat).
 */
import { randomUUID } from "node:crypto";
import { exampleComplaint, type Filed } from "../e2e/harness";
import type { Accepted } from "./ledger";

export interface FilingOutcome extends Accepted {
  trackingToken: string;
  /** HTTP statuses seen, in order ("network" for a lost answer). */
  answers: (number | "network")[];
  /** Milliseconds from the first request to the accepting answer. */
  latencyMs: number;
  key: string;
}

/** A complaint body for `platform`, with a distinctive title so runs can be told apart in the sandbox. */
export function complaintFor(
  platform: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...exampleComplaint(), platform, ...overrides };
}

/**
 * Files one complaint, retrying lost answers, 5xx and 429 with the same key, for up to `timeoutMs`. Throws on any
 * other answer (a 4xx means the test built a bad body).
 */
export async function fileWithRetries(
  apiUrl: string | (() => string),
  body: Record<string, unknown>,
  options: { key?: string; timeoutMs?: number; onAnswer?: (status: number | "network") => void } = {},
): Promise<FilingOutcome> {
  const key = options.key ?? `fault-${randomUUID()}`;
  const answers: (number | "network")[] = [];
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 60_000);
  for (;;) {
    let status: number | "network";
    let text = "";
    let retryAfter = 0;
    try {
      const base = typeof apiUrl === "string" ? apiUrl : apiUrl();
      const response = await fetch(`${base}/v1/complaints`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(35_000),
      });
      status = response.status;
      text = await response.text();
      retryAfter = Number(response.headers.get("retry-after") ?? 0) || 0;
    } catch {
      status = "network";
    }
    answers.push(status);
    options.onAnswer?.(status);
    if (status === 200 || status === 201) {
      const receipt = JSON.parse(text) as Filed;
      return {
        complaintId: receipt.complaintId,
        platform: String(body.platform),
        trackingToken: receipt.trackingToken,
        answers,
        latencyMs: Date.now() - started,
        key,
      };
    }
    if (status !== "network" && status < 500 && status !== 429)
      throw new Error(`filing refused: ${status} ${text.slice(0, 300)}`);
    if (Date.now() > deadline) throw new Error(`filing gave up after ${answers.join(", ")}`);
    const wait = retryAfter > 0 ? retryAfter * 1000 : 250 * Math.min(8, answers.length);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Runs `tasks` with at most `concurrency` at a time, in order of start. */
export async function pool<T>(concurrency: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}
