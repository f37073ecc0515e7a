/** Waits `ms`, or less when `signal` aborts; resolves either way, so pollers can stop promptly. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(); // stopped while the invocation ran: no back-off wait
    // One listener per wait, removed again: a poller that keeps failing must not pile them up on the signal.
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
