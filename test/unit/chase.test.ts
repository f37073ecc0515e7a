/**
 * The deadline chase against the local cloud's DynamoDB (conditional writes and transactions for real), with
 * "now" chosen by the test: a platform that never answers walks the whole chain; one that answers on day 6 is
 * never chased; paused clocks, new windows and one step per run; the index is queried, never scanned.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { addCalendarDays, addWorkingDays } from "../../shared/calendar/working-days";
import { chaseDeadlines } from "../../shared/chase/chase-deadlines";
import { expiryStep } from "../../shared/chase/expiry";
import { scheduledTime } from "../../shared/chase/scheduled-time";
import { type ComplaintRecord, DEADLINE_SHARD_KEYS } from "../../shared/complaint/record";
import { pauseForConsumer, resumeClock } from "../../shared/lifecycle/clock";
import type { TransitionRequest } from "../../shared/lifecycle/state-machine";
import { ComplaintStore } from "../../shared/store/complaint-store";
import { GSI_BY_DEADLINE } from "../../shared/store/indexes";
import type { LocalDynamo } from "../helpers/dynalite";
import { complaintRecord, FIXTURE_NOW, validSubmission } from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";

/** A Shanghai wall-clock time as a Date. */
const shanghai = (localDateTime: string) => new Date(`${localDateTime}+08:00`);
const endOfShanghaiDay = (localDate: string) => shanghai(`${localDate}T23:59:59.999`).toISOString();

let dynamo: LocalDynamo;
let store: ComplaintStore;
let ids = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = new ComplaintStore(dynamo.doc, await dynamo.createComplaintTable());
});

const run = (now: Date, remainingMs = 60_000) =>
  chaseDeadlines({ store, remainingMs: () => remainingMs }, now);

/** A complaint delivered at `deliveredAt` (FIXTURE_NOW: Monday 2 March 2026, 10:00 in Shanghai). */
async function delivered(options: { deliveredAt?: Date; urgent?: boolean } = {}): Promise<ComplaintRecord> {
  const at = options.deliveredAt ?? FIXTURE_NOW;
  const submission = options.urgent
    ? validSubmission({ category: { nature: "personal_injury", domain: "home_appliances" } })
    : validSubmission();
  const complaintId = `CH${String(++ids).padStart(20, "0")}`;
  const record = complaintRecord({ complaintId, submission, now: at });
  await store.create(record);
  await step(complaintId, { to: "QUEUED", actor: "hub", at });
  return step(complaintId, { to: "DELIVERED", actor: "hub", at, reason: "delivered_to_platform" });
}

async function step(
  complaintId: string,
  request: TransitionRequest,
  effects?: Parameters<ComplaintStore["applySteps"]>[2],
) {
  const current = (await store.get(complaintId)) as ComplaintRecord;
  await store.applySteps(current, [request], effects);
  return (await store.get(complaintId)) as ComplaintRecord;
}

const read = async (complaintId: string) => (await store.get(complaintId)) as ComplaintRecord;
const statuses = (record: ComplaintRecord) => record.timeline.map((entry) => entry.to);

describe("a platform that never answers", () => {
  it("walks the whole chain: OVERDUE → SUPERVISED → ASSOCIATION_MEDIATION → CLOSED, each on its own deadline", async () => {
    const complaint = await delivered();
    // 7 working days from Monday 2 March: 3, 4, 5, 6, 9, 10, 11.
    expect(complaint.deadlines.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-11"));
    expect(complaint.gsi2sk).toBe(complaint.deadlines.platformResponseDueBy);

    expect((await run(shanghai("2026-03-11T23:00"))).moved).toEqual({});
    expect((await run(shanghai("2026-03-12T09:00"))).moved).toEqual({ OVERDUE: 1 });
    let now = await read(complaint.complaintId);
    expect(now.status).toBe("OVERDUE");
    // One working day's grace before supervision.
    expect(now.deadlines.supervisionStartsBy).toBe(endOfShanghaiDay("2026-03-13"));
    expect(now.gsi2sk).toBe(now.deadlines.supervisionStartsBy);

    expect((await run(shanghai("2026-03-13T18:00"))).moved).toEqual({});
    expect((await run(shanghai("2026-03-16T09:00"))).moved).toEqual({ SUPERVISED: 1 });
    now = await read(complaint.complaintId);
    // Three more working days from Monday 16 March.
    expect(now.deadlines.supervisionDueBy).toBe(endOfShanghaiDay("2026-03-19"));

    expect((await run(shanghai("2026-03-20T09:00"))).moved).toEqual({ ASSOCIATION_MEDIATION: 1 });
    now = await read(complaint.complaintId);
    const mediationDue = addWorkingDays(shanghai("2026-03-20T09:00"), 45).toISOString();
    expect(now.deadlines.mediationDueBy).toBe(mediationDue);
    // 45 working days over Qingming (4-6 April off) and Labour Day 2026 (1-5 May off, Saturday 9 May worked).
    expect(mediationDue).toBe(endOfShanghaiDay("2026-05-27"));

    expect((await run(new Date(Date.parse(mediationDue) - 60_000))).moved).toEqual({});
    expect((await run(new Date(Date.parse(mediationDue) + 1))).moved).toEqual({ CLOSED: 1 });
    now = await read(complaint.complaintId);
    expect(statuses(now)).toEqual([
      "SUBMITTED",
      "ACCEPTED",
      "QUEUED",
      "DELIVERED",
      "OVERDUE",
      "SUPERVISED",
      "ASSOCIATION_MEDIATION",
      "CLOSED",
    ]);
    expect(now.timeline.slice(4).map((e) => [e.actor, e.reason, e.visibility])).toEqual([
      ["schedule", "response_deadline_missed", "consumer"],
      ["schedule", "supervision_opened", "consumer"],
      ["schedule", "supervision_deadline_missed", "consumer"],
      ["schedule", "mediation_time_limit_reached", "consumer"],
    ]);
    // Closed: out of the deadline index, and later runs leave it alone.
    expect(now).not.toHaveProperty("gsi2pk");
    expect((await run(shanghai("2027-06-01T09:00"))).due).toBe(0);
  });

  it("takes one step per run however late the run is, starting the next deadline from the run", async () => {
    const complaint = await delivered();
    const late = shanghai("2026-06-01T10:00");
    expect((await run(late)).moved).toEqual({ OVERDUE: 1 });
    const now = await read(complaint.complaintId);
    expect(now.deadlines.supervisionStartsBy).toBe(endOfShanghaiDay("2026-06-02"));
    expect((await run(late)).moved).toEqual({});
  });

  it("chases an urgent complaint after 2 working days", async () => {
    const complaint = await delivered({ urgent: true });
    expect(complaint.deadlines.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-04"));
    expect((await run(shanghai("2026-03-05T00:01"))).moved).toEqual({ OVERDUE: 1 });
  });
});

describe("a platform that answers", () => {
  it("on day 6 is never chased; the unanswered resolution closes after 7 days as resolved", async () => {
    const complaint = await delivered();
    const day6 = shanghai("2026-03-10T15:00");
    expect((await run(day6)).moved).toEqual({});
    const answered = await step(complaint.complaintId, {
      to: "AWAITING_CONSUMER_CONFIRMATION",
      actor: "platform",
      at: day6,
      reason: "platform_resolved",
    });
    expect(answered.deadlines.consumerConfirmationDueBy).toBe(endOfShanghaiDay("2026-03-17"));
    expect(answered.gsi2sk).toBe(answered.deadlines.consumerConfirmationDueBy);

    // Past the response deadline and the supervision dates: nothing happens to an answered complaint.
    for (const day of ["2026-03-12", "2026-03-16", "2026-03-17"]) {
      expect((await run(shanghai(`${day}T12:00`))).moved).toEqual({});
    }
    expect((await run(shanghai("2026-03-18T00:00"))).moved).toEqual({ CLOSED: 1 });
    const closed = await read(complaint.complaintId);
    expect(closed.timeline.at(-1)).toMatchObject({
      actor: "schedule",
      from: "AWAITING_CONSUMER_CONFIRMATION",
      to: "CLOSED",
      reason: "resolved_without_feedback",
    });
    expect(statuses(closed)).not.toContain("OVERDUE");
  });

  it("after being supervised, ends the chase with its answer", async () => {
    const complaint = await delivered();
    await run(shanghai("2026-03-12T09:00"));
    await run(shanghai("2026-03-16T09:00"));
    expect((await read(complaint.complaintId)).status).toBe("SUPERVISED");
    await step(complaint.complaintId, {
      to: "AWAITING_CONSUMER_CONFIRMATION",
      actor: "platform",
      at: shanghai("2026-03-17T09:00"),
    });
    expect((await run(shanghai("2026-03-20T09:00"))).moved).toEqual({});
    expect((await read(complaint.complaintId)).status).toBe("AWAITING_CONSUMER_CONFIRMATION");
  });

  it("gets a new response window when the consumer rejects its resolution, and is chased on that", async () => {
    const complaint = await delivered();
    await step(complaint.complaintId, {
      to: "AWAITING_CONSUMER_CONFIRMATION",
      actor: "platform",
      at: shanghai("2026-03-05T10:00"),
    });
    const rejected = await step(complaint.complaintId, {
      to: "IN_PROGRESS",
      actor: "consumer",
      at: shanghai("2026-03-06T10:00"),
      reason: "resolution_rejected",
    });
    // 7 working days from Friday 6 March: 9 .. 13, 16, 17.
    expect(rejected.deadlines.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-17"));
    expect(rejected).not.toHaveProperty("deadlines.consumerConfirmationDueBy");
    expect((await run(shanghai("2026-03-12T09:00"))).moved).toEqual({});
    expect((await run(shanghai("2026-03-18T09:00"))).moved).toEqual({ OVERDUE: 1 });
  });
});

describe("paused clocks", () => {
  it("are not chased while the platform waits for the consumer, and resume with the days waited added", async () => {
    const complaint = await delivered();
    const askedAt = shanghai("2026-03-04T10:00");
    const paused = await step(
      complaint.complaintId,
      { to: "IN_PROGRESS", actor: "platform", at: askedAt, reason: "platform_requested_information" },
      pauseForConsumer(askedAt),
    );
    expect(paused).not.toHaveProperty("gsi2pk");
    expect((await run(shanghai("2026-03-20T09:00"))).moved).toEqual({});

    const answeredAt = shanghai("2026-03-09T10:00");
    const resumed = resumeClock(paused, answeredAt);
    const after = await step(
      complaint.complaintId,
      { to: "IN_PROGRESS", actor: "consumer", at: answeredAt },
      { set: resumed.set, remove: resumed.remove },
    );
    // Waited 5, 6, 9 March: due 11 March + 3 working days.
    expect(after.deadlines.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-16"));
    expect(after.gsi2sk).toBe(after.deadlines.platformResponseDueBy);
    expect(after).not.toHaveProperty("awaitingConsumerInfo");
  });

  it("end with the platform's answer: a resolution's confirmation clock runs even if the consumer never wrote", async () => {
    const complaint = await delivered();
    const askedAt = shanghai("2026-03-04T10:00");
    await step(
      complaint.complaintId,
      { to: "IN_PROGRESS", actor: "platform", at: askedAt },
      pauseForConsumer(askedAt),
    );
    const answered = await step(complaint.complaintId, {
      to: "AWAITING_CONSUMER_CONFIRMATION",
      actor: "platform",
      at: shanghai("2026-03-05T10:00"),
    });
    expect(answered).not.toHaveProperty("awaitingConsumerInfo");
    expect(answered).not.toHaveProperty("clockPausedAt");
    expect(answered.gsi2sk).toBe(answered.deadlines.consumerConfirmationDueBy);
  });
});

describe("running the chase", () => {
  it("queries the deadline index shard by shard and never scans", async () => {
    await delivered();
    await delivered();
    const send = vi.spyOn(dynamo.doc, "send");
    try {
      await run(shanghai("2026-03-12T09:00"));
      const commands = send.mock.calls.map(([command]) => command);
      expect(commands.some((command) => command instanceof ScanCommand)).toBe(false);
      const queries = commands
        .filter((command) => command instanceof QueryCommand)
        .map((command) => (command as QueryCommand).input);
      expect(queries.map((query) => query.IndexName)).toEqual(DEADLINE_SHARD_KEYS.map(() => GSI_BY_DEADLINE));
      expect(queries.map((query) => query.ExpressionAttributeValues?.[":shard"])).toEqual(
        DEADLINE_SHARD_KEYS,
      );
    } finally {
      send.mockRestore();
    }
  });

  it("pages through many due complaints", async () => {
    const complaints = await Promise.all(Array.from({ length: 12 }, () => delivered()));
    const result = await chaseDeadlines(
      { store, remainingMs: () => 60_000, pageSize: 2, concurrency: 3 },
      shanghai("2026-03-12T09:00"),
    );
    expect(result).toMatchObject({ due: 12, moved: { OVERDUE: 12 }, failed: 0, complete: true });
    for (const complaint of complaints) expect((await read(complaint.complaintId)).status).toBe("OVERDUE");
  });

  it("moves a complaint once when two runs overlap", async () => {
    const complaint = await delivered();
    const now = shanghai("2026-03-12T09:00");
    const results = await Promise.all([run(now), run(now)]);
    expect(results.reduce((sum, result) => sum + (result.moved.OVERDUE ?? 0), 0)).toBe(1);
    expect(statuses(await read(complaint.complaintId)).filter((s) => s === "OVERDUE")).toHaveLength(1);
  });

  it("stops before the function's time runs out and leaves the rest for the next run", async () => {
    const complaint = await delivered();
    const result = await run(shanghai("2026-03-12T09:00"), 5_000);
    expect(result).toMatchObject({ due: 0, complete: false });
    expect((await read(complaint.complaintId)).status).toBe("DELIVERED");
  });

  it("reports a complaint it could not move and goes on with the others", async () => {
    const [first, second] = [await delivered(), await delivered()];
    const failures: string[] = [];
    const applySteps = vi.spyOn(store, "applySteps").mockImplementationOnce(async () => {
      throw new Error("throttled");
    });
    try {
      const result = await chaseDeadlines(
        { store, remainingMs: () => 60_000, concurrency: 1, onFailure: (id) => failures.push(id) },
        shanghai("2026-03-12T09:00"),
      );
      expect(result).toMatchObject({ due: 2, failed: 1, moved: { OVERDUE: 1 } });
    } finally {
      applySteps.mockRestore();
    }
    expect(failures).toHaveLength(1);
    const statusesNow = [await read(first.complaintId), await read(second.complaintId)].map((c) => c.status);
    expect(statusesNow.sort()).toEqual(["DELIVERED", "OVERDUE"]);
    // The next run picks up the one that failed.
    expect((await run(shanghai("2026-03-12T09:05"))).moved).toEqual({ OVERDUE: 1 });
  });
});

describe("expiryStep", () => {
  it("is nothing before the due time and the schedule's step at or after it", async () => {
    const complaint = await delivered();
    const due = new Date(complaint.deadlines.platformResponseDueBy);
    expect(expiryStep(complaint, new Date(due.getTime() - 1))).toBeUndefined();
    expect(expiryStep(complaint, due)).toMatchObject({ to: "OVERDUE", actor: "schedule" });
  });

  it("is nothing for a complaint whose due date is only estimated (not delivered yet)", () => {
    const queued = complaintRecord();
    expect(expiryStep(queued, new Date("2030-01-01T00:00:00Z"))).toBeUndefined();
  });

  it("closes an unanswered resolution exactly 7 calendar days on", async () => {
    const complaint = await delivered();
    const answered = await step(complaint.complaintId, {
      to: "AWAITING_CONSUMER_CONFIRMATION",
      actor: "platform",
      at: shanghai("2026-03-13T22:00"),
    });
    expect(answered.deadlines.consumerConfirmationDueBy).toBe(
      addCalendarDays(shanghai("2026-03-13T22:00"), 7).toISOString(),
    );
    expect(answered.deadlines.consumerConfirmationDueBy).toBe(endOfShanghaiDay("2026-03-20"));
  });
});

describe("scheduledTime", () => {
  it("takes the Scheduled Event's time as now, and the clock only when the event has none", () => {
    expect(scheduledTime({ time: "2026-03-12T01:00:00Z" }).toISOString()).toBe("2026-03-12T01:00:00.000Z");
    const fallback = new Date("2026-01-01T00:00:00Z");
    expect(scheduledTime({}, () => fallback)).toBe(fallback);
    expect(scheduledTime({ time: "yesterday" }, () => fallback)).toBe(fallback);
  });
});
