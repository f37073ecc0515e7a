/**
 * The local cloud's clock: real time shifted by an offset that tests can move ("the platform answers on day
 * 6"). The offset lives in shared memory so every function's worker thread reads the same time without a
 * message round trip; with no offset everything runs on real time.
 */
export class LocalClock {
  /** One float: milliseconds added to the real time. Shared with the worker threads (worker-bootstrap.mjs). */
  readonly sharedOffset: SharedArrayBuffer = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  private readonly offset = new Float64Array(this.sharedOffset);

  /** Milliseconds since the epoch, as the local cloud's functions see it. */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Moves the clock to `instant` (forward or back); time goes on running from there. */
  set(instant: Date): void {
    if (Number.isNaN(instant.getTime())) throw new RangeError("Invalid Date");
    this.offset[0] = instant.getTime() - Date.now();
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.offset[0] = this.offsetMs + ms;
  }

  /** Back to real time. */
  reset(): void {
    this.offset[0] = 0;
  }

  get offsetMs(): number {
    return this.offset[0] ?? 0;
  }
}
