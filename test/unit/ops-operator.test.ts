/**
 * What the ops CLI needs from shared/operator against DynamoDB (dynalite): a reveal of personal data recorded in
 * the timeline in any status, closed complaints included; overdue complaints found through the two indexes; and
 * the masking of personal data.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ComplaintRecord, MessageRecord } from "../../shared/complaint/record";
import type { TransitionRequest } from "../../shared/lifecycle/state-machine";
import {
  ComplaintNotFoundError,
  closeComplaint,
  type OperatorDependencies,
  recordReveal,
} from "../../shared/operator/operator-actions";
import { countByPlatform, overdueComplaints } from "../../shared/operator/overdue";
import {
  maskComplaint,
  maskEmail,
  maskMessage,
  maskName,
  maskOrderId,
  maskPhone,
} from "../../shared/operator/personal-data";
import { ComplaintStore } from "../../shared/store/complaint-store";
import type { LocalDynamo } from "../helpers/dynalite";
import {
  complaintRecord,
  FIXTURE_CONSUMER_NAME,
  FIXTURE_CONSUMER_PHONE,
  FIXTURE_NOW,
  validSubmission,
} from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";

let dynamo: LocalDynamo;
let store: ComplaintStore;
let deps: OperatorDependencies;
let ids = 0;
const now = new Date("2026-03-20T02:00:00.000Z");

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  store = new ComplaintStore(dynamo.doc, await dynamo.createComplaintTable());
  deps = { store, now: () => now, isMember: () => true };
});

async function complaintThrough(
  path: [TransitionRequest["to"], TransitionRequest["actor"]][],
  platform = "jd",
) {
  const record = complaintRecord({
    complaintId: `CH${String(++ids).padStart(20, "0")}`,
    submission: validSubmission({ platform }),
  });
  await store.create(record);
  for (const [to, actor] of [["QUEUED", "hub"], ["DELIVERED", "hub"], ...path] as typeof path) {
    const current = (await store.get(record.complaintId)) as ComplaintRecord;
    await store.applySteps(current, [{ to, actor, at: FIXTURE_NOW }]);
  }
  return (await store.get(record.complaintId)) as ComplaintRecord;
}

describe("recordReveal", () => {
  it("adds an internal entry naming the operator, keeping the status", async () => {
    const complaint = await complaintThrough([["ACKNOWLEDGED", "platform"]]);
    const after = await recordReveal(deps, {
      complaintId: complaint.complaintId,
      operator: "li.na",
      note: "call back",
    });
    expect(after.status).toBe("ACKNOWLEDGED");
    expect(after.version).toBe(complaint.version + 1);
    expect(after.timeline.at(-1)).toEqual({
      at: now.toISOString(),
      actor: "operator",
      from: "ACKNOWLEDGED",
      to: "ACKNOWLEDGED",
      reason: "personal_data_revealed",
      by: "li.na",
      visibility: "internal",
      note: "call back",
    });
  });

  it("is recorded on a closed complaint too (where no other entry may be added)", async () => {
    const complaint = await complaintThrough([["OVERDUE", "schedule"]]);
    await closeComplaint(deps, {
      complaintId: complaint.complaintId,
      operator: "li.na",
      reason: "duplicate_complaint",
    });
    const after = await recordReveal(deps, { complaintId: complaint.complaintId, operator: "wang.wei" });
    expect(after.status).toBe("CLOSED");
    expect(after.timeline.at(-1)).toMatchObject({
      reason: "personal_data_revealed",
      by: "wang.wei",
      visibility: "internal",
    });
  });

  it("names nobody's complaint: not found, nothing written", async () => {
    await expect(recordReveal(deps, { complaintId: "CH_NOPE", operator: "li.na" })).rejects.toBeInstanceOf(
      ComplaintNotFoundError,
    );
  });
});

describe("overdueComplaints", () => {
  it("finds chased complaints by status and passed running deadlines by the deadline index, each once", async () => {
    const chased = await complaintThrough([["OVERDUE", "schedule"]], "jd");
    const supervised = await complaintThrough(
      [
        ["OVERDUE", "schedule"],
        ["SUPERVISED", "schedule"],
      ],
      "taobao",
    );
    // Delivered on FIXTURE_NOW: its 7 working days have passed by `now`, the chase has not run yet.
    const late = await complaintThrough([["ACKNOWLEDGED", "platform"]], "jd");
    // Queued, not delivered: no deadline runs for it yet.
    const queued = complaintRecord({
      complaintId: `CH${String(++ids).padStart(20, "0")}`,
      submission: validSubmission({ platform: "tmall" }),
    });
    await store.create(queued);
    await store.applySteps(queued, [{ to: "QUEUED", actor: "hub", at: FIXTURE_NOW }]);
    const found = await overdueComplaints(store, ["jd", "taobao", "tmall"], now);
    expect(found.map((c) => c.complaintId).sort()).toEqual(
      [chased.complaintId, supervised.complaintId, late.complaintId].sort(),
    );
    expect(found.find((c) => c.complaintId === late.complaintId)?.dueBy).toBe(
      late.deadlines.platformResponseDueBy,
    );
    expect(found.some((c) => c.complaintId === queued.complaintId)).toBe(false);
    // Asked at delivery time, only the chased ones are overdue.
    const early = await overdueComplaints(store, ["jd", "taobao", "tmall"], FIXTURE_NOW);
    expect(early.map((c) => c.complaintId).sort()).toEqual(
      [chased.complaintId, supervised.complaintId].sort(),
    );
    expect(countByPlatform(found, ["jd", "taobao", "tmall"])).toEqual(
      new Map([
        ["jd", 2],
        ["taobao", 1],
        ["tmall", 0],
      ]),
    );
    expect((await overdueComplaints(store, ["taobao"], now)).map((c) => c.complaintId)).toEqual([
      supervised.complaintId,
    ]);
  });
});

describe("personal data masking", () => {
  it("masks names, phones, emails, orders, regions and evidence, and leaves the record alone", () => {
    expect(maskName("张三")).toBe("张*");
    expect(maskName("Alexander")).toBe("A********");
    expect(maskPhone("13800138000")).toBe("138****8000");
    expect(maskPhone("+8613800138000")).toBe("+86138****8000");
    expect(maskEmail("zhang.san@example.com")).toBe("z***@example.com");
    expect(maskOrderId("ORD-2026-000123")).toBe("***0123");
    const record = complaintRecord({
      submission: validSubmission({
        evidence: [{ url: "https://photos.example.com/zhangsan/receipt.jpg", description: "receipt" }],
      }),
    });
    const masked = maskComplaint(record);
    const text = JSON.stringify(masked);
    expect(text).not.toContain(FIXTURE_CONSUMER_NAME);
    expect(text).not.toContain(FIXTURE_CONSUMER_PHONE);
    expect(text).not.toContain("zhangsan");
    expect(text).not.toContain(record.submission.order.id);
    expect(masked.submission.consumer.regionCode).toMatch(/^\d\d\*{4}$/);
    expect(masked.submission.title).toBe(record.submission.title);
    expect(record.submission.consumer.name).toBe(FIXTURE_CONSUMER_NAME);
  });

  it("hides a message's text and links, keeping that there is one", () => {
    const message: MessageRecord = {
      pk: "C#x",
      sk: "MSG#1",
      kind: "message",
      complaintId: "x",
      seq: 1,
      at: FIXTURE_NOW.toISOString(),
      text: "我的电话是 13800138000",
      evidence: [{ url: "https://example.com/me.jpg" }],
      answersInfoRequest: false,
    };
    const masked = maskMessage(message);
    expect(masked.text).toBe("[17 characters hidden]");
    expect(JSON.stringify(masked)).not.toContain("13800138000");
    expect(JSON.stringify(masked)).not.toContain("me.jpg");
  });
});
