/**
 * The operators' lifecycle actions against the local cloud's DynamoDB: each one through the state machine,
 * named in the timeline, refused (with nothing written) where the lifecycle or the request does not allow it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addWorkingDays } from "../../shared/calendar/working-days";
import type { ComplaintRecord } from "../../shared/complaint/record";
import { CLOSURE_REASONS, NOT_ACCEPTED_REASONS } from "../../shared/lifecycle/reasons";
import { IllegalTransitionError, type TransitionRequest } from "../../shared/lifecycle/state-machine";
import {
  addOperatorNote,
  closeComplaint,
  mediate,
  type OperatorDependencies,
  OperatorRequestError,
  pauseMediation,
  refuseComplaint,
  reroute,
  resumeMediation,
  supervise,
} from "../../shared/operator/operator-actions";
import { ComplaintStore } from "../../shared/store/complaint-store";
import type { LocalDynamo } from "../helpers/dynalite";
import { complaintRecord, FIXTURE_NOW } from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";

const shanghai = (localDateTime: string) => new Date(`${localDateTime}+08:00`);
const endOfShanghaiDay = (localDate: string) => shanghai(`${localDate}T23:59:59.999`).toISOString();

let dynamo: LocalDynamo;
let store: ComplaintStore;
let now: Date;
let deps: OperatorDependencies;
let ids = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = new ComplaintStore(dynamo.doc, await dynamo.createComplaintTable());
  now = shanghai("2026-03-16T10:00");
  deps = { store, now: () => now, isMember: (id) => id !== "pinduoduo" };
});

/** A complaint taken through `path` (each step by the actor given), delivered on FIXTURE_NOW. */
async function complaintThrough(path: [TransitionRequest["to"], TransitionRequest["actor"]][]) {
  const record = complaintRecord({ complaintId: `CH${String(++ids).padStart(20, "0")}` });
  await store.create(record);
  for (const [to, actor] of [["QUEUED", "hub"], ["DELIVERED", "hub"], ...path] as typeof path) {
    const current = (await store.get(record.complaintId)) as ComplaintRecord;
    await store.applySteps(current, [{ to, actor, at: FIXTURE_NOW }]);
  }
  return (await store.get(record.complaintId)) as ComplaintRecord;
}

const read = async (id: string) => (await store.get(id)) as ComplaintRecord;

async function expectRefusal(
  action: () => Promise<unknown>,
  type: new (...args: never[]) => Error,
  id: string,
) {
  const before = await read(id);
  await expect(action()).rejects.toBeInstanceOf(type);
  expect(await read(id)).toEqual(before);
}

describe("supervise and mediate", () => {
  it("supervises an overdue complaint ahead of the schedule, naming the operator", async () => {
    const complaint = await complaintThrough([["OVERDUE", "schedule"]]);
    const after = await supervise(deps, {
      complaintId: complaint.complaintId,
      operator: "li.wei",
      note: "Called",
    });
    expect(after.status).toBe("SUPERVISED");
    expect(after.timeline.at(-1)).toMatchObject({
      actor: "operator",
      by: "li.wei",
      from: "OVERDUE",
      to: "SUPERVISED",
      reason: "supervision_opened_by_operator",
      note: "Called",
    });
    expect(after.deadlines.supervisionDueBy).toBe(endOfShanghaiDay("2026-03-19"));
  });

  it("refuses to supervise a complaint that is not overdue, and writes nothing", async () => {
    const complaint = await complaintThrough([]);
    await expectRefusal(
      () => supervise(deps, { complaintId: complaint.complaintId, operator: "li.wei" }),
      IllegalTransitionError,
      complaint.complaintId,
    );
  });

  it("takes a disputed resolution into mediation with the 45-working-day limit", async () => {
    const complaint = await complaintThrough([["AWAITING_CONSUMER_CONFIRMATION", "platform"]]);
    const after = await mediate(deps, { complaintId: complaint.complaintId, operator: "li.wei" });
    expect(after.status).toBe("ASSOCIATION_MEDIATION");
    expect(after.deadlines.mediationDueBy).toBe(addWorkingDays(now, 45).toISOString());
    expect(after.gsi2sk).toBe(after.deadlines.mediationDueBy);
  });
});

describe("appraisal pauses mediation (SAMR Art 23)", () => {
  it("takes mediation out of the chase while pending, and moves its limit out by the working days it took", async () => {
    const complaint = await complaintThrough([
      ["OVERDUE", "schedule"],
      ["SUPERVISED", "schedule"],
      ["ASSOCIATION_MEDIATION", "schedule"],
    ]);
    const limit = complaint.deadlines.mediationDueBy as string;
    const paused = await pauseMediation(deps, { complaintId: complaint.complaintId, operator: "li.wei" });
    expect(paused).toMatchObject({ status: "ASSOCIATION_MEDIATION", appraisalPending: true });
    expect(paused).not.toHaveProperty("gsi2pk");
    expect(paused.timeline.at(-1)).toMatchObject({ reason: "appraisal_pending", visibility: "consumer" });

    now = shanghai("2026-03-20T10:00"); // Monday to Friday: 4 working days
    const resumed = await resumeMediation(deps, { complaintId: complaint.complaintId, operator: "li.wei" });
    expect(resumed).not.toHaveProperty("appraisalPending");
    expect(resumed.deadlines.appraisalWorkingDays).toBe(4);
    expect(resumed.deadlines.mediationDueBy).toBe(addWorkingDays(new Date(limit), 4).toISOString());
    expect(resumed.gsi2sk).toBe(resumed.deadlines.mediationDueBy);
    expect(resumed.timeline.at(-1)?.note).toBe("The mediation limit moves out by 4 working days");
  });

  it("refuses a pause outside mediation, a second pause, and a resumption without a pause", async () => {
    const supervised = await complaintThrough([
      ["OVERDUE", "schedule"],
      ["SUPERVISED", "schedule"],
    ]);
    // Pausing must never take a supervised complaint into mediation by the back door.
    await expectRefusal(
      () => pauseMediation(deps, { complaintId: supervised.complaintId, operator: "li.wei" }),
      OperatorRequestError,
      supervised.complaintId,
    );
    const mediating = await complaintThrough([["AWAITING_CONSUMER_CONFIRMATION", "platform"]]);
    await mediate(deps, { complaintId: mediating.complaintId, operator: "li.wei" });
    await expectRefusal(
      () => resumeMediation(deps, { complaintId: mediating.complaintId, operator: "li.wei" }),
      OperatorRequestError,
      mediating.complaintId,
    );
    await pauseMediation(deps, { complaintId: mediating.complaintId, operator: "li.wei" });
    await expectRefusal(
      () => pauseMediation(deps, { complaintId: mediating.complaintId, operator: "li.wei" }),
      OperatorRequestError,
      mediating.complaintId,
    );
  });

  it("ends with the mediation: a closed complaint is no longer waiting for appraisal", async () => {
    const complaint = await complaintThrough([["AWAITING_CONSUMER_CONFIRMATION", "platform"]]);
    await mediate(deps, { complaintId: complaint.complaintId, operator: "li.wei" });
    await pauseMediation(deps, { complaintId: complaint.complaintId, operator: "li.wei" });
    const closed = await closeComplaint(deps, {
      complaintId: complaint.complaintId,
      operator: "li.wei",
      reason: "mediation_appraisal_disagreement",
    });
    expect(closed.status).toBe("CLOSED");
    expect(closed).not.toHaveProperty("appraisalPending");
    expect(closed).not.toHaveProperty("clockPausedAt");
    expect(closed).not.toHaveProperty("gsi2pk");
  });
});

describe("close and refuse", () => {
  it("closes mediation with an Art 24 reason, its label as the default note", async () => {
    const complaint = await complaintThrough([["AWAITING_CONSUMER_CONFIRMATION", "platform"]]);
    await mediate(deps, { complaintId: complaint.complaintId, operator: "li.wei" });
    const closed = await closeComplaint(deps, {
      complaintId: complaint.complaintId,
      operator: "li.wei",
      reason: "mediation_settled",
    });
    expect(closed.timeline.at(-1)).toMatchObject({
      to: "CLOSED",
      reason: "mediation_settled",
      note: CLOSURE_REASONS.mediation_settled,
      by: "li.wei",
    });
  });

  it("refuses an unknown closure reason, and the schedule's and consumer's own reasons", async () => {
    const complaint = await complaintThrough([["AWAITING_CONSUMER_CONFIRMATION", "platform"]]);
    for (const reason of ["because", "resolved_accepted", "resolved_without_feedback"]) {
      await expectRefusal(
        () => closeComplaint(deps, { complaintId: complaint.complaintId, operator: "li.wei", reason }),
        OperatorRequestError,
        complaint.complaintId,
      );
    }
  });

  it("refuses a complaint under review with an Art 15 reason, and only under review", async () => {
    const review = await complaintThrough([["REROUTE_REVIEW", "platform"]]);
    const refused = await refuseComplaint(deps, {
      complaintId: review.complaintId,
      operator: "li.wei",
      reason: "art15_not_consumer_dispute",
    });
    expect(refused.status).toBe("NOT_ACCEPTED");
    expect(refused.timeline.at(-1)?.note).toBe(NOT_ACCEPTED_REASONS.art15_not_consumer_dispute);

    const delivered = await complaintThrough([]);
    await expectRefusal(
      () =>
        refuseComplaint(deps, {
          complaintId: delivered.complaintId,
          operator: "li.wei",
          reason: "art15_time_barred",
        }),
      IllegalTransitionError,
      delivered.complaintId,
    );
    await expectRefusal(
      () => refuseComplaint(deps, { complaintId: review.complaintId, operator: "li.wei", reason: "art16" }),
      OperatorRequestError,
      review.complaintId,
    );
  });
});

describe("reroute", () => {
  it("sends a complaint under review to another member with a new route and an estimated deadline", async () => {
    const complaint = await complaintThrough([["REROUTE_REVIEW", "platform"]]);
    const after = await reroute(deps, { complaintId: complaint.complaintId, operator: "li.wei", to: "jd" });
    expect(after).toMatchObject({
      status: "QUEUED",
      platform: "jd",
      member: true,
      routing: { noticeId: `${complaint.complaintId}-r2`, routeSeq: 2 },
      delivery: { state: "pending", attempts: 0 },
      gsi1pk: "P#jd",
    });
    expect(after.deadlines.basis).toBe("estimated_from_submission");
    expect(after).not.toHaveProperty("gsi2pk");
    expect(after.timeline.at(-1)).toMatchObject({ from: "REROUTE_REVIEW", to: "QUEUED", by: "li.wei" });
  });

  it("goes through review from a delivered complaint, and marks a non-member route for triage", async () => {
    const complaint = await complaintThrough([["ACKNOWLEDGED", "platform"]]);
    const after = await reroute(deps, {
      complaintId: complaint.complaintId,
      operator: "li.wei",
      to: "pinduoduo",
    });
    expect(after.timeline.slice(-2).map((e) => [e.from, e.to, e.visibility])).toEqual([
      ["ACKNOWLEDGED", "REROUTE_REVIEW", "internal"],
      ["REROUTE_REVIEW", "QUEUED", "consumer"],
    ]);
    expect(after).toMatchObject({ platform: "pinduoduo", member: false });
  });

  it("refuses an unknown platform, the same platform and a settled complaint", async () => {
    const complaint = await complaintThrough([["REROUTE_REVIEW", "platform"]]);
    await expectRefusal(
      () => reroute(deps, { complaintId: complaint.complaintId, operator: "li.wei", to: "No Where!" }),
      OperatorRequestError,
      complaint.complaintId,
    );
    await expectRefusal(
      () => reroute(deps, { complaintId: complaint.complaintId, operator: "li.wei", to: complaint.platform }),
      OperatorRequestError,
      complaint.complaintId,
    );
    const closed = await complaintThrough([
      ["AWAITING_CONSUMER_CONFIRMATION", "platform"],
      ["CLOSED", "consumer"],
    ]);
    await expectRefusal(
      () => reroute(deps, { complaintId: closed.complaintId, operator: "li.wei", to: "jd" }),
      IllegalTransitionError,
      closed.complaintId,
    );
  });
});

describe("notes and names", () => {
  it("keeps an internal note without changing the status", async () => {
    const complaint = await complaintThrough([]);
    const after = await addOperatorNote(deps, {
      complaintId: complaint.complaintId,
      operator: "li.wei",
      note: "Platform says the API was down",
    });
    expect(after.status).toBe("DELIVERED");
    expect(after.timeline.at(-1)).toMatchObject({
      from: "DELIVERED",
      to: "DELIVERED",
      visibility: "internal",
      note: "Platform says the API was down",
    });
    // The note changes no deadline.
    expect(after.deadlines).toEqual(complaint.deadlines);
  });

  it("needs the operator's name and an existing complaint", async () => {
    const complaint = await complaintThrough([["OVERDUE", "schedule"]]);
    await expectRefusal(
      () => supervise(deps, { complaintId: complaint.complaintId, operator: "  " }),
      OperatorRequestError,
      complaint.complaintId,
    );
    await expect(
      supervise(deps, { complaintId: "CH99999999999999999999", operator: "li.wei" }),
    ).rejects.toThrow(/No complaint/);
  });
});
