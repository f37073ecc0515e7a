/**
 * Platform-side faults, end to end through the local cloud: each push platform's sandbox is switched into a
 * failure mode while complaints flow to it. Each fault must behave as the delivery rules say (retry with back-off,
 * Retry-After honoured, park at once with the reason, DLQ after the last attempt), and after recovery plus a
 * redrive (StartMessageMoveTask on the platform DLQ) every complaint is delivered exactly once, as one case.
 */
import { describe, expect, it } from "vitest";
import type { ModeSettings, SandboxMode } from "../../local/sandbox/sandbox-platforms";
import type { AttemptRecord } from "../../shared/complaint/record";
import { complaintFor, type FilingOutcome, fileWithRetries, pool } from "./consumers";
import { faultSuite } from "./fault-suite";
import { n } from "./figures";
import { allDelivered, attemptsOf, describeLedger, type Ledger, redrive, settledLedger } from "./ledger";

const PER_PLATFORM = 4;

interface Scenario {
  platform: string;
  what: string;
  mode: ModeSettings | SandboxMode;
  /** Where its complaints are before recovery. */
  before: "delivered" | "parked" | "dead_lettered";
  /** What the delivery rules must have done, judged from the attempt records of each complaint. */
  rule: string;
  check: (attempts: AttemptRecord[][]) => void;
}

const outcomes = (attempts: AttemptRecord[]) => attempts.map((a) => a.outcome);
const gapsMs = (attempts: AttemptRecord[]) =>
  attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse((attempts[i] as AttemptRecord).at));

/** Each complaint got through in the end, and the ones that met the fault were retried, never parked. */
const retriedThenDelivered = (failures: number, reason: RegExp) => (all: AttemptRecord[][]) => {
  const failed = all.flat().filter((a) => a.outcome === "retry");
  expect(failed).toHaveLength(failures);
  for (const attempt of failed) expect(attempt.error).toMatch(reason);
  for (const attempts of all) expect(outcomes(attempts).at(-1)).toBe("delivered");
};

/** A permanent refusal: one attempt, parked with the platform's answer as the reason. */
const parkedAtOnce = (reason: RegExp) => (all: AttemptRecord[][]) => {
  for (const attempts of all) {
    expect(outcomes(attempts)).toEqual(["parked"]);
    expect(attempts[0]?.error).toMatch(reason);
  }
};

const SCENARIOS: Scenario[] = [
  {
    platform: "suning",
    what: "5xx: 503 to the first 2 requests",
    mode: { mode: "fail", times: 2 },
    before: "delivered",
    rule: "retried with back-off",
    check: retriedThenDelivered(2, /status 503/),
  },
  {
    platform: "dianping",
    what: "connection closed with no answer (refused / reset), 2 requests",
    mode: { mode: "disconnect", times: 2 },
    before: "delivered",
    rule: "retried",
    check: retriedThenDelivered(2, /connection failed/),
  },
  {
    platform: "vip",
    what: "no answer within the 10 s request timeout, 2 requests",
    mode: { mode: "timeout", times: 2 },
    before: "delivered",
    rule: "timed out, retried",
    check: retriedThenDelivered(2, /timed out/),
  },
  {
    platform: "amazon-cn",
    what: "slow answers: 8 s of the 10 s request timeout, every request",
    mode: { mode: "slow", delayMs: 8_000 },
    before: "delivered",
    rule: "waited for, delivered at the first attempt",
    check: (all) => {
      for (const attempts of all) {
        expect(outcomes(attempts)).toEqual(["delivered"]);
        expect(attempts[0]?.latencyMs).toBeGreaterThanOrEqual(7_900);
      }
    },
  },
  {
    platform: "yhd",
    what: "429 with Retry-After: 3, 3 requests",
    mode: { mode: "rate-limit", retryAfterSeconds: 3, times: 3 },
    before: "delivered",
    rule: "retried no sooner than Retry-After",
    check: (all) => {
      retriedThenDelivered(3, /status 429/)(all);
      for (const attempts of all)
        attempts.forEach((attempt, i) => {
          if (attempt.outcome === "retry" && attempts[i + 1])
            expect(gapsMs(attempts)[i]).toBeGreaterThanOrEqual(2_900);
        });
    },
  },
  {
    platform: "qunar",
    what: "200 with an error body, 2 requests",
    mode: { mode: "error-body", times: 2 },
    before: "delivered",
    rule: "judged by the success rule, retried",
    check: retriedThenDelivered(2, /.+/),
  },
  {
    platform: "jumei",
    what: "410 Gone until recovery",
    mode: "gone",
    before: "parked",
    rule: "parked at once with the reason",
    check: parkedAtOnce(/status 410/),
  },
  {
    platform: "youku-tudou",
    what: "the platform refuses the signature (401) until recovery",
    mode: "reject-signature",
    before: "parked",
    rule: "parked at once with the reason",
    check: parkedAtOnce(/status 401/),
  },
  {
    platform: "gome",
    what: "down for the whole run: 503 to every request until recovery",
    mode: "fail",
    before: "dead_lettered",
    rule: "3 attempts, then the DLQ with the reason",
    check: (all) => {
      for (const attempts of all) {
        expect(outcomes(attempts)).toEqual(["retry", "retry", "dead_lettered"]);
        for (const gap of gapsMs(attempts)) expect(gap).toBeGreaterThanOrEqual(900);
      }
    },
  },
  {
    platform: "meituan",
    what: "never answers until recovery (every request times out)",
    mode: "timeout",
    before: "dead_lettered",
    rule: "3 attempts, then the DLQ with the reason",
    check: (all) => {
      for (const attempts of all) {
        expect(outcomes(attempts)).toEqual(["retry", "retry", "dead_lettered"]);
        for (const attempt of attempts) expect(attempt.error).toMatch(/timed out/);
      }
    },
  },
];
/** Healthy platforms beside the faulty ones: their complaints must not notice. */
const CONTROLS = ["taobao", "didi"];

const suite = faultSuite("platform-faults", "test/faults/platform-faults.test.ts");

const fileFor = (platforms: readonly string[], perPlatform: number) =>
  pool(
    8,
    platforms.flatMap((platform) =>
      Array.from(
        { length: perPlatform },
        () => () => fileWithRetries(suite.hub.cloud.apiUrl, complaintFor(platform)),
      ),
    ),
  );

const expectClean = (ledger: Ledger) => {
  expect(ledger.lost, describeLedger(ledger)).toEqual([]);
  expect(ledger.duplicated, describeLedger(ledger)).toEqual([]);
  expect(ledger.unexplained, describeLedger(ledger)).toEqual([]);
};

describe("every push platform fault, switched on while complaints flow", () => {
  it("behaves as the delivery rules say, and after recovery and a redrive all is delivered once", async () => {
    for (const scenario of SCENARIOS) suite.hub.cloud.sandbox.setMode(scenario.platform, scenario.mode);
    const filed = await fileFor([...SCENARIOS.map((s) => s.platform), ...CONTROLS], PER_PLATFORM);
    const byPlatform = (platform: string) => filed.filter((f) => f.platform === platform);

    // Until every complaint is where its fault puts it.
    const expected = new Map<string, string>(filed.map((f) => [f.complaintId, "delivered"]));
    for (const s of SCENARIOS) for (const f of byPlatform(s.platform)) expected.set(f.complaintId, s.before);
    const faulted = await settledLedger(suite.target, filed, {
      timeoutMs: 90_000,
      until: (ledger) => ledger.entries.every((e) => e.place === expected.get(e.complaintId)),
    });
    expectClean(faulted);
    for (const entry of faulted.entries)
      expect(entry.place, entry.platform).toBe(expected.get(entry.complaintId));
    for (const entry of faulted.entries.filter((e) => e.place !== "delivered")) {
      expect(entry.reason, entry.platform).toBeTruthy();
      expect(entry.queuedMessages, entry.platform).toBe(1);
    }

    const attempts = new Map<string, AttemptRecord[][]>();
    for (const scenario of SCENARIOS) {
      const all = await Promise.all(
        byPlatform(scenario.platform).map((f) => attemptsOf(suite.target, f.complaintId)),
      );
      attempts.set(scenario.platform, all);
      scenario.check(all);
    }

    // Recovery: every platform back to ok, then the operator redrives each DLQ.
    for (const scenario of SCENARIOS) suite.hub.cloud.sandbox.setMode(scenario.platform, "ok");
    const moved = await redrive(
      suite.target,
      SCENARIOS.filter((s) => s.before !== "delivered").map((s) => s.platform),
    );
    expect(moved).toBe(SCENARIOS.filter((s) => s.before !== "delivered").length * PER_PLATFORM);
    const recovered = await settledLedger(suite.target, filed, { timeoutMs: 60_000, until: allDelivered });
    expectClean(recovered);
    expect(recovered.counts.delivered).toBe(filed.length);

    for (const scenario of SCENARIOS) {
      const complaints = byPlatform(scenario.platform);
      const entries = recovered.entries.filter((e) => e.platform === scenario.platform);
      const requests = attempts.get(scenario.platform)?.flat().length ?? 0;
      suite.figures.add({
        section: "Platform faults",
        what: `${scenario.platform}: ${scenario.what}`,
        tried: `${complaints.length} complaints, ${requests} delivery attempts under the fault`,
        lost: entries.filter((e) => e.place !== "delivered").length,
        duplicated: entries.filter((e) => e.platformCases.length !== 1).length,
        leaked: 0,
        outcome: `${scenario.rule}; ${scenario.before === "delivered" ? "" : `${scenario.before.replace("_", "-")} ${complaints.length}/${complaints.length}, redriven; `}${entries.filter((e) => e.place === "delivered").length}/${complaints.length} delivered, one case each`,
      });
    }
    const controls = recovered.entries.filter((e) => CONTROLS.includes(e.platform));
    suite.figures.add({
      section: "Platform faults",
      what: `healthy platforms beside them (${CONTROLS.join(", ")})`,
      tried: `${controls.length} complaints`,
      lost: controls.filter((e) => e.place !== "delivered").length,
      duplicated: controls.filter((e) => e.platformCases.length !== 1).length,
      leaked: 0,
      outcome: `${controls.length}/${controls.length} delivered at the first attempt, one case each`,
    });
    suite.figures.add({
      section: "Platform faults",
      what: "ledger after recovery and redrive (all of the above)",
      tried: `${n(filed.length)} complaints, ${moved} redriven from 4 DLQs`,
      lost: recovered.lost.length,
      duplicated: recovered.duplicated.length,
      leaked: 0,
      outcome: `${recovered.counts.delivered}/${filed.length} delivered exactly once, as one case`,
    });
  }, 240_000);

  it("refused connections (the sandbox stops listening) are retried, then delivered once it is back", async () => {
    const platforms = ["tmall", "kaola", "funshion", "eleme"];
    await suite.hub.cloud.sandbox.pause();
    let filed: FilingOutcome[] = [];
    try {
      filed = await fileFor(platforms, 2);
      // Until every complaint has met a refused connection.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const tried = await Promise.all(filed.map((f) => attemptsOf(suite.target, f.complaintId)));
        if (tried.every((a) => a.some((x) => x.error === "connection failed"))) break;
        if (Date.now() > deadline) throw new Error("no delivery attempt met the refused connection");
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await suite.hub.cloud.sandbox.resume();
    }
    // A complaint whose attempts ran out meanwhile is in its DLQ: the operator redrives.
    let ledger = await settledLedger(suite.target, filed, {
      timeoutMs: 20_000,
      until: (l) => l.counts.in_flight === 0,
    });
    const redriven = await redrive(suite.target, platforms);
    ledger = await settledLedger(suite.target, filed, { timeoutMs: 30_000, until: allDelivered });
    expectClean(ledger);
    expect(ledger.counts.delivered).toBe(filed.length);
    suite.figures.add({
      section: "Platform faults",
      what: "connection refused: every push platform's endpoint stops listening, then comes back",
      tried: `${filed.length} complaints over ${platforms.length} platforms, each refused at least once`,
      lost: ledger.lost.length,
      duplicated: ledger.duplicated.length,
      leaked: 0,
      outcome: `retried; ${redriven} redriven; ${ledger.counts.delivered}/${filed.length} delivered, one case each`,
    });
  }, 90_000);
});
