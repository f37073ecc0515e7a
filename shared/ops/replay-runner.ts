import type { ReplayChunk } from "./replay-plan";

/** The EventBridge calls a replay needs (StartReplay, DescribeReplay, CancelReplay), by replay name. */
export interface ReplayApi {
  start(name: string, chunk: ReplayChunk): Promise<void>;
  /** The replay's state: STARTING, RUNNING, CANCELLING, COMPLETED, CANCELLED or FAILED, and why. */
  describe(name: string): Promise<{ state: string; reason?: string }>;
  cancel(name: string): Promise<void>;
}

export interface ReplayRunOptions {
  /** Names of the small replays: `<prefix>-<n>`. */
  namePrefix: string;
  /** Events per second at most, on average over the run. */
  ratePerSecond: number;
  /** How often a running replay is looked at. */
  pollMs?: number;
  /** Aborting cancels the running replay (CancelReplay) and starts no other. */
  signal?: AbortSignal;
  onProgress?: (progress: { chunk: number; chunks: number; replayed: number; total: number }) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export interface ReplayRunResult {
  outcome: "completed" | "cancelled" | "failed";
  /** Events of the windows that completed. */
  replayed: number;
  total: number;
  /** The replays started, in order, with their final state. */
  replays: { name: string; state: string; events: number; reason?: string }[];
}

const TERMINAL = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

/**
 * Replays the windows one after another, each waited for, pausing between them so that the events go out at no
 * more than `ratePerSecond` on average. An abort (the operator's Ctrl-C) cancels the replay running then and
 * starts no other; events already replayed stay replayed (platforms deduplicate on the notice id).
 */
export async function runReplays(
  api: ReplayApi,
  chunks: readonly ReplayChunk[],
  options: ReplayRunOptions,
): Promise<ReplayRunResult> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 1000;
  const total = chunks.reduce((sum, chunk) => sum + chunk.events, 0);
  const result: ReplayRunResult = { outcome: "completed", replayed: 0, total, replays: [] };
  const startedAt = now();
  const aborted = () => options.signal?.aborted === true;

  for (const [i, chunk] of chunks.entries()) {
    if (aborted()) {
      result.outcome = "cancelled";
      break;
    }
    // The rate: this window may start once the events before it have had their time.
    const due = startedAt + (result.replayed / options.ratePerSecond) * 1000;
    if (due > now()) await sleep(due - now(), options.signal);
    if (aborted()) {
      result.outcome = "cancelled";
      break;
    }
    const name = `${options.namePrefix}-${i + 1}`;
    await api.start(name, chunk);
    const entry: ReplayRunResult["replays"][number] = { name, state: "STARTING", events: chunk.events };
    result.replays.push(entry);
    let cancelRequested = false;
    for (;;) {
      const { state, reason } = await api.describe(name);
      entry.state = state;
      if (reason) entry.reason = reason;
      if (TERMINAL.has(state)) break;
      if (aborted() && !cancelRequested) {
        cancelRequested = true;
        await api.cancel(name).catch(() => undefined);
        continue;
      }
      await sleep(pollMs, cancelRequested ? undefined : options.signal);
    }
    if (entry.state === "COMPLETED") {
      result.replayed += chunk.events;
      options.onProgress?.({ chunk: i + 1, chunks: chunks.length, replayed: result.replayed, total });
    }
    if (entry.state === "CANCELLED") {
      result.outcome = "cancelled";
      break;
    }
    if (entry.state === "FAILED") {
      result.outcome = "failed";
      break;
    }
  }
  return result;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
