/**
 * Platform reports (shared/platform/process-report.ts) against the local cloud's DynamoDB, which has the
 * transactions the report and its change are written in: every report type's transition from every state it
 * is accepted in, every refusal (nothing changes), tenancy, idempotent eventIds and the immediate re-route.
 */
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addWorkingDays } from "../../shared/calendar/working-days";
import {
  type ComplaintRecord,
  complaintPk,
  deadlineShard,
  type ReportRecord,
} from "../../shared/complaint/record";
import { complaintNoticeSchema, DETAIL_TYPES } from "../../shared/events/contract";
import { eventsForChange } from "../../shared/events/stream-events";
import { ProblemError } from "../../shared/http/problem";
import type { Actor, ComplaintStatus } from "../../shared/lifecycle/states";
import { processReport, type ReportDependencies } from "../../shared/platform/process-report";
import { REPORT_TYPES, type ReportType } from "../../shared/platform/report";
import { ComplaintStore } from "../../shared/store/complaint-store";
import type { LocalDynamo } from "../helpers/dynalite";
import { advanced, complaintRecord, FIXTURE_NOW, validSubmission } from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";

let dynamo: LocalDynamo;
let tableName: string;
let store: ComplaintStore;
let ids = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  tableName = await dynamo.createComplaintTable();
  store = new ComplaintStore(dynamo.doc, tableName);
});
afterAll(async () => {
  await dynamo?.stop();
});

const REPORT_AT = new Date(FIXTURE_NOW.getTime() + 3 * 86_400_000);
const deps: ReportDependencies = {
  get store() {
    return store;
  },
  now: () => REPORT_AT,
  isMember: (id) => ["suning", "jd", "vip", "tmall"].includes(id),
};

const nextId = () => `CHP${String(++ids).padStart(19, "0")}`;
const minutes = (n: number) => new Date(FIXTURE_NOW.getTime() + n * 60_000);

/** How a complaint gets to each status (after ACCEPTED), the way the hub, platform, schedule or consumer would. */
const PATHS: Record<Exclude<ComplaintStatus, "SUBMITTED">, [ComplaintStatus, Actor][]> = {
  ACCEPTED: [],
  QUEUED: [["QUEUED", "hub"]],
  DELIVERED: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
  ],
  ACKNOWLEDGED: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["ACKNOWLEDGED", "platform"],
  ],
  IN_PROGRESS: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["IN_PROGRESS", "platform"],
  ],
  AWAITING_CONSUMER_CONFIRMATION: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["AWAITING_CONSUMER_CONFIRMATION", "platform"],
  ],
  OVERDUE: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["OVERDUE", "schedule"],
  ],
  SUPERVISED: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["OVERDUE", "schedule"],
    ["SUPERVISED", "schedule"],
  ],
  ASSOCIATION_MEDIATION: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["OVERDUE", "schedule"],
    ["SUPERVISED", "schedule"],
    ["ASSOCIATION_MEDIATION", "schedule"],
  ],
  REROUTE_REVIEW: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["REROUTE_REVIEW", "operator"],
  ],
  NOT_ACCEPTED: [
    ["QUEUED", "hub"],
    ["REROUTE_REVIEW", "operator"],
    ["NOT_ACCEPTED", "operator"],
  ],
  CLOSED: [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
    ["AWAITING_CONSUMER_CONFIRMATION", "platform"],
    ["CLOSED", "consumer"],
  ],
  WITHDRAWN: [
    ["QUEUED", "hub"],
    ["WITHDRAWN", "consumer"],
  ],
};
type BuildableStatus = keyof typeof PATHS;
const ALL_STATUSES = Object.keys(PATHS) as BuildableStatus[];

/** A stored complaint at `status`, routed to `platform` (delivered ones with the push delivery's bookkeeping). */
async function complaintAt(status: BuildableStatus, platform = "suning"): Promise<ComplaintRecord> {
  let record = complaintRecord({
    complaintId: nextId(),
    submission: validSubmission({ platform }),
  });
  for (const [i, [to, actor]] of PATHS[status].entries()) {
    record = advanced(record, { to, actor, at: minutes(i + 1) });
    if (to === "DELIVERED") {
      record.delivery = {
        state: "delivered",
        attempts: 1,
        caseRef: "SN-1",
        deliveredAt: minutes(i + 1).toISOString(),
      };
      record.gsi2pk = deadlineShard(record.complaintId);
      record.gsi2sk = record.deadlines.platformResponseDueBy;
    }
  }
  await store.create(record);
  return record;
}

async function stored(complaintId: string): Promise<ComplaintRecord> {
  return (await store.get(complaintId)) as ComplaintRecord;
}

async function reportItems(complaintId: string): Promise<ReportRecord[]> {
  const { Items } = await dynamo.doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :report)",
      ExpressionAttributeValues: { ":pk": complaintPk(complaintId), ":report": "REPORT#" },
    }),
  );
  return (Items ?? []) as ReportRecord[];
}

let events = 0;
function report(type: ReportType, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: `evt-${++events}`,
    type,
    occurredAt: "2026-03-05T09:30:00+08:00",
    ...(type === "RESOLVED" ? { relief: { type: "refund", amountFen: 29_900 } } : {}),
    ...(type === "REDIRECT" ? { redirectTo: "pinduoduo" } : {}),
    ...extra,
  };
}

const send = (complaint: ComplaintRecord, body: Record<string, unknown>, platform = complaint.platform) =>
  processReport(deps, platform, complaint.complaintId, JSON.stringify(body));

async function refusal(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

/** Where each type is accepted; everywhere else it is refused with 409 (and REDIRECT here names a non-member). */
const ACCEPTED_IN: Record<ReportType, BuildableStatus[]> = {
  ACK: ["QUEUED", "DELIVERED", "OVERDUE", "SUPERVISED"],
  CONTACTED_CONSUMER: [
    "DELIVERED",
    "ACKNOWLEDGED",
    "IN_PROGRESS",
    "AWAITING_CONSUMER_CONFIRMATION",
    "OVERDUE",
    "SUPERVISED",
  ],
  INFO_REQUESTED: [
    "DELIVERED",
    "ACKNOWLEDGED",
    "IN_PROGRESS",
    "AWAITING_CONSUMER_CONFIRMATION",
    "OVERDUE",
    "SUPERVISED",
  ],
  REFUND_APPROVED: [
    "DELIVERED",
    "ACKNOWLEDGED",
    "IN_PROGRESS",
    "AWAITING_CONSUMER_CONFIRMATION",
    "OVERDUE",
    "SUPERVISED",
  ],
  PROPOSAL: ["DELIVERED", "ACKNOWLEDGED", "IN_PROGRESS", "OVERDUE", "SUPERVISED"],
  RESOLVED: ["DELIVERED", "ACKNOWLEDGED", "IN_PROGRESS", "OVERDUE", "SUPERVISED"],
  REFUND_REJECTED: ["DELIVERED", "ACKNOWLEDGED", "IN_PROGRESS", "OVERDUE", "SUPERVISED"],
  INCORRECT_PLATFORM: ["QUEUED", "DELIVERED", "ACKNOWLEDGED", "IN_PROGRESS", "OVERDUE", "SUPERVISED"],
  REDIRECT: ["QUEUED", "DELIVERED", "ACKNOWLEDGED", "IN_PROGRESS", "OVERDUE", "SUPERVISED"],
};
/** Being chased ends only with an answer: other reports keep the chased status (recorded as progress). */
const CHASED: readonly ComplaintStatus[] = ["OVERDUE", "SUPERVISED"];
const ANSWERS: ReadonlySet<ComplaintStatus> = new Set(["AWAITING_CONSUMER_CONFIRMATION", "REROUTE_REVIEW"]);
const targetOf = (type: ReportType, from: ComplaintStatus): ComplaintStatus =>
  CHASED.includes(from) && !ANSWERS.has(TARGET[type]) ? from : TARGET[type];

const TARGET: Record<ReportType, ComplaintStatus> = {
  ACK: "ACKNOWLEDGED",
  CONTACTED_CONSUMER: "IN_PROGRESS",
  INFO_REQUESTED: "IN_PROGRESS",
  REFUND_APPROVED: "IN_PROGRESS",
  PROPOSAL: "AWAITING_CONSUMER_CONFIRMATION",
  RESOLVED: "AWAITING_CONSUMER_CONFIRMATION",
  REFUND_REJECTED: "AWAITING_CONSUMER_CONFIRMATION",
  INCORRECT_PLATFORM: "REROUTE_REVIEW",
  REDIRECT: "REROUTE_REVIEW",
};

describe("every report type, from every state", () => {
  const accepted = REPORT_TYPES.flatMap((type) => ACCEPTED_IN[type].map((status) => [type, status] as const));
  const refused = REPORT_TYPES.flatMap((type) =>
    ALL_STATUSES.filter((status) => !ACCEPTED_IN[type].includes(status)).map(
      (status) => [type, status] as const,
    ),
  );

  it.each(accepted)("%s is accepted in %s", async (type, status) => {
    const complaint = await complaintAt(status);
    const outcome = await send(complaint, report(type, { note: "Called the consumer" }));
    const target = targetOf(type, status);
    expect(outcome).toMatchObject({ type, status: target, replayed: false });
    const after = await stored(complaint.complaintId);
    expect(after.status).toBe(target);
    const appended = after.timeline.slice(complaint.timeline.length);
    expect(appended.at(-1)).toMatchObject({
      actor: "platform",
      to: target,
      at: REPORT_AT.toISOString(),
      note: "Called the consumer",
    });
    expect(appended.every((entry) => entry.actor === "platform")).toBe(true);
    expect(after.version).toBe(complaint.version + appended.length);
    expect(await reportItems(complaint.complaintId)).toHaveLength(1);
  });

  it.each(refused)("%s is refused in %s with 409, and nothing changes", async (type, status) => {
    const complaint = await complaintAt(status);
    const error = await refusal(send(complaint, report(type)));
    expect(error.kind).toBe("illegalTransition");
    expect(error.detail).toContain(status);
    expect(await stored(complaint.complaintId)).toEqual(complaint);
    expect(await reportItems(complaint.complaintId)).toEqual([]);
  });
});

describe("what each report records", () => {
  it("ACK of a QUEUED complaint (pull platform) is delivery and acknowledgement, with the clock from now", async () => {
    const complaint = await complaintAt("QUEUED", "jd");
    const outcome = await send(complaint, report("ACK", { caseRef: "JD-CASE-7" }));
    expect(outcome.status).toBe("ACKNOWLEDGED");
    const after = await stored(complaint.complaintId);
    expect(
      after.timeline
        .slice(-2)
        .map(({ from, to, actor, reason, visibility }) => ({ from, to, actor, reason, visibility })),
    ).toEqual([
      {
        from: "QUEUED",
        to: "DELIVERED",
        actor: "platform",
        reason: "received_by_platform",
        visibility: "consumer",
      },
      {
        from: "DELIVERED",
        to: "ACKNOWLEDGED",
        actor: "platform",
        reason: "acknowledged_by_platform",
        visibility: "consumer",
      },
    ]);
    expect(after.delivery).toEqual({
      state: "delivered",
      attempts: 0,
      caseRef: "JD-CASE-7",
      deliveredAt: REPORT_AT.toISOString(),
    });
    // The same deadline a push delivery at that moment would start (deliver-notice's markDelivered).
    expect(after.deadlines).toEqual({
      platformResponseDueBy: addWorkingDays(REPORT_AT, 7).toISOString(),
      responseWorkingDays: 7,
      basis: "from_delivery",
    });
    expect(after.gsi2pk).toBe(deadlineShard(complaint.complaintId));
    expect(after.gsi2sk).toBe(after.deadlines.platformResponseDueBy);
    expect(after.gsi1sk).toBe(`ACKNOWLEDGED#${REPORT_AT.toISOString()}`);
  });

  it("announces both steps of a pull ACK as status changes", async () => {
    const complaint = await complaintAt("QUEUED", "jd");
    await send(complaint, report("ACK"));
    const after = await stored(complaint.complaintId);
    const changes = eventsForChange(complaint, after).map((e) => e.detail as { from: string; to: string });
    expect(changes.map((d) => `${d.from}→${d.to}`)).toEqual(["QUEUED→DELIVERED", "DELIVERED→ACKNOWLEDGED"]);
  });

  it("ACK of a delivered complaint keeps the hub's case reference", async () => {
    const complaint = await complaintAt("DELIVERED");
    await send(complaint, report("ACK", { caseRef: "OTHER" }));
    const after = await stored(complaint.complaintId);
    expect(after.status).toBe("ACKNOWLEDGED");
    expect(after.delivery).toEqual(complaint.delivery);
    expect(after.deadlines).toEqual(complaint.deadlines);
  });

  it("INFO_REQUESTED marks that the hub waits for the consumer, and pauses the clock once", async () => {
    const complaint = await complaintAt("ACKNOWLEDGED");
    await send(complaint, report("INFO_REQUESTED", { note: "Please send a photo of the serial number" }));
    const first = await stored(complaint.complaintId);
    expect(first).toMatchObject({
      status: "IN_PROGRESS",
      awaitingConsumerInfo: true,
      clockPausedAt: REPORT_AT.toISOString(),
    });
    // While it waits for the consumer the complaint is out of the deadline index: no chase meanwhile.
    expect(first.gsi2pk).toBeUndefined();
    expect(first.gsi2sk).toBeUndefined();
    expect(first.timeline.at(-1)).toMatchObject({
      reason: "platform_requested_information",
      note: "Please send a photo of the serial number",
      visibility: "consumer",
    });
    // Asked again while already waiting: still IN_PROGRESS (a progress entry), the pause keeps its start.
    const later = { ...deps, now: () => new Date(REPORT_AT.getTime() + 3_600_000) };
    await processReport(later, "suning", complaint.complaintId, JSON.stringify(report("INFO_REQUESTED")));
    const second = await stored(complaint.complaintId);
    expect(second.status).toBe("IN_PROGRESS");
    expect(second.clockPausedAt).toBe(REPORT_AT.toISOString());
    expect(second.timeline.at(-1)).toMatchObject({ from: "IN_PROGRESS", to: "IN_PROGRESS" });
    expect(second.gsi1sk).toBe(first.gsi1sk);
    expect(eventsForChange(first, second)).toEqual([]);
  });

  it("RESOLVED stores the relief for the consumer to accept or reject", async () => {
    const complaint = await complaintAt("IN_PROGRESS");
    await send(complaint, report("RESOLVED", { relief: { type: "return_refund", amountFen: 29_900 } }));
    expect(await stored(complaint.complaintId)).toMatchObject({
      status: "AWAITING_CONSUMER_CONFIRMATION",
      relief: { type: "return_refund", amountFen: 29_900 },
    });
  });

  it.each<ReportType>(["PROPOSAL", "REFUND_REJECTED", "CONTACTED_CONSUMER", "REFUND_APPROVED"])(
    "%s's entry is for the consumer to see",
    async (type) => {
      const complaint = await complaintAt("ACKNOWLEDGED");
      await send(complaint, report(type, { note: "For the consumer" }));
      expect((await stored(complaint.complaintId)).timeline.at(-1)?.visibility).toBe("consumer");
    },
  );

  it("INCORRECT_PLATFORM keeps the platform's note off the consumer's timeline and stops the platform clock", async () => {
    const complaint = await complaintAt("ACKNOWLEDGED");
    await send(complaint, report("INCORRECT_PLATFORM", { note: "Seller moved to another platform" }));
    const after = await stored(complaint.complaintId);
    expect(after.status).toBe("REROUTE_REVIEW");
    expect(after.timeline.at(-1)).toMatchObject({
      visibility: "platform",
      note: "Seller moved to another platform",
    });
    expect(after.gsi2pk).toBeUndefined();
    expect(after.gsi2sk).toBeUndefined();
    expect(after.platform).toBe("suning");
  });

  it("records a case reference given later when the complaint had none", async () => {
    const complaint = await complaintAt("QUEUED", "jd");
    await send(complaint, report("ACK"));
    const acked = await stored(complaint.complaintId);
    expect(acked.delivery.caseRef).toBeUndefined();
    await send(acked, report("CONTACTED_CONSUMER", { caseRef: "JD-LATE" }));
    expect((await stored(complaint.complaintId)).delivery.caseRef).toBe("JD-LATE");
  });
});

describe("REDIRECT", () => {
  it("to a member platform re-routes at once: new platform, route, notice and delivery", async () => {
    const complaint = await complaintAt("ACKNOWLEDGED");
    const outcome = await send(
      complaint,
      report("REDIRECT", { redirectTo: "jd", note: "JD self-operated item" }),
    );
    expect(outcome).toMatchObject({ status: "QUEUED", reroutedTo: "jd" });
    const after = await stored(complaint.complaintId);
    expect(after).toMatchObject({
      status: "QUEUED",
      platform: "jd",
      member: true,
      routing: { noticeId: `${complaint.complaintId}-r2`, routeSeq: 2 },
      delivery: { state: "pending", attempts: 0 },
      gsi1pk: "P#jd",
      gsi1sk: `QUEUED#${REPORT_AT.toISOString()}`,
    });
    expect(after.gsi2pk).toBeUndefined();
    expect(after.deadlines.responseWorkingDays).toBe(7);
    expect(
      after.timeline.slice(-2).map(({ from, to, actor, visibility }) => ({ from, to, actor, visibility })),
    ).toEqual([
      { from: "ACKNOWLEDGED", to: "REROUTE_REVIEW", actor: "platform", visibility: "platform" },
      { from: "REROUTE_REVIEW", to: "QUEUED", actor: "hub", visibility: "consumer" },
    ]);
  });

  it("puts a Complaint Rerouted event with the new route's notice, after both status changes", async () => {
    const complaint = await complaintAt("DELIVERED");
    await send(complaint, report("REDIRECT", { redirectTo: "vip" }));
    const after = await stored(complaint.complaintId);
    const published = eventsForChange(complaint, after);
    expect(published.map((e) => e.detailType)).toEqual([
      DETAIL_TYPES.statusChanged,
      DETAIL_TYPES.statusChanged,
      DETAIL_TYPES.rerouted,
    ]);
    expect(published.map((e) => (e.detail as { platform: string }).platform)).toEqual([
      "suning",
      "vip",
      "vip",
    ]);
    const notice = complaintNoticeSchema.parse(published[2]?.detail);
    expect(notice).toMatchObject({ platform: "vip", noticeId: `${complaint.complaintId}-r2` });
  });

  it("to a platform that is not a member waits in REROUTE_REVIEW for an operator", async () => {
    const complaint = await complaintAt("IN_PROGRESS");
    const outcome = await send(complaint, report("REDIRECT", { redirectTo: "pinduoduo" }));
    expect(outcome.status).toBe("REROUTE_REVIEW");
    expect(outcome.reroutedTo).toBeUndefined();
    const after = await stored(complaint.complaintId);
    expect(after).toMatchObject({ status: "REROUTE_REVIEW", platform: "suning", routing: complaint.routing });
    expect(eventsForChange(complaint, after).map((e) => e.detailType)).toEqual([DETAIL_TYPES.statusChanged]);
  });

  it("to the platform itself is a bad request, and nothing changes", async () => {
    const complaint = await complaintAt("IN_PROGRESS");
    const error = await refusal(send(complaint, report("REDIRECT", { redirectTo: "suning" })));
    expect(error.kind).toBe("validation");
    expect(error.errors?.[0]?.pointer).toBe("/redirectTo");
    expect(await stored(complaint.complaintId)).toEqual(complaint);
  });

  it("repeated by the platform that sent it gets its outcome, though the complaint is no longer its own", async () => {
    const complaint = await complaintAt("ACKNOWLEDGED");
    const body = report("REDIRECT", { redirectTo: "jd" });
    const first = await send(complaint, body);
    const again = await send(complaint, body, "suning");
    expect(again).toEqual({ ...first, replayed: true });
    // Any other report from it now is refused: the complaint is jd's.
    expect((await refusal(send(complaint, report("CONTACTED_CONSUMER"), "suning"))).kind).toBe("forbidden");
  });
});

describe("tenancy", () => {
  it("refuses a report on another platform's complaint with 403, and nothing changes", async () => {
    const complaint = await complaintAt("DELIVERED", "suning");
    const error = await refusal(send(complaint, report("RESOLVED"), "vip"));
    expect(error.kind).toBe("forbidden");
    expect(await stored(complaint.complaintId)).toEqual(complaint);
    expect(await reportItems(complaint.complaintId)).toEqual([]);
  });

  it("answers an unknown complaint, or a malformed id, with 404", async () => {
    for (const id of ["CH00000000000000000000", "not-an-id"]) {
      const error = await refusal(processReport(deps, "suning", id, JSON.stringify(report("ACK"))));
      expect(error.kind).toBe("notFound");
    }
  });
});

describe("idempotency by eventId", () => {
  it("answers the same report again with the same outcome and changes nothing", async () => {
    const complaint = await complaintAt("DELIVERED");
    const body = report("ACK");
    const first = await send(complaint, body);
    const afterFirst = await stored(complaint.complaintId);
    const again = await processReport(
      { ...deps, now: () => new Date(REPORT_AT.getTime() + 60_000) },
      "suning",
      complaint.complaintId,
      JSON.stringify(body),
    );
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await stored(complaint.complaintId)).toEqual(afterFirst);
    expect(await reportItems(complaint.complaintId)).toHaveLength(1);
  });

  it("answers a repeat the same even after the complaint moved on (it would now be refused)", async () => {
    const complaint = await complaintAt("DELIVERED");
    const ack = report("ACK");
    await send(complaint, ack);
    await send(complaint, report("CONTACTED_CONSUMER"));
    expect(await send(complaint, ack)).toMatchObject({ status: "ACKNOWLEDGED", replayed: true });
    expect((await stored(complaint.complaintId)).status).toBe("IN_PROGRESS");
  });

  it("refuses the same eventId with another report (409 event-id-conflict)", async () => {
    const complaint = await complaintAt("DELIVERED");
    const ack = report("ACK");
    await send(complaint, ack);
    const error = await refusal(send(complaint, { ...ack, note: "changed" }));
    expect(error.kind).toBe("eventIdConflict");
  });

  it("keeps eventIds per platform: another platform's equal eventId is its own report", async () => {
    const complaint = await complaintAt("DELIVERED", "suning");
    const body = report("ACK");
    await send(complaint, body);
    expect((await refusal(send(complaint, body, "vip"))).kind).toBe("forbidden");
  });

  it("processes the same report sent twice at once exactly once", async () => {
    const complaint = await complaintAt("DELIVERED");
    const body = report("PROPOSAL", { note: "A replacement pair" });
    const outcomes = await Promise.all([send(complaint, body), send(complaint, body), send(complaint, body)]);
    expect(outcomes.map((o) => o.status)).toEqual(Array(3).fill("AWAITING_CONSUMER_CONFIRMATION"));
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    const after = await stored(complaint.complaintId);
    expect(after.version).toBe(complaint.version + 1);
    expect(after.timeline).toHaveLength(complaint.timeline.length + 1);
  });

  it("lets exactly one of two different reports from the same state win; the other is decided again", async () => {
    const complaint = await complaintAt("DELIVERED");
    const [a, b] = await Promise.allSettled([
      send(complaint, report("RESOLVED")),
      send(complaint, report("ACK")),
    ]);
    const after = await stored(complaint.complaintId);
    // Whichever came second was decided on the fresh state: ACK after RESOLVED is refused, RESOLVED after ACK not.
    const statuses = [a, b].map((r) =>
      r.status === "fulfilled" ? r.value.status : (r.reason as ProblemError).kind,
    );
    expect(after.status).toBe("AWAITING_CONSUMER_CONFIRMATION");
    expect(statuses.filter((s) => s === "AWAITING_CONSUMER_CONFIRMATION")).toHaveLength(1);
    expect(["ACKNOWLEDGED", "illegalTransition"]).toContain(statuses[1]);
  });

  it("writes the report item with the outcome beside the complaint", async () => {
    const complaint = await complaintAt("DELIVERED");
    await send(complaint, report("ACK", { eventId: "ack-1", caseRef: "SN-9" }));
    const { Item } = await dynamo.doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: complaintPk(complaint.complaintId), sk: "REPORT#suning#ack-1" },
      }),
    );
    expect(Item).toMatchObject({
      kind: "report",
      platform: "suning",
      eventId: "ack-1",
      type: "ACK",
      status: "ACKNOWLEDGED",
      occurredAt: "2026-03-05T09:30:00+08:00",
      receivedAt: REPORT_AT.toISOString(),
      caseRef: "SN-9",
    });
    expect(Item?.bodyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("the report body", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["RESOLVED without relief", { ...report("RESOLVED"), relief: undefined }, "/relief"],
    ["REDIRECT without redirectTo", { ...report("REDIRECT"), redirectTo: undefined }, "/redirectTo"],
    ["redirectTo on another type", { ...report("ACK"), redirectTo: "jd" }, ""],
    ["an unknown type", { ...report("ACK"), type: "CLOSED" }, "/type"],
    ["an unknown field", { ...report("ACK"), priority: "high" }, ""],
    [
      "a relief with a negative amount",
      report("RESOLVED", { relief: { type: "refund", amountFen: -1 } }),
      "/relief/amountFen",
    ],
    [
      "a relief of an unknown kind",
      report("RESOLVED", { relief: { type: "cash", amountFen: 1 } }),
      "/relief/type",
    ],
    ["occurredAt that is not a time", report("ACK", { occurredAt: "yesterday" }), "/occurredAt"],
    ["an empty eventId", report("ACK", { eventId: "" }), "/eventId"],
    ["a redirectTo that is not a platform id", report("REDIRECT", { redirectTo: "JD.com" }), "/redirectTo"],
  ])("refuses %s with 400 and a pointer", async (_name, body, pointer) => {
    const complaint = await complaintAt("DELIVERED");
    const error = await refusal(send(complaint, JSON.parse(JSON.stringify(body))));
    expect(error.kind).toBe("validation");
    expect(error.errors?.map((e) => e.pointer)).toContain(pointer);
    expect(await stored(complaint.complaintId)).toEqual(complaint);
  });

  it("refuses a body that is not JSON", async () => {
    const complaint = await complaintAt("DELIVERED");
    const error = await refusal(processReport(deps, "suning", complaint.complaintId, "{not json"));
    expect(error.kind).toBe("malformedJson");
  });
});
