/**
 * Fires schedule rules by themselves as time passes on the local cloud's clock (local/clock.ts).
 *
 * One timer serves every rule: it sleeps until the soonest fire time, but never longer than `recheckMs`, so a
 * clock moved with set() or advance() is noticed within that time. A clock moved past several fire times
 * fires a rule once (a late run, not a burst of missed ones); a clock moved back plans again from the new
 * time. Rate schedules count their periods from when the timer first saw the rule. The real timer is
 * unref'd: it never keeps the process alive, and stop() clears it.
 */
import type { ScheduleExpression } from "./schedule-expression.js";

/** How the timer waits; tests pass their own to step through time without waiting. */
export interface ScheduleTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realScheduleTimers: ScheduleTimers = {
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ScheduleTimerOptions<R> {
  /** The rules to fire, read at every wake-up: rules added, replaced or disabled later are followed. */
  rules: () => Iterable<{ rule: R; schedule: ScheduleExpression }>;
  /** Starts a rule's run; `timeMs` is the clock's time. */
  fire: (rule: R, timeMs: number) => void;
  /** Where an exception from `fire` goes (default console.error). */
  onError?: (error: unknown) => void;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** Longest sleep (default 1000 ms). */
  recheckMs?: number;
  timers?: ScheduleTimers;
}

interface Plan {
  anchorMs: number;
  nextMs: number | undefined;
}

export class ScheduleTimer<R extends object> {
  private readonly plans = new Map<R, Plan>();
  private readonly recheckMs: number;
  private readonly timers: ScheduleTimers;
  private handle: unknown;
  private running = false;

  constructor(private readonly options: ScheduleTimerOptions<R>) {
    this.recheckMs = options.recheckMs ?? 1000;
    this.timers = options.timers ?? realScheduleTimers;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
    this.plans.clear();
  }

  private wake(): void {
    this.handle = undefined;
    if (!this.running) return;
    const now = this.options.now();
    const seen = new Set<R>();
    let soonest = Number.POSITIVE_INFINITY;
    for (const { rule, schedule } of this.options.rules()) {
      seen.add(rule);
      let plan = this.plans.get(rule);
      if (!plan) {
        plan = { anchorMs: now, nextMs: schedule.next(now, now) };
        this.plans.set(rule, plan);
      }
      const upcoming = schedule.next(now, plan.anchorMs);
      if (plan.nextMs !== undefined && plan.nextMs <= now) {
        plan.nextMs = upcoming;
        try {
          this.options.fire(rule, now);
        } catch (error) {
          // One rule's trouble must not stop the timer for the others.
          (this.options.onError ?? console.error)(error);
        }
      } else if (upcoming !== undefined && (plan.nextMs === undefined || upcoming < plan.nextMs)) {
        // The clock went back: the planned time is further away than the schedule's next one.
        plan.nextMs = upcoming;
      }
      if (plan.nextMs !== undefined) soonest = Math.min(soonest, plan.nextMs);
    }
    for (const rule of [...this.plans.keys()]) if (!seen.has(rule)) this.plans.delete(rule);
    const delay = Math.max(0, Math.min(soonest - now, this.recheckMs));
    this.handle = this.timers.set(() => this.wake(), delay);
  }
}
