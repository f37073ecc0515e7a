import { createHash } from "node:crypto";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { findPlatform, isPush, type PushPlatform } from "../../infra/platforms";
import { addWorkingDays } from "../../shared/calendar/working-days";
import { COMPLAINT_ID_PATTERN } from "../../shared/complaint/identity";
import { type ComplaintRecord, complaintPk, deadlineShard } from "../../shared/complaint/record";
import type { Submission } from "../../shared/complaint/submission";
import { type SubmitDependencies, submitComplaint } from "../../shared/complaint/submit-complaint";
import type { PlatformAnswer } from "../../shared/delivery/classify";
import {
  type DeliveryConfig,
  type DeliveryDependencies,
  deliverNotice,
  RetryLaterError,
} from "../../shared/delivery/deliver-notice";
import { noticeFor } from "../../shared/events/notice";
import { eventsForChange } from "../../shared/events/stream-events";
import { ProblemError } from "../../shared/http/problem";
import { IllegalTransitionError } from "../../shared/lifecycle/state-machine";
import { ComplaintStore, VersionConflictError, withFreshRead } from "../../shared/store/complaint-store";
import {
  GSI_BY_DEADLINE,
  GSI_BY_PLATFORM_STATUS,
  type LocalDynamo,
  startDynalite,
} from "../helpers/dynalite";
import { complaintRecord, FIXTURE_NOW, validSubmission } from "../helpers/fixtures";
import { sqsRecord } from "../helpers/records";

let dynamo: LocalDynamo;
let tableName: string;
let store: ComplaintStore;
let ids = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  tableName = await dynamo.createComplaintTable();
  store = new ComplaintStore(dynamo.doc, tableName);
});
afterAll(async () => {
  await dynamo?.stop();
});

const nextId = () => `CH${String(++ids).padStart(20, "0")}`;
const at = (secondsAfterFixture: number) => new Date(FIXTURE_NOW.getTime() + secondsAfterFixture * 1000);

/** A clock that moves on one second per reading, so every write has its own time. */
function tickingClock(start = FIXTURE_NOW) {
  let t = start.getTime();
  return () => {
    t += 1000;
    return new Date(t);
  };
}

async function storedItem(complaintId: string) {
  const { Item } = await dynamo.doc.send(
    new GetCommand({ TableName: tableName, Key: { pk: complaintPk(complaintId), sk: "META" } }),
  );
  return Item;
}

async function attemptItems(complaintId: string) {
  const { Items } = await dynamo.doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :attempt)",
      ExpressionAttributeValues: { ":pk": complaintPk(complaintId), ":attempt": "ATTEMPT#" },
    }),
  );
  return Items ?? [];
}

describe("the test table", () => {
  it("has the CDK table's keys and indexes", async () => {
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    const indexes = Object.fromEntries(
      (Table?.GlobalSecondaryIndexes ?? []).map((i) => [
        i.IndexName,
        i.KeySchema?.map((k) => k.AttributeName),
      ]),
    );
    expect(indexes).toEqual({
      [GSI_BY_PLATFORM_STATUS]: ["gsi1pk", "gsi1sk"],
      [GSI_BY_DEADLINE]: ["gsi2pk", "gsi2sk"],
    });
  });
});

describe("ComplaintStore.create", () => {
  it("puts a new complaint and refuses to overwrite it", async () => {
    const record = complaintRecord({ complaintId: nextId() });
    expect(await store.create(record)).toEqual({ created: true });
    expect(await store.get(record.complaintId)).toEqual(record);

    const other = complaintRecord({
      complaintId: record.complaintId,
      submission: validSubmission({ title: "Another title" }),
    });
    const second = await store.create(other);
    expect(second).toEqual({ created: false, existing: record });
    expect(await store.get(record.complaintId)).toEqual(record);
  });

  it("returns undefined for an unknown complaint", async () => {
    expect(await store.get(nextId())).toBeUndefined();
  });
});

describe("ComplaintStore.transition", () => {
  async function accepted() {
    const record = complaintRecord({ complaintId: nextId() });
    await store.create(record);
    return record;
  }

  it("writes status, version, timeline and the platform index key together", async () => {
    const record = await accepted();
    await store.transition(record, { to: "QUEUED", actor: "hub", at: at(60), reason: "routed_to_platform" });
    const stored = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(stored.status).toBe("QUEUED");
    expect(stored.version).toBe(record.version + 1);
    expect(stored.updatedAt).toBe(at(60).toISOString());
    expect(stored.timeline).toHaveLength(record.timeline.length + 1);
    expect(stored.timeline.at(-1)).toEqual({
      at: at(60).toISOString(),
      actor: "hub",
      from: "ACCEPTED",
      to: "QUEUED",
      reason: "routed_to_platform",
      visibility: "consumer",
    });

    const { Items } = await dynamo.doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: GSI_BY_PLATFORM_STATUS,
        KeyConditionExpression: "gsi1pk = :p AND begins_with(gsi1sk, :s)",
        ExpressionAttributeValues: { ":p": "P#suning", ":s": "QUEUED#" },
      }),
    );
    expect(Items?.map((i) => i.complaintId)).toContain(record.complaintId);
  });

  it("writes side effects in the same update", async () => {
    const record = await accepted();
    await store.transition(
      record,
      { to: "QUEUED", actor: "hub", at: at(1) },
      {
        set: { "delivery.lastError": "none yet", routing: { noticeId: "x-r2", routeSeq: 2 } },
        remove: ["relief"],
      },
    );
    const stored = await store.get(record.complaintId);
    expect(stored?.delivery.lastError).toBe("none yet");
    expect(stored?.routing).toEqual({ noticeId: "x-r2", routeSeq: 2 });
  });

  it("lets exactly one of two concurrent transitions from the same read win", async () => {
    const record = await accepted();
    const read = (await store.get(record.complaintId)) as ComplaintRecord;
    const results = await Promise.allSettled([
      store.transition(read, { to: "QUEUED", actor: "hub", at: at(2) }),
      store.transition(read, { to: "WITHDRAWN", actor: "consumer", at: at(3) }),
    ]);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    const conflict = rejected[0]?.reason as VersionConflictError;
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(conflict.complaintId).toBe(record.complaintId);

    const stored = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(stored.version).toBe(read.version + 1);
    expect(stored.timeline).toHaveLength(read.timeline.length + 1);
    expect(["QUEUED", "WITHDRAWN"]).toContain(stored.status);
    expect(stored.timeline.at(-1)?.to).toBe(stored.status);
  });

  it("refuses a stale read after the complaint moved on", async () => {
    const record = await accepted();
    await store.transition(record, { to: "QUEUED", actor: "hub", at: at(1) });
    await expect(
      store.transition(record, { to: "WITHDRAWN", actor: "consumer", at: at(2) }),
    ).rejects.toBeInstanceOf(VersionConflictError);
  });

  it("writes nothing for an illegal transition", async () => {
    const record = await accepted();
    await expect(
      store.transition(record, { to: "CLOSED", actor: "platform", at: at(1) }),
    ).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(await store.get(record.complaintId)).toEqual(record);
  });

  it("guards delivery bookkeeping by the version too", async () => {
    const record = await accepted();
    await store.updateDelivery(record, { attempts: 2, lastError: "status 503" }, at(5));
    const stored = await store.get(record.complaintId);
    expect(stored?.delivery).toEqual({ state: "pending", attempts: 2, lastError: "status 503" });
    expect(stored?.version).toBe(record.version + 1);
    expect(stored?.status).toBe(record.status);
    await expect(store.updateDelivery(record, { attempts: 3 }, at(6))).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });
});

describe("withFreshRead", () => {
  it("re-reads and decides again after a conflict", async () => {
    const record = complaintRecord({ complaintId: nextId() });
    await store.create(record);
    const seen: number[] = [];
    const result = await withFreshRead(store, record.complaintId, async (current) => {
      seen.push(current.version);
      if (seen.length === 1) {
        // Another writer wins the race between our read and our write.
        await store.updateDelivery(current, { attempts: 1 }, at(1));
      }
      await store.transition(current, { to: "QUEUED", actor: "hub", at: at(2) });
      return true;
    });
    expect(seen).toEqual([record.version, record.version + 1]);
    expect(result?.version).toBe(record.version + 1);
    const stored = await store.get(record.complaintId);
    expect(stored?.status).toBe("QUEUED");
    expect(stored?.delivery.attempts).toBe(1);
    expect(stored?.version).toBe(record.version + 2);
  });

  it("gives up after the allowed attempts with the conflict", async () => {
    const record = complaintRecord({ complaintId: nextId() });
    await store.create(record);
    const decide = vi.fn(async () => {
      throw new VersionConflictError(record.complaintId);
    });
    await expect(withFreshRead(store, record.complaintId, decide, 3)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect(decide).toHaveBeenCalledTimes(3);
  });

  it("does not retry other errors, and finds nothing to do for an unknown complaint", async () => {
    const record = complaintRecord({ complaintId: nextId() });
    await store.create(record);
    const decide = vi.fn(async () => {
      throw new Error("boom");
    });
    await expect(withFreshRead(store, record.complaintId, decide)).rejects.toThrow("boom");
    expect(decide).toHaveBeenCalledTimes(1);

    const never = vi.fn(async () => true);
    expect(await withFreshRead(store, nextId(), never)).toBeUndefined();
    expect(never).not.toHaveBeenCalled();
  });
});

describe("submitComplaint against the table", () => {
  const TOKEN_KEY = "store-test-tracking-token-key";
  const deps = (): SubmitDependencies => ({
    store,
    trackingTokenKey: async () => TOKEN_KEY,
    now: () => FIXTURE_NOW,
  });
  let keys = 0;
  const newKey = () => `store-test-key-${++keys}-${Date.now()}`;

  it("stores an ACCEPTED complaint with only the token's hash", async () => {
    const outcome = await submitComplaint(deps(), validSubmission(), newKey());
    expect(outcome.created).toBe(true);
    const { complaintId, trackingToken, status, deadlines } = outcome.receipt;
    expect(complaintId).toMatch(COMPLAINT_ID_PATTERN);
    expect(status).toBe("ACCEPTED");
    expect(deadlines).toEqual({
      platformResponseDueBy: addWorkingDays(FIXTURE_NOW, 7).toISOString(),
      responseWorkingDays: 7,
      basis: "estimated_from_submission",
    });

    const item = await storedItem(complaintId);
    expect(item?.trackingTokenHash).toBe(createHash("sha256").update(trackingToken).digest("hex"));
    expect(JSON.stringify(item)).not.toContain(trackingToken);
    expect(item).toMatchObject({
      kind: "complaint",
      status: "ACCEPTED",
      version: 2,
      member: true,
      urgent: false,
      gsi1pk: "P#suning",
      gsi1sk: `ACCEPTED#${FIXTURE_NOW.toISOString()}`,
      routing: { noticeId: `${complaintId}-r1`, routeSeq: 1 },
      delivery: { state: "pending", attempts: 0 },
      submission: validSubmission(),
    });
    expect(item?.timeline.map((e: { to: string }) => e.to)).toEqual(["SUBMITTED", "ACCEPTED"]);
    expect(item).not.toHaveProperty("gsi2pk");
  });

  it("answers an idempotent repeat with the same complaint and token", async () => {
    const key = newKey();
    const first = await submitComplaint(deps(), validSubmission(), key);
    // The same body with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(validSubmission()).reverse());
    const later = { ...deps(), now: () => at(3600) };
    const repeat = await submitComplaint(later, reordered, key);
    expect(repeat.created).toBe(false);
    expect(repeat.receipt).toEqual(first.receipt);
  });

  it("refuses the same key with another body and leaves the stored complaint alone", async () => {
    const key = newKey();
    const first = await submitComplaint(deps(), validSubmission(), key);
    const before = await storedItem(first.receipt.complaintId);
    const refused = await submitComplaint(
      deps(),
      validSubmission({ title: "A different complaint" }),
      key,
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).kind).toBe("idempotencyConflict");
    expect(await storedItem(first.receipt.complaintId)).toEqual(before);
  });

  it("files separate complaints without a key", async () => {
    const a = await submitComplaint(deps(), validSubmission(), undefined);
    const b = await submitComplaint(deps(), validSubmission(), undefined);
    expect(a.receipt.complaintId).not.toBe(b.receipt.complaintId);
    expect(a.receipt.trackingToken).not.toBe(b.receipt.trackingToken);
  });

  it("gives a safety complaint the urgent deadline", async () => {
    const submission = validSubmission({
      category: { nature: "personal_injury", domain: "home_appliances" },
    });
    const { receipt } = await submitComplaint(deps(), submission, newKey());
    expect(receipt.deadlines.responseWorkingDays).toBe(2);
    expect((await storedItem(receipt.complaintId))?.urgent).toBe(true);
  });
});

describe("deliverNotice against the table", () => {
  const suning = findPlatform("suning") as PushPlatform;
  const taobao = findPlatform("taobao") as PushPlatform;
  const configFor = (platform: PushPlatform): DeliveryConfig => ({
    platform,
    endpoint: `https://sandbox.invalid/${platform.id}/complaints`,
    retry: { baseDelaySeconds: 10, maxDelaySeconds: 60, maxAttempts: 3 },
  });

  let post: ReturnType<typeof vi.fn<DeliveryDependencies["post"]>>;
  let park: ReturnType<typeof vi.fn<DeliveryDependencies["park"]>>;
  let delayRetry: ReturnType<typeof vi.fn<DeliveryDependencies["delayRetry"]>>;
  let deps: DeliveryDependencies;

  beforeEach(() => {
    post = vi.fn<DeliveryDependencies["post"]>();
    park = vi.fn<DeliveryDependencies["park"]>(async () => undefined);
    delayRetry = vi.fn<DeliveryDependencies["delayRetry"]>(async () => undefined);
    deps = {
      store,
      secrets: async () => ({ current: "whsec_c2VjcmV0LWZvci10aGUtc3RvcmUtdGVzdHM=" }),
      post,
      park,
      delayRetry,
      now: tickingClock(),
      random: () => 0.5,
    };
  });

  const answer = (status: number, body: object | string = {}): PlatformAnswer => ({
    status,
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: new Headers(),
    latencyMs: 42,
  });

  /** A complaint as publish leaves it: ACCEPTED, then QUEUED, with the notice that went on the bus. */
  async function queuedComplaint(submission: Submission = validSubmission()) {
    const record = complaintRecord({ complaintId: nextId(), submission });
    await store.create(record);
    await store.transition(record, { to: "QUEUED", actor: "hub", at: at(1), reason: "routed_to_platform" });
    const stored = (await store.get(record.complaintId)) as ComplaintRecord;
    return { record: stored, body: JSON.stringify(noticeFor(stored)) };
  }

  it("delivers, opens the response clock from delivery and records the attempt", async () => {
    const { record, body } = await queuedComplaint();
    post.mockResolvedValueOnce(answer(201, { caseId: "SN-2026-0042" }));
    const message = sqsRecord(body);

    expect(await deliverNotice(deps, configFor(suning), message)).toBe("delivered");

    expect(post).toHaveBeenCalledTimes(1);
    const [url, headers, payload, timeoutMs] = post.mock.calls[0] ?? [];
    expect(url).toBe("https://sandbox.invalid/suning/complaints");
    expect(payload).toBe(body);
    expect(timeoutMs).toBe(suning.delivery.requestTimeoutSeconds * 1000);
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": record.routing.noticeId,
    });
    expect(headers?.["webhook-signature"]).toMatch(/^v1,/);

    const stored = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(stored.status).toBe("DELIVERED");
    expect(stored.version).toBe(record.version + 1);
    expect(stored.timeline.at(-1)).toMatchObject({
      from: "QUEUED",
      to: "DELIVERED",
      actor: "hub",
      reason: "delivered_to_platform",
    });
    expect(stored.delivery).toMatchObject({ state: "delivered", caseRef: "SN-2026-0042", attempts: 1 });
    expect(stored.delivery.deliveredAt).toBeDefined();
    expect(stored.deadlines.basis).toBe("from_delivery");
    expect(stored.deadlines.platformResponseDueBy).toBe(
      addWorkingDays(new Date(stored.delivery.deliveredAt as string), 7).toISOString(),
    );
    expect(stored.gsi2pk).toBe(deadlineShard(record.complaintId));
    expect(stored.gsi2pk).toMatch(/^DUE#[0-3]$/);
    expect(stored.gsi2sk).toBe(stored.deadlines.platformResponseDueBy);

    const { Items } = await dynamo.doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: GSI_BY_DEADLINE,
        KeyConditionExpression: "gsi2pk = :shard AND gsi2sk <= :due",
        ExpressionAttributeValues: { ":shard": stored.gsi2pk, ":due": stored.gsi2sk },
      }),
    );
    expect(Items?.map((i) => i.complaintId)).toContain(record.complaintId);

    const attempts = await attemptItems(record.complaintId);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      kind: "attempt",
      complaintId: record.complaintId,
      platform: "suning",
      noticeId: record.routing.noticeId,
      attempt: 1,
      outcome: "delivered",
      httpStatus: 201,
      latencyMs: 42,
      responseExcerpt: '{"caseId":"SN-2026-0042"}',
    });
    expect(attempts[0]?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it("answers a second delivery of the same notice as a duplicate without posting", async () => {
    const { record, body } = await queuedComplaint();
    post.mockResolvedValueOnce(answer(200, { caseId: "SN-1" }));
    expect(await deliverNotice(deps, configFor(suning), sqsRecord(body))).toBe("delivered");
    const afterFirst = await store.get(record.complaintId);

    expect(await deliverNotice(deps, configFor(suning), sqsRecord(body))).toBe("duplicate");
    expect(post).toHaveBeenCalledTimes(1);
    expect(await store.get(record.complaintId)).toEqual(afterFirst);
    expect((await attemptItems(record.complaintId)).map((a) => a.outcome)).toEqual([
      "delivered",
      "duplicate",
    ]);
  });

  it("retries with backoff until the last attempt, then dead-letters with the reason", async () => {
    const { record, body } = await queuedComplaint();
    post.mockResolvedValue(answer(503, "Service Unavailable"));
    const config = configFor(suning);

    for (const attempt of [1, 2]) {
      const message = sqsRecord(body, { receiveCount: attempt, receiptHandle: `rh-${attempt}` });
      const error = await deliverNotice(deps, config, message).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryLaterError);
      // Equal jitter at random() = 0.5: three quarters of 10 s, then of 20 s.
      const expected = attempt === 1 ? 8 : 15;
      expect((error as RetryLaterError).delaySeconds).toBe(expected);
      expect(delayRetry).toHaveBeenLastCalledWith(`rh-${attempt}`, expected);
      const stored = await store.get(record.complaintId);
      expect(stored?.status).toBe("QUEUED");
      expect(stored?.delivery).toMatchObject({
        state: "pending",
        attempts: attempt,
        lastError: "status 503",
      });
    }

    const last = await deliverNotice(
      deps,
      config,
      sqsRecord(body, { receiveCount: 3, receiptHandle: "rh-3" }),
    ).catch((e: unknown) => e);
    expect(last).toBeInstanceOf(RetryLaterError);
    expect((last as RetryLaterError).delaySeconds).toBe(0);
    expect(delayRetry).toHaveBeenLastCalledWith("rh-3", 0);
    expect(park).not.toHaveBeenCalled();

    const stored = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(stored.status).toBe("QUEUED");
    expect(stored.delivery).toMatchObject({
      state: "dead_lettered",
      attempts: 3,
      lastError: "status 503",
      parkedReason: "retries exhausted after 3 attempts: status 503",
    });
    expect(stored.delivery.parkedAt).toBeDefined();
    const attempts = await attemptItems(record.complaintId);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, "retry", 503],
      [2, "retry", 503],
      [3, "dead_lettered", 503],
    ]);
  });

  it("parks a permanent refusal at once, with the reason", async () => {
    const { record, body } = await queuedComplaint();
    post.mockResolvedValueOnce(answer(410, "gone"));
    const message = sqsRecord(body);

    expect(await deliverNotice(deps, configFor(suning), message)).toBe("parked");
    expect(park).toHaveBeenCalledTimes(1);
    expect(park).toHaveBeenCalledWith(
      body,
      "status 410: the platform's endpoint is gone",
      record.complaintId,
    );
    expect(delayRetry).not.toHaveBeenCalled();
    const stored = await store.get(record.complaintId);
    expect(stored?.status).toBe("QUEUED");
    expect(stored?.delivery).toMatchObject({
      state: "parked",
      attempts: 1,
      parkedReason: "status 410: the platform's endpoint is gone",
    });
    expect((await attemptItems(record.complaintId)).map((a) => a.outcome)).toEqual(["parked"]);
  });

  it("retries a 200 whose body says it failed (envelope rule) and records why", async () => {
    const { record, body } = await queuedComplaint(validSubmission({ platform: "taobao" }));
    post.mockResolvedValueOnce(answer(200, { success: false, errorCode: "isp.busy" }));
    await expect(deliverNotice(deps, configFor(taobao), sqsRecord(body))).rejects.toBeInstanceOf(
      RetryLaterError,
    );
    expect((await store.get(record.complaintId))?.delivery.lastError).toBe("status 200 with success=false");
    expect((await attemptItems(record.complaintId))[0]).toMatchObject({
      outcome: "retry",
      httpStatus: 200,
      error: "status 200 with success=false",
    });
  });

  it("records a timeout as a retried attempt without an HTTP status", async () => {
    const { record, body } = await queuedComplaint();
    post.mockResolvedValueOnce({ transportError: "timeout", latencyMs: 10_000 });
    await expect(deliverNotice(deps, configFor(suning), sqsRecord(body))).rejects.toBeInstanceOf(
      RetryLaterError,
    );
    const [attempt] = await attemptItems(record.complaintId);
    expect(attempt).toMatchObject({ outcome: "retry", error: "request timed out", latencyMs: 10_000 });
    expect(attempt).not.toHaveProperty("httpStatus");
  });

  it("after a redrive from the DLQ, retries as pending and announces a second dead-lettering", async () => {
    const { record, body } = await queuedComplaint();
    post.mockResolvedValue(answer(503));
    const config = configFor(suning);
    await deliverNotice(deps, config, sqsRecord(body, { receiveCount: 3 })).catch(() => undefined);
    const deadLettered = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(deadLettered.delivery.state).toBe("dead_lettered");

    // An operator redrives the message: SQS counts receives afresh.
    await deliverNotice(deps, config, sqsRecord(body, { receiveCount: 1 })).catch(() => undefined);
    const retrying = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(retrying.delivery).toMatchObject({ state: "pending", attempts: 1 });

    await deliverNotice(deps, config, sqsRecord(body, { receiveCount: 3 })).catch(() => undefined);
    const again = (await store.get(record.complaintId)) as ComplaintRecord;
    expect(again.delivery.state).toBe("dead_lettered");
    expect(eventsForChange(retrying, again).map((e) => e.detailType)).toEqual(["Complaint Delivery Parked"]);
  });

  it.each([
    [503, "retry"],
    [410, "parked"],
  ] as const)(
    "does not undo a delivery that a duplicate message made meanwhile (%i)",
    async (status, outcome) => {
      const { record, body } = await queuedComplaint();
      post.mockImplementationOnce(async () => {
        // A duplicate of this message, handled elsewhere, gets through first.
        post.mockResolvedValueOnce(answer(201, { caseId: "SN-dup" }));
        expect(await deliverNotice(deps, configFor(suning), sqsRecord(body))).toBe("delivered");
        return answer(status);
      });
      const result = await deliverNotice(deps, configFor(suning), sqsRecord(body)).catch((e: unknown) => e);
      if (outcome === "retry") expect(result).toBeInstanceOf(RetryLaterError);
      else expect(result).toBe("parked");
      const stored = await store.get(record.complaintId);
      expect(stored?.status).toBe("DELIVERED");
      expect(stored?.delivery).toMatchObject({ state: "delivered", caseRef: "SN-dup" });
    },
  );

  it("parks what it cannot deliver without posting", async () => {
    const { body } = await queuedComplaint();
    const config = configFor(suning);

    expect(await deliverNotice(deps, config, sqsRecord("not json"))).toBe("parked");
    expect(park).toHaveBeenLastCalledWith("not json", "message is not a valid ComplaintNotice", undefined);

    const foreign = JSON.stringify({ ...JSON.parse(body), platform: "taobao" });
    expect(await deliverNotice(deps, config, sqsRecord(foreign))).toBe("parked");
    expect(park.mock.lastCall?.[1]).toBe("notice addressed to another platform");

    const orphanId = nextId();
    const orphan = JSON.stringify({ ...JSON.parse(body), complaintId: orphanId, noticeId: `${orphanId}-r1` });
    expect(await deliverNotice(deps, config, sqsRecord(orphan))).toBe("parked");
    expect(park).toHaveBeenLastCalledWith(orphan, "no such complaint", orphanId);
    expect(post).not.toHaveBeenCalled();
  });

  it("skips a notice superseded by a newer route, or a complaint that was withdrawn", async () => {
    const first = await queuedComplaint();
    await store.updateDelivery(first.record, {}, at(2));
    const current = (await store.get(first.record.complaintId)) as ComplaintRecord;
    await store.transition(
      current,
      { to: "REROUTE_REVIEW", actor: "operator", at: at(3) },
      {
        set: { routing: { noticeId: `${current.complaintId}-r2`, routeSeq: 2 } },
      },
    );
    expect(await deliverNotice(deps, configFor(suning), sqsRecord(first.body))).toBe("skipped");

    const second = await queuedComplaint();
    await store.transition(second.record, { to: "WITHDRAWN", actor: "consumer", at: at(2) });
    expect(await deliverNotice(deps, configFor(suning), sqsRecord(second.body))).toBe("skipped");
    expect(post).not.toHaveBeenCalled();
    expect((await attemptItems(second.record.complaintId))[0]).toMatchObject({
      outcome: "skipped",
      error: "complaint is WITHDRAWN",
    });
  });

  it("keeps the case reference but not the status when the complaint moved on during the POST", async () => {
    const { record, body } = await queuedComplaint();
    post.mockImplementationOnce(async () => {
      // The consumer withdraws while the platform is answering.
      await store.transition(record, { to: "WITHDRAWN", actor: "consumer", at: at(2) });
      return answer(201, { caseId: "SN-late" });
    });
    expect(await deliverNotice(deps, configFor(suning), sqsRecord(body))).toBe("delivered");
    const stored = await store.get(record.complaintId);
    expect(stored?.status).toBe("WITHDRAWN");
    expect(stored?.delivery).toMatchObject({ state: "delivered", caseRef: "SN-late" });
  });
});

it("uses a push platform in the delivery tests", () => {
  expect(isPush(findPlatform("suning") as PushPlatform)).toBe(true);
});
