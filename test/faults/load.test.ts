/**
 * Isolation and overload, through the local cloud on loopback.
 *
 * Isolation: one member platform down for the whole run (it never answers) while the others take complaints:
 * their delivery latency (accepted → DELIVERED, as the hub records it) stays within 10% of a run without the
 * fault. Rounds with and without the fault alternate, so drift of the machine falls on both.
 *
 * Overload: the API throttled at the prod stage's limits (DESIGN sizing: 20 complaints/s, burst 40), then loaded
 * with autocannon (bounded in time and count) at the provisioned rate and at the 400/s stress rate: what is over
 * the limit is answered 429 with Retry-After (problem+json), never a failure; latency stays low; nothing a 429
 * answered was written; every complaint a 201 answered is delivered once.
 */
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { describe, expect, it } from "vitest";
import { STAGES } from "../../infra/stages";
import { complaintIdFor } from "../../shared/complaint/identity";
import { complaintFor, type FilingOutcome, fileWithRetries } from "./consumers";
import { faultSuite } from "./fault-suite";
import { n, percentile } from "./figures";
import {
  allDelivered,
  describeLedger,
  PUSH_PLATFORM_IDS,
  queueDepth,
  settledLedger,
  storedComplaint,
} from "./ledger";

const suite = faultSuite("load", "test/faults/load.test.ts");

/** Accepted → DELIVERED, in ms, as the hub recorded it. */
async function deliveryLatencies(filed: readonly FilingOutcome[]): Promise<number[]> {
  return Promise.all(
    filed.map(async (f) => {
      const stored = await storedComplaint(suite.target, f.complaintId);
      return Date.parse(stored?.delivery.deliveredAt ?? "") - Date.parse(stored?.submittedAt ?? "");
    }),
  );
}

const median = (values: number[]) => percentile(values, 50);

describe("isolation", () => {
  const HEALTHY = ["suning", "vip", "amazon-cn", "yhd"];
  const DOWN = "gome";
  /** Healthy complaints per second, spread over HEALTHY; the down platform gets as many again. */
  const RATE = 8;
  /**
   * The down platform's complaints start this long before the measured ones, in every round: longer than its
   * request timeout (10 s), so with the fault its first attempts have timed out and its retries are under way
   * (backoff, attempt records, queue visibility changes) while the healthy complaints flow.
   */
  const LEAD_SECONDS = 12;
  const MEASURED_SECONDS = 4;
  /** Rounds of each kind, in the order A B B A A B B A … (A without the fault): drift falls on both alike. */
  const PAIRS = 4;

  const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

  /** Messages still in the down platform's queues (visible, in flight or delayed). */
  async function downBacklog(): Promise<number> {
    const queues = [suite.target.queueUrl(DOWN), suite.target.urgentQueueUrl?.(DOWN)].filter(
      (q): q is string => Boolean(q),
    );
    let total = 0;
    for (const queue of queues) total += await queueDepth(suite.target, queue, { delayed: true });
    return total;
  }

  /**
   * One round, the same load with and without the fault: the down platform's complaints for LEAD_SECONDS, then
   * both theirs and the healthy ones for MEASURED_SECONDS. Returns the healthy complaints' delivery latencies;
   * then brings the down platform back and waits until its queues are empty, so no round inherits another's
   * retries.
   */
  async function round(withFault: boolean): Promise<number[]> {
    suite.hub.cloud.sandbox.setMode(DOWN, withFault ? "timeout" : "ok");
    const down: Promise<FilingOutcome>[] = [];
    const healthy: Promise<FilingOutcome>[] = [];
    const ticks = (LEAD_SECONDS + MEASURED_SECONDS) * RATE;
    const started = Date.now();
    for (let i = 0; i < ticks; i++) {
      await sleepUntil(started + (i * 1000) / RATE);
      down.push(fileWithRetries(suite.hub.cloud.apiUrl, complaintFor(DOWN)));
      if (i >= LEAD_SECONDS * RATE)
        healthy.push(
          fileWithRetries(suite.hub.cloud.apiUrl, complaintFor(HEALTHY[i % HEALTHY.length] as string)),
        );
    }
    const filed = await Promise.all(healthy);
    const ledger = await settledLedger(suite.target, filed, { timeoutMs: 30_000, until: allDelivered });
    expect(ledger.counts.delivered, describeLedger(ledger)).toBe(filed.length);
    const latencies = await deliveryLatencies(filed);

    suite.hub.cloud.sandbox.setMode(DOWN, "ok");
    await Promise.all(down);
    const deadline = Date.now() + 60_000;
    while ((await downBacklog()) > 0) {
      if (Date.now() > deadline) throw new Error(`${DOWN}'s queues did not drain after the round`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return latencies;
  }

  it("keeps the other platforms' delivery latency within 10% while one member is down", async () => {
    // Warm every execution environment on the way first (the down platform's too), unmeasured.
    await round(false);
    const without: number[] = [];
    const withDown: number[] = [];
    /** Per pair of rounds: the change of the median, to show how much rounds vary. */
    const pairChanges: number[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const faultFirst = pair % 2 === 1;
      const a = faultFirst ? undefined : await round(false);
      const b = await round(true);
      const baseline = a ?? (await round(false));
      without.push(...baseline);
      withDown.push(...b);
      pairChanges.push((median(b) - median(baseline)) / median(baseline));
    }
    suite.hub.cloud.sandbox.setMode(DOWN, "ok");
    const base = median(without);
    const faulted = median(withDown);
    const change = (faulted - base) / base;
    const percent = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
    suite.figures.add({
      section: "Isolation",
      what: `${DOWN} down for the whole run (never answers; its complaints time out and retry) while ${HEALTHY.join(", ")} take complaints at ${RATE}/s and ${DOWN} as many; ${PAIRS * 2} rounds of ${LEAD_SECONDS + MEASURED_SECONDS} s, with and without the fault in the order ABBA…, the same load in both, ${DOWN}'s retries under way before the measured complaints`,
      tried: `${n(withDown.length)} deliveries with the fault, ${n(without.length)} without (${PAIRS} rounds each)`,
      lost: 0,
      duplicated: 0,
      leaked: 0,
      outcome: `median delivery latency ${base.toFixed(0)} ms without, ${faulted.toFixed(0)} ms with (${percent(change)}, limit +10%; per pair ${pairChanges.map(percent).join(", ")}); p90 ${percentile(without, 90).toFixed(0)} vs ${percentile(withDown, 90).toFixed(0)} ms`,
    });
    console.log(
      `isolation: ${base} ms without, ${faulted} ms with (${percent(change)}); pairs ${pairChanges.map(percent).join(", ")}; p90 ${percentile(without, 90)} vs ${percentile(withDown, 90)}`,
    );
    expect(change).toBeLessThanOrEqual(0.1);
  }, 420_000);
});

interface LoadPhase {
  what: string;
  rate: number;
  seconds: number;
}

interface PhaseResult {
  requests: number;
  statuses: Map<number, number>;
  errors: number;
  timeouts: number;
  latencies: Map<"accepted" | "throttled", number[]>;
  /** Idempotency keys answered 201, and those answered 429. */
  accepted: FilingOutcome[];
  throttledKeys: string[];
  badThrottles: number;
}

async function loadPhase(phase: LoadPhase): Promise<PhaseResult> {
  const result: PhaseResult = {
    requests: 0,
    statuses: new Map(),
    errors: 0,
    timeouts: 0,
    latencies: new Map([
      ["accepted", []],
      ["throttled", []],
    ]),
    accepted: [],
    throttledKeys: [],
    badThrottles: 0,
  };
  let sequence = 0;
  const instance = autocannon({
    url: suite.hub.cloud.apiUrl,
    connections: Math.min(100, Math.max(4, Math.ceil(phase.rate / 4))),
    overallRate: phase.rate,
    duration: phase.seconds,
    // Bounded in count as well as in time.
    maxOverallRequests: phase.rate * phase.seconds,
    timeout: 30,
    requests: [
      {
        method: "POST",
        path: "/v1/complaints",
        setupRequest: (request, context) => {
          const platform = PUSH_PLATFORM_IDS[sequence++ % PUSH_PLATFORM_IDS.length] as string;
          const key = `load-${randomUUID()}`;
          Object.assign(context, { key, platform, started: performance.now() });
          return {
            ...request,
            headers: { "content-type": "application/json", "idempotency-key": key },
            body: JSON.stringify(complaintFor(platform)),
          };
        },
        onResponse: (status, body, context, headers) => {
          const { key, platform, started } = context as { key: string; platform: string; started: number };
          const elapsed = performance.now() - started;
          result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
          if (status === 201) {
            const receipt = JSON.parse(body) as { complaintId: string; trackingToken: string };
            result.accepted.push({ ...receipt, platform, answers: [201], latencyMs: elapsed, key });
            result.latencies.get("accepted")?.push(elapsed);
          } else if (status === 429) {
            result.throttledKeys.push(key);
            result.latencies.get("throttled")?.push(elapsed);
            const header = Object.entries(headers as Record<string, unknown>).find(
              ([name]) => name.toLowerCase() === "retry-after",
            )?.[1];
            const problem = (() => {
              try {
                return JSON.parse(body) as { type?: string };
              } catch {
                return {};
              }
            })();
            if (!(Number(header) >= 1) || problem.type !== "urn:complaint-hub:problem:throttled")
              result.badThrottles++;
          }
        },
      },
    ],
  });
  const summary = await instance;
  result.requests = summary.requests.total;
  result.errors = summary.errors;
  result.timeouts = summary.timeouts;
  return result;
}

describe("overload", () => {
  it("answers what is over the limit with 429 and Retry-After, and the ledger holds", async () => {
    const limits = STAGES.prod?.api ?? { rateLimit: 20, burstLimit: 40 };
    suite.hub.cloud.api.setStageThrottling(limits);
    const phases: LoadPhase[] = [
      { what: "at the provisioned rate", rate: limits.rateLimit, seconds: 6 },
      { what: "at the stress rate (20× provisioned)", rate: 400, seconds: 6 },
    ];
    const results: PhaseResult[] = [];
    try {
      for (const phase of phases) {
        results.push(await loadPhase(phase));
        // The bucket refills before the next phase.
        await new Promise((r) => setTimeout(r, (limits.burstLimit / limits.rateLimit) * 1000));
      }
    } finally {
      suite.hub.cloud.api.setStageThrottling(undefined);
    }
    const accepted = results.flatMap((r) => r.accepted);
    const ledger = await settledLedger(suite.target, accepted, { timeoutMs: 90_000, until: allDelivered });
    // Nothing a 429 answered was written.
    const throttledKeys = results.flatMap((r) => r.throttledKeys);
    const written = (
      await Promise.all(throttledKeys.map((key) => storedComplaint(suite.target, complaintIdFor(key))))
    ).filter(Boolean).length;

    for (const [index, phase] of phases.entries()) {
      const r = results[index] as PhaseResult;
      const failures = [...r.statuses.entries()]
        .filter(([s]) => s !== 201 && s !== 429)
        .reduce((a, [, c]) => a + c, 0);
      const acceptedMs = r.latencies.get("accepted") ?? [];
      const throttledMs = r.latencies.get("throttled") ?? [];
      suite.figures.add({
        section: "Overload",
        what: `POST /v1/complaints ${phase.what}: ${phase.rate}/s for ${phase.seconds} s (autocannon, loopback), API throttled at prod's ${limits.rateLimit}/s, burst ${limits.burstLimit}`,
        tried: `${n(r.requests)} requests`,
        lost: 0,
        duplicated: 0,
        leaked: failures + r.errors + r.timeouts + r.badThrottles,
        outcome: `${n(r.statuses.get(201) ?? 0)} × 201 (p50 ${percentile(acceptedMs, 50).toFixed(0)} ms, p99 ${percentile(acceptedMs, 99).toFixed(0)} ms), ${n(r.statuses.get(429) ?? 0)} × 429 with Retry-After${throttledMs.length ? ` (p99 ${percentile(throttledMs, 99).toFixed(0)} ms)` : ""}; ${failures} other answers, ${r.errors} errors, ${r.timeouts} timeouts`,
      });
      expect(failures).toBe(0);
      expect(r.errors + r.timeouts).toBe(0);
      expect(r.badThrottles).toBe(0);
    }
    expect(results[0]?.statuses.get(429) ?? 0).toBe(0);
    expect(results[1]?.statuses.get(429) ?? 0).toBeGreaterThan(0);
    expect(written).toBe(0);
    expect(ledger.lost, describeLedger(ledger)).toEqual([]);
    expect(ledger.duplicated, describeLedger(ledger)).toEqual([]);
    expect(ledger.counts.delivered).toBe(accepted.length);
    suite.figures.add({
      section: "Overload",
      what: "ledger after both load phases",
      tried: `${n(accepted.length)} complaints accepted, ${n(throttledKeys.length)} requests throttled`,
      lost: ledger.lost.length,
      duplicated: ledger.duplicated.length,
      leaked: written,
      outcome: `${ledger.counts.delivered}/${accepted.length} delivered once; none of the ${n(throttledKeys.length)} throttled requests left anything in the table`,
    });
  }, 240_000);
});
