import { describe, expect, it } from "vitest";
import type { ComplaintRecord } from "../../shared/complaint/record";
import { factsForChange, type StatsFact } from "../../shared/stats/facts";
import { accepted, at, DUE, lifecycle, moved } from "./stats-fixtures";

/** The facts of a change as "name@platform#routeSeq" (with hours for first responses). */
const names = (facts: StatsFact[]) =>
  facts.map((f) => `${f.name}@${f.platform}#${f.routeSeq}${f.hours !== undefined ? `:${f.hours}h` : ""}`);

describe("factsForChange: one route", () => {
  const life = lifecycle();

  it("an accepted insert is received, against the platform, its route and the issue nature", () => {
    expect(factsForChange(undefined, life.c0)).toEqual([
      {
        name: "received",
        complaintId: life.c0.complaintId,
        routeSeq: 1,
        platform: "suning",
        category: "quality",
      },
    ]);
  });

  it("an insert that is not ACCEPTED, a removal and routing to the queue are no facts", () => {
    expect(factsForChange(undefined, { ...life.c0, status: "SUBMITTED" })).toEqual([]);
    expect(factsForChange(life.c0, undefined)).toEqual([]);
    expect(factsForChange(life.c0, life.queued)).toEqual([]);
  });

  it("a complaint about a non-member (triage) is not counted at all", () => {
    const other = accepted({ platform: "corner-shop" });
    expect(other.member).toBe(false);
    expect(factsForChange(undefined, other)).toEqual([]);
    const delivered = moved(other, [
      { to: "QUEUED", actor: "hub", hours: 0 },
      { to: "DELIVERED", actor: "hub", hours: 1 },
    ]);
    expect(factsForChange(other, delivered)).toEqual([]);
  });

  it("delivery is delivered; the platform's first report is its first response, in whole hours", () => {
    expect(names(factsForChange(life.queued, life.delivered))).toEqual(["delivered@suning#1"]);
    // Delivered at hour 1, acknowledged at hour 6.5: 5.5 hours, counted as 5.
    expect(names(factsForChange(life.delivered, life.acknowledged))).toEqual(["firstResponse@suning#1:5h"]);
  });

  it("a later platform report is not a first response again", () => {
    const progress = moved(life.acknowledged, [{ to: "IN_PROGRESS", actor: "platform", hours: 10 }]);
    expect(factsForChange(life.acknowledged, progress)).toEqual([]);
  });

  it("an answer as the platform's first report is both the first response and the answer", () => {
    const answered = moved(life.delivered, [
      { to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 30 },
    ]);
    expect(names(factsForChange(life.delivered, answered))).toEqual([
      "firstResponse@suning#1:29h",
      "answeredOnTime@suning#1",
    ]);
  });

  it("a pull platform's ACK (QUEUED → DELIVERED → ACKNOWLEDGED in one write): delivered, then a 0-hour response", () => {
    const acked = moved(life.queued, [
      { to: "DELIVERED", actor: "platform", hours: 3 },
      { to: "ACKNOWLEDGED", actor: "platform", hours: 3 },
    ]);
    expect(names(factsForChange(life.queued, acked))).toEqual([
      "delivered@suning#1",
      "firstResponse@suning#1:0h",
    ]);
  });

  it("caps first-response times at 720 hours", () => {
    const late = moved(life.delivered, [{ to: "ACKNOWLEDGED", actor: "platform", hours: 2000 }]);
    expect(factsForChange(life.delivered, late)[0]?.hours).toBe(720);
  });

  it("the first answer by the due date is on time, after it late", () => {
    expect(names(factsForChange(life.acknowledged, life.answered))).toEqual(["answeredOnTime@suning#1"]);
    const lateAt = (Date.parse(DUE) - Date.parse(at(0))) / 3_600_000 + 1;
    const late = moved(life.acknowledged, [
      { to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: lateAt },
    ]);
    expect(names(factsForChange(life.acknowledged, late))).toEqual(["answeredLate@suning#1"]);
  });

  it("an answer given while the clock was paused for the consumer counts from the pause", () => {
    const pausedAt = at(100); // before the due date
    const waiting: ComplaintRecord = {
      ...life.acknowledged,
      awaitingConsumerInfo: true,
      clockPausedAt: pausedAt,
    };
    const answered = moved(waiting, [
      { to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 400 },
    ]);
    expect(names(factsForChange(waiting, answered))).toEqual(["answeredOnTime@suning#1"]);
    // Another pause (an appraisal's, which stops mediation's clock) does not stop the platform's.
    const appraisal: ComplaintRecord = {
      ...life.acknowledged,
      appraisalPending: true,
      clockPausedAt: pausedAt,
    };
    const late = moved(appraisal, [{ to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 400 }]);
    expect(names(factsForChange(appraisal, late))).toEqual(["answeredLate@suning#1"]);
  });

  it("only the first answer of a route counts: a second one after the consumer's rejection does not", () => {
    const rejected = moved(life.answered, [{ to: "IN_PROGRESS", actor: "consumer", hours: 49 }]);
    expect(factsForChange(life.answered, rejected)).toEqual([]);
    const again = moved(rejected, [{ to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 60 }]);
    expect(factsForChange(rejected, again)).toEqual([]);
  });

  it("OVERDUE before any answer is overdue; the late answer after it is not counted again", () => {
    const overdue = moved(life.acknowledged, [
      { to: "OVERDUE", actor: "schedule", hours: 170, reason: "response_deadline_missed" },
    ]);
    expect(names(factsForChange(life.acknowledged, overdue))).toEqual(["overdue@suning#1"]);
    const answered = moved(overdue, [
      { to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 180 },
    ]);
    expect(factsForChange(overdue, answered)).toEqual([]);
  });

  it("OVERDUE after the platform had answered is not overdue", () => {
    const rejected = moved(life.answered, [{ to: "IN_PROGRESS", actor: "consumer", hours: 49 }]);
    const overdue = moved(rejected, [{ to: "OVERDUE", actor: "schedule", hours: 300 }]);
    expect(factsForChange(rejected, overdue)).toEqual([]);
  });

  it("closing is closed, and settled when the reason is a settlement", () => {
    expect(names(factsForChange(life.answered, life.closed))).toEqual([
      "closed@suning#1",
      "settled@suning#1",
    ]);
    const mediation = moved(life.answered, [{ to: "ASSOCIATION_MEDIATION", actor: "consumer", hours: 55 }]);
    for (const [reason, expected] of [
      ["mediation_settled", ["closed@suning#1", "settled@suning#1"]],
      ["mediation_self_settled", ["closed@suning#1", "settled@suning#1"]],
      ["mediation_no_agreement", ["closed@suning#1"]],
      ["mediation_time_limit_reached", ["closed@suning#1"]],
    ] as const) {
      const closed = moved(mediation, [{ to: "CLOSED", actor: "operator", hours: 500, reason }]);
      expect(names(factsForChange(mediation, closed)), reason).toEqual(expected);
    }
  });

  it("withdrawal is withdrawn", () => {
    const withdrawn = moved(life.acknowledged, [{ to: "WITHDRAWN", actor: "consumer", hours: 20 }]);
    expect(names(factsForChange(life.acknowledged, withdrawn))).toEqual(["withdrawn@suning#1"]);
  });

  it("a status change written without its timeline entry still counts", () => {
    const withdrawn: ComplaintRecord = { ...life.acknowledged, status: "WITHDRAWN", updatedAt: at(20) };
    expect(names(factsForChange(life.acknowledged, withdrawn))).toEqual(["withdrawn@suning#1"]);
  });
});

describe("factsForChange: repeats", () => {
  const life = lifecycle();

  it("a write that appends nothing (bookkeeping) derives no fact, though the image holds earlier ones", () => {
    const touched: ComplaintRecord = {
      ...life.answered,
      version: life.answered.version + 1,
      updatedAt: at(49),
    };
    expect(factsForChange(life.answered, touched)).toEqual([]);
  });

  it("the same change read twice derives the same facts (the counter's markers count them once)", () => {
    expect(factsForChange(life.delivered, life.acknowledged)).toEqual(
      factsForChange(life.delivered, life.acknowledged),
    );
  });

  it("a second DELIVERED on the same route is not delivered again", () => {
    const back: ComplaintRecord = moved(life.delivered, [{ to: "DELIVERED", actor: "hub", hours: 2 }]);
    const twice = moved(back, [{ to: "DELIVERED", actor: "hub", hours: 3 }]);
    expect(factsForChange(back, twice)).toEqual([]);
  });
});

describe("factsForChange: a re-route", () => {
  const life = lifecycle();
  // The member's REDIRECT: REROUTE_REVIEW by the platform, then QUEUED to the new member, in one write.
  const rerouted = moved(
    life.acknowledged,
    [
      { to: "REROUTE_REVIEW", actor: "platform", hours: 8, reason: "redirect_requested" },
      { to: "QUEUED", actor: "hub", hours: 8, reason: "rerouted_to_member_platform" },
    ],
    {
      platform: "jd",
      member: true,
      routing: { noticeId: `${life.c0.complaintId}-r2`, routeSeq: 2 },
      delivery: { state: "pending", attempts: 0 },
    },
  );

  it("is received by the new platform on the new route", () => {
    expect(names(factsForChange(life.acknowledged, rerouted))).toEqual(["received@jd#2"]);
  });

  it("counts the first platform's redirect as its first response when it was one", () => {
    const early = moved(
      life.delivered,
      [
        { to: "REROUTE_REVIEW", actor: "platform", hours: 4, reason: "redirect_requested" },
        { to: "QUEUED", actor: "hub", hours: 4 },
      ],
      { platform: "jd", routing: { noticeId: `${life.c0.complaintId}-r2`, routeSeq: 2 } },
    );
    expect(names(factsForChange(life.delivered, early))).toEqual([
      "received@jd#2",
      "firstResponse@suning#1:3h",
    ]);
  });

  it("counts what happens next for the new platform, from scratch", () => {
    const delivered = moved(rerouted, [{ to: "DELIVERED", actor: "hub", hours: 9 }]);
    expect(names(factsForChange(rerouted, delivered))).toEqual(["delivered@jd#2"]);
    const acked = moved(delivered, [{ to: "ACKNOWLEDGED", actor: "platform", hours: 12 }]);
    expect(names(factsForChange(delivered, acked))).toEqual(["firstResponse@jd#2:3h"]);
    const answered = moved(acked, [{ to: "AWAITING_CONSUMER_CONFIRMATION", actor: "platform", hours: 20 }]);
    expect(names(factsForChange(acked, answered))).toEqual(["answeredOnTime@jd#2"]);
  });

  it("a re-route to a non-member ends the counting", () => {
    const toTriage = moved(
      life.acknowledged,
      [
        { to: "REROUTE_REVIEW", actor: "platform", hours: 8 },
        { to: "QUEUED", actor: "operator", hours: 9 },
      ],
      {
        platform: "corner-shop",
        member: false,
        routing: { noticeId: `${life.c0.complaintId}-r2`, routeSeq: 2 },
      },
    );
    expect(factsForChange(life.acknowledged, toTriage)).toEqual([]);
  });
});
