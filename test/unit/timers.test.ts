/**
 * The timers each status runs, and the deadline index that follows from them (shared/lifecycle/timers.ts):
 * examples for each rule, and a property over random legal paths with pauses that the index always agrees
 * with the running deadline.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ComplaintRecord, deadlineShard } from "../../shared/complaint/record";
import { pauseForAppraisal, pauseForConsumer, resumeClock } from "../../shared/lifecycle/clock";
import { canTransition, decideTransition } from "../../shared/lifecycle/state-machine";
import {
  ACTORS,
  type Actor,
  COMPLAINT_STATUSES,
  type ComplaintStatus,
  TERMINAL_STATUSES,
} from "../../shared/lifecycle/states";
import { runningTimer, withTimers } from "../../shared/lifecycle/timers";
import { complaintRecord } from "../helpers/fixtures";

const shanghai = (localDateTime: string) => new Date(`${localDateTime}+08:00`);
const endOfShanghaiDay = (localDate: string) => shanghai(`${localDate}T23:59:59.999`).toISOString();
const MONDAY = shanghai("2026-03-02T10:00");

/** The record after a write of `changes` (top-level attributes), as DynamoDB would leave it. */
function written(
  record: ComplaintRecord,
  to: ComplaintStatus,
  changes: { set: Record<string, unknown>; remove: string[] },
) {
  const next = { ...structuredClone(record), status: to, ...changes.set } as Record<string, unknown>;
  for (const key of changes.remove) delete next[key];
  return next as unknown as ComplaintRecord;
}

function enter(
  record: ComplaintRecord,
  to: ComplaintStatus,
  actor: Actor,
  at: Date,
  set: Record<string, unknown> = {},
) {
  const changes = withTimers(record, [{ from: record.status, to, actor, at }], { set });
  return written(record, to, changes);
}

const delivered = () => enter(enter(complaintRecord(), "QUEUED", "hub", MONDAY), "DELIVERED", "hub", MONDAY);

describe("entering a status starts its deadline", () => {
  it("DELIVERED: the platform's response window from delivery, indexed under it", () => {
    const record = delivered();
    expect(record.deadlines).toMatchObject({
      platformResponseDueBy: endOfShanghaiDay("2026-03-11"),
      basis: "from_delivery",
    });
    expect(record.gsi2pk).toBe(deadlineShard(record.complaintId));
    expect(record.gsi2sk).toBe(record.deadlines.platformResponseDueBy);
  });

  it("QUEUED: only an estimate, not indexed", () => {
    const queued = enter(complaintRecord(), "QUEUED", "hub", MONDAY);
    expect(runningTimer(queued)).toBeUndefined();
    expect(queued).not.toHaveProperty("gsi2pk");
  });

  it("IN_PROGRESS: a new window only when the consumer rejects a resolution", () => {
    const answered = enter(
      delivered(),
      "AWAITING_CONSUMER_CONFIRMATION",
      "platform",
      shanghai("2026-03-04T10:00"),
    );
    const byPlatform = enter(answered, "IN_PROGRESS", "platform", shanghai("2026-03-05T10:00"));
    expect(byPlatform.deadlines.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-11"));
    const byConsumer = enter(answered, "IN_PROGRESS", "consumer", shanghai("2026-03-05T10:00"));
    expect(byConsumer.deadlines.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-16"));
    expect(byConsumer.gsi2sk).toBe(endOfShanghaiDay("2026-03-16"));
  });

  it("refuses a deadline set by dot path, and an index set by hand", () => {
    const record = delivered();
    const entry = [
      { from: record.status, to: "ACKNOWLEDGED" as const, actor: "platform" as const, at: MONDAY },
    ];
    expect(() => withTimers(record, entry, { set: { "deadlines.platformResponseDueBy": "x" } })).toThrow(
      /derived/,
    );
    expect(() => withTimers(record, entry, { set: { gsi2sk: "x" } })).toThrow(/derived/);
    expect(() => withTimers(record, entry, { remove: ["gsi2pk"] })).toThrow(/derived/);
  });
});

describe("pauses", () => {
  it("take the platform's clock out of the index, and end when the complaint leaves the platform's statuses", () => {
    const record = delivered();
    const paused = written(
      record,
      "IN_PROGRESS",
      withTimers(
        record,
        [{ from: "DELIVERED", to: "IN_PROGRESS", actor: "platform", at: MONDAY }],
        pauseForConsumer(MONDAY),
      ),
    );
    expect(paused).toMatchObject({ awaitingConsumerInfo: true });
    expect(paused).not.toHaveProperty("gsi2pk");
    const withdrawn = enter(paused, "WITHDRAWN", "consumer", MONDAY);
    expect(withdrawn).not.toHaveProperty("awaitingConsumerInfo");
    expect(withdrawn).not.toHaveProperty("clockPausedAt");
  });

  it("for appraisal stop only mediation's clock", () => {
    const mediating = enter(
      enter(delivered(), "AWAITING_CONSUMER_CONFIRMATION", "platform", MONDAY),
      "ASSOCIATION_MEDIATION",
      "consumer",
      MONDAY,
    );
    const paused = { ...mediating, ...pauseForAppraisal(MONDAY).set } as ComplaintRecord;
    expect(runningTimer(mediating)?.kind).toBe("mediation");
    expect(runningTimer(paused)).toBeUndefined();
    // The consumer's information pause does not stop mediation.
    expect(runningTimer({ ...mediating, awaitingConsumerInfo: true })?.kind).toBe("mediation");
  });
});

describe("along random legal paths", () => {
  it("the index always holds exactly the running deadline, and nothing settled is indexed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ choice: fc.nat(), pause: fc.boolean(), days: fc.integer({ min: 0, max: 20 }) }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (steps) => {
          let record = complaintRecord();
          let time = MONDAY.getTime();
          for (const { choice, pause, days } of steps) {
            time += days * 86_400_000;
            const at = new Date(time);
            if (TERMINAL_STATUSES.has(record.status)) break;
            const legal = COMPLAINT_STATUSES.flatMap((to) =>
              ACTORS.filter((actor) => canTransition(record.status, to, actor)).map((actor) => ({
                to,
                actor,
              })),
            );
            const { to, actor } = legal[choice % legal.length] as { to: ComplaintStatus; actor: Actor };
            const outcome = decideTransition(record, { to, actor, at });
            const set: Record<string, unknown> = {};
            const remove: string[] = [];
            if (pause && record.clockPausedAt) {
              const resumed = resumeClock(record, at);
              Object.assign(set, resumed.set);
              remove.push(...resumed.remove);
            } else if (pause && to === "IN_PROGRESS" && actor === "platform") {
              Object.assign(set, pauseForConsumer(at).set);
            } else if (pause && to === "ASSOCIATION_MEDIATION") {
              Object.assign(set, pauseForAppraisal(at).set);
            }
            record = written(
              record,
              outcome.status,
              withTimers(record, [{ ...outcome.entry, at }], { set, remove }),
            );

            const timer = runningTimer(record);
            if (timer) {
              expect(record.gsi2pk).toBe(deadlineShard(record.complaintId));
              expect(record.gsi2sk).toBe(timer.dueBy);
            } else {
              expect(record).not.toHaveProperty("gsi2pk");
              expect(record).not.toHaveProperty("gsi2sk");
            }
            if (TERMINAL_STATUSES.has(record.status) || record.status === "REROUTE_REVIEW") {
              expect(timer).toBeUndefined();
              expect(record).not.toHaveProperty("awaitingConsumerInfo");
              expect(record).not.toHaveProperty("appraisalPending");
            }
            if (record.appraisalPending) expect(record.status).toBe("ASSOCIATION_MEDIATION");
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
