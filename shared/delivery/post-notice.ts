import type { PlatformAnswer } from "./classify";

/** Enough of an answer to judge it and keep an excerpt; a platform cannot make us buffer more. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** POSTs a notice; never throws: a missing answer is reported as a transport error. */
export async function postNotice(
  url: string,
  headers: Record<string, string>,
  payload: string,
  timeoutMs: number,
): Promise<PlatformAnswer> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { method: "POST", headers, body: payload, signal, redirect: "manual" });
    const body = await readBounded(response);
    return { status: response.status, headers: response.headers, body, latencyMs: elapsed(started) };
  } catch (error) {
    const timedOut = signal.aborted || (error as Error).name === "TimeoutError";
    return { transportError: timedOut ? "timeout" : "network", latencyMs: elapsed(started) };
  }
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString("utf8");
}

const elapsed = (started: number) => Math.round(performance.now() - started);
