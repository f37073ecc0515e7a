import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canTransition,
  decideTransition,
  IllegalTransitionError,
  initialEntry,
} from "../../shared/lifecycle/state-machine";
import {
  ACTORS,
  type Actor,
  COMPLAINT_STATUSES,
  type ComplaintStatus,
  TERMINAL_STATUSES,
  type TimelineEntry,
} from "../../shared/lifecycle/states";

const AT = new Date("2026-03-02T02:00:00.000Z");
const OPEN_STATUSES = COMPLAINT_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s));

/** Every actor that may move a complaint from `from` to `to`. */
const actorsFor = (from: ComplaintStatus, to: ComplaintStatus) =>
  ACTORS.filter((actor) => canTransition(from, to, actor));

describe("canTransition: who may do what", () => {
  it.each<[ComplaintStatus, ComplaintStatus, Actor[]]>([
    ["SUBMITTED", "ACCEPTED", ["hub"]],
    ["SUBMITTED", "NOT_ACCEPTED", ["hub", "operator"]],
    ["ACCEPTED", "QUEUED", ["hub", "operator"]],
    ["REROUTE_REVIEW", "QUEUED", ["hub", "operator"]],
    ["QUEUED", "DELIVERED", ["hub", "platform"]],
    ["DELIVERED", "ACKNOWLEDGED", ["platform"]],
    ["OVERDUE", "ACKNOWLEDGED", []], // being chased ends only with an answer
    ["ACKNOWLEDGED", "IN_PROGRESS", ["platform"]],
    ["IN_PROGRESS", "AWAITING_CONSUMER_CONFIRMATION", ["platform"]],
    ["AWAITING_CONSUMER_CONFIRMATION", "IN_PROGRESS", ["consumer", "platform"]],
    ["AWAITING_CONSUMER_CONFIRMATION", "CLOSED", ["consumer", "operator", "schedule"]],
    ["AWAITING_CONSUMER_CONFIRMATION", "ASSOCIATION_MEDIATION", ["consumer", "operator"]],
    ["DELIVERED", "OVERDUE", ["schedule"]],
    ["IN_PROGRESS", "OVERDUE", ["schedule"]],
    ["OVERDUE", "SUPERVISED", ["operator", "schedule"]],
    ["SUPERVISED", "ASSOCIATION_MEDIATION", ["operator", "schedule"]],
    ["ASSOCIATION_MEDIATION", "CLOSED", ["operator", "schedule"]],
    ["QUEUED", "REROUTE_REVIEW", ["operator", "platform"]],
    ["IN_PROGRESS", "WITHDRAWN", ["consumer"]],
  ])("%s → %s is allowed for exactly %j", (from, to, actors) => {
    expect(actorsFor(from, to)).toEqual([...actors].sort((a, b) => ACTORS.indexOf(a) - ACTORS.indexOf(b)));
  });

  it.each<[ComplaintStatus, ComplaintStatus]>([
    ["SUBMITTED", "QUEUED"], // screening cannot be skipped
    ["ACCEPTED", "DELIVERED"], // routing cannot be skipped
    ["QUEUED", "ACKNOWLEDGED"],
    ["QUEUED", "OVERDUE"], // the clock runs from delivery
    ["OVERDUE", "ASSOCIATION_MEDIATION"], // supervision comes first
    ["SUBMITTED", "CLOSED"],
    ["ACCEPTED", "REROUTE_REVIEW"],
    ["ASSOCIATION_MEDIATION", "IN_PROGRESS"],
  ])("nobody may move %s → %s", (from, to) => {
    expect(actorsFor(from, to)).toEqual([]);
  });

  it("never lets a platform close, withdraw, supervise or mediate", () => {
    for (const from of COMPLAINT_STATUSES) {
      for (const to of ["CLOSED", "WITHDRAWN", "SUPERVISED", "ASSOCIATION_MEDIATION", "OVERDUE"] as const) {
        expect(canTransition(from, to, "platform"), `${from} → ${to}`).toBe(false);
      }
    }
  });

  it("lets only the consumer withdraw, from every open state", () => {
    for (const from of OPEN_STATUSES) expect(actorsFor(from, "WITHDRAWN"), from).toEqual(["consumer"]);
  });

  it("keeps terminal states terminal for every actor and target", () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(["CLOSED", "NOT_ACCEPTED", "WITHDRAWN"]);
    for (const from of TERMINAL_STATUSES) {
      for (const to of COMPLAINT_STATUSES) expect(actorsFor(from, to), `${from} → ${to}`).toEqual([]);
    }
  });

  it("has no self-transitions and nothing leads back to SUBMITTED", () => {
    for (const status of COMPLAINT_STATUSES) {
      expect(actorsFor(status, status), status).toEqual([]);
      expect(actorsFor(status, "SUBMITTED"), status).toEqual([]);
    }
  });

  it("reaches every status from SUBMITTED and leaves no open state without a way out", () => {
    const reached = new Set<ComplaintStatus>(["SUBMITTED"]);
    const frontier: ComplaintStatus[] = ["SUBMITTED"];
    while (frontier.length > 0) {
      const from = frontier.pop() as ComplaintStatus;
      for (const to of COMPLAINT_STATUSES) {
        if (!reached.has(to) && actorsFor(from, to).length > 0) {
          reached.add(to);
          frontier.push(to);
        }
      }
    }
    expect([...reached].sort()).toEqual([...COMPLAINT_STATUSES].sort());
    for (const from of OPEN_STATUSES) {
      expect(
        COMPLAINT_STATUSES.some((to) => actorsFor(from, to).length > 0),
        from,
      ).toBe(true);
    }
  });
});

describe("decideTransition", () => {
  it("increments the version and builds the timeline entry", () => {
    const outcome = decideTransition(
      { status: "QUEUED", version: 7 },
      { to: "DELIVERED", actor: "hub", at: AT, reason: "delivered_to_platform", note: "case SN-1" },
    );
    expect(outcome).toEqual({
      status: "DELIVERED",
      version: 8,
      entry: {
        at: "2026-03-02T02:00:00.000Z",
        actor: "hub",
        from: "QUEUED",
        to: "DELIVERED",
        reason: "delivered_to_platform",
        note: "case SN-1",
        visibility: "consumer",
      },
    });
  });

  it("leaves out an absent reason and note and keeps the requested visibility", () => {
    const { entry } = decideTransition(
      { status: "OVERDUE", version: 3 },
      { to: "SUPERVISED", actor: "operator", at: AT, visibility: "internal" },
    );
    expect(entry).toEqual({
      at: AT.toISOString(),
      actor: "operator",
      from: "OVERDUE",
      to: "SUPERVISED",
      visibility: "internal",
    });
    expect(Object.keys(entry)).not.toContain("reason");
    expect(Object.keys(entry)).not.toContain("note");
  });

  it("refuses an illegal transition with an IllegalTransitionError naming it", () => {
    const attempt = () =>
      decideTransition({ status: "QUEUED", version: 4 }, { to: "CLOSED", actor: "platform", at: AT });
    expect(attempt).toThrow(IllegalTransitionError);
    try {
      attempt();
    } catch (error) {
      const illegal = error as IllegalTransitionError;
      expect(illegal.name).toBe("IllegalTransitionError");
      expect([illegal.from, illegal.to, illegal.actor]).toEqual(["QUEUED", "CLOSED", "platform"]);
      expect(illegal.message).toBe("A platform cannot move a complaint from QUEUED to CLOSED");
    }
  });

  it("refuses to leave a terminal state even for the operator", () => {
    for (const from of TERMINAL_STATUSES) {
      expect(() =>
        decideTransition({ status: from, version: 9 }, { to: "QUEUED", actor: "operator", at: AT }),
      ).toThrow(IllegalTransitionError);
    }
  });

  it("starts every timeline at SUBMITTED, by the consumer, visible to them", () => {
    expect(initialEntry(AT)).toEqual({
      at: AT.toISOString(),
      actor: "consumer",
      from: null,
      to: "SUBMITTED",
      visibility: "consumer",
    });
  });
});

interface Complaint {
  status: ComplaintStatus;
  version: number;
  timeline: TimelineEntry[];
}

const fresh = (): Complaint => ({ status: "SUBMITTED", version: 1, timeline: [initialEntry(AT)] });

/** The invariants every complaint keeps, whatever happened to it. */
function checkInvariants(complaint: Complaint, applied: number) {
  expect(COMPLAINT_STATUSES).toContain(complaint.status);
  expect(complaint.version).toBe(1 + applied);
  expect(complaint.timeline).toHaveLength(1 + applied);
  expect(complaint.timeline[0]?.from).toBeNull();
  for (let i = 1; i < complaint.timeline.length; i++) {
    expect(complaint.timeline[i]?.from).toBe(complaint.timeline[i - 1]?.to);
  }
  expect(complaint.timeline.at(-1)?.to).toBe(complaint.status);
}

describe("the lifecycle under random actions", () => {
  const action = fc.record({
    to: fc.constantFrom(...COMPLAINT_STATUSES),
    actor: fc.constantFrom(...ACTORS),
  });

  it("applies only what canTransition allows, stays in known states and never leaves a terminal one", () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 200 }), (actions) => {
        const complaint = fresh();
        let applied = 0;
        let terminalAt: ComplaintStatus | undefined;
        for (const { to, actor } of actions) {
          const request = { to, actor, at: AT };
          if (!canTransition(complaint.status, to, actor)) {
            expect(() => decideTransition(complaint, request)).toThrow(IllegalTransitionError);
            continue;
          }
          const outcome = decideTransition(complaint, request);
          expect(outcome.entry.from).toBe(complaint.status);
          complaint.status = outcome.status;
          complaint.version = outcome.version;
          complaint.timeline.push(outcome.entry);
          applied++;
          if (terminalAt) throw new Error(`left terminal state ${terminalAt}`);
          if (TERMINAL_STATUSES.has(complaint.status)) terminalAt = complaint.status;
        }
        if (terminalAt) expect(complaint.status).toBe(terminalAt);
        checkInvariants(complaint, applied);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the same invariants along random legal paths, which go deep and end", () => {
    const ends = new Set<ComplaintStatus>();
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (choices) => {
        const complaint = fresh();
        let applied = 0;
        for (const choice of choices) {
          const legal = COMPLAINT_STATUSES.flatMap((to) =>
            actorsFor(complaint.status, to).map((actor) => ({ to, actor })),
          );
          if (TERMINAL_STATUSES.has(complaint.status)) {
            expect(legal).toEqual([]);
            break;
          }
          expect(legal.length).toBeGreaterThan(0);
          const { to, actor } = legal[choice % legal.length] as { to: ComplaintStatus; actor: Actor };
          const outcome = decideTransition(complaint, { to, actor, at: AT });
          complaint.status = outcome.status;
          complaint.version = outcome.version;
          complaint.timeline.push(outcome.entry);
          applied++;
        }
        checkInvariants(complaint, applied);
        ends.add(complaint.status);
      }),
      { numRuns: 500 },
    );
    // The walk really explores: it ends in every terminal state and in open ones.
    for (const terminal of TERMINAL_STATUSES) expect(ends).toContain(terminal);
    expect([...ends].some((s) => !TERMINAL_STATUSES.has(s))).toBe(true);
  });
});
