import type { PutEventsRequestEntry, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComplaintRecord } from "../../shared/complaint/record";
import {
  complaintNoticeSchema,
  DETAIL_TYPES,
  deliveryParkedDetailSchema,
  EVENT_SOURCE,
  statusChangedDetailSchema,
} from "../../shared/events/contract";
import { PUBLISH_RETRY, publishStreamBatch } from "../../shared/events/publish-stream";
import { eventsForChange } from "../../shared/events/stream-events";
import { ComplaintStore } from "../../shared/store/complaint-store";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite";
import {
  advanced,
  complaintRecord,
  FIXTURE_NOW,
  REMOVE,
  validSubmission,
  withField,
} from "../helpers/fixtures";
import { streamRecord } from "../helpers/records";

const LATER = new Date(FIXTURE_NOW.getTime() + 60_000);

const queued = (record = complaintRecord()) =>
  advanced(record, { to: "QUEUED", actor: "hub", at: LATER, reason: "routed_to_platform" });

describe("eventsForChange: an insert", () => {
  it("is a Complaint Submitted event carrying a valid, minimal ComplaintNotice", () => {
    const record = complaintRecord();
    const events = eventsForChange(undefined, record);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.detailType).toBe(DETAIL_TYPES.submitted);
    expect(event?.time).toEqual(new Date(record.updatedAt));

    const notice = complaintNoticeSchema.parse(event?.detail);
    expect(notice).toMatchObject({
      schemaVersion: "1",
      noticeId: `${record.complaintId}-r1`,
      complaintId: record.complaintId,
      platform: "suning",
      urgent: false,
      responseDeadlineWorkingDays: 7,
      consumer: record.submission.consumer,
      evidence: record.submission.evidence,
    });
    for (const internal of [
      "trackingTokenHash",
      "requestHash",
      "timeline",
      "version",
      "delivery",
      "routing",
      "consents",
      "pk",
      "gsi1pk",
    ]) {
      expect(Object.keys(event?.detail ?? {}), internal).not.toContain(internal);
    }
    const text = JSON.stringify(event?.detail);
    expect(text).not.toContain(record.trackingTokenHash);
    expect(text).not.toContain(record.requestHash);
  });

  it("carries urgency and the shorter deadline of a safety complaint", () => {
    const submission = validSubmission({ category: { nature: "food_safety", domain: "food" } });
    const [event] = eventsForChange(undefined, complaintRecord({ submission }));
    expect(complaintNoticeSchema.parse(event?.detail)).toMatchObject({
      urgent: true,
      responseDeadlineWorkingDays: 2,
    });
  });

  it("leaves evidence out when there is none", () => {
    const submission = withField(validSubmission(), ["evidence"], REMOVE) as ReturnType<
      typeof validSubmission
    >;
    const [event] = eventsForChange(undefined, complaintRecord({ submission }));
    expect(Object.keys(event?.detail ?? {})).not.toContain("evidence");
    expect(complaintNoticeSchema.safeParse(event?.detail).success).toBe(true);
  });

  it("announces nothing for an insert that is not ACCEPTED, or for a removal", () => {
    const submitted: ComplaintRecord = { ...complaintRecord(), status: "SUBMITTED" };
    expect(eventsForChange(undefined, submitted)).toEqual([]);
    expect(eventsForChange(complaintRecord(), undefined)).toEqual([]);
  });
});

describe("eventsForChange: a modification", () => {
  it("announces a status change with the transition's actor and reason", () => {
    const before = complaintRecord();
    const after = queued(before);
    const [event, ...rest] = eventsForChange(before, after);
    expect(rest).toEqual([]);
    expect(event?.detailType).toBe(DETAIL_TYPES.statusChanged);
    expect(statusChangedDetailSchema.parse(event?.detail)).toEqual({
      schemaVersion: "1",
      complaintId: before.complaintId,
      platform: "suning",
      from: "ACCEPTED",
      to: "QUEUED",
      actor: "hub",
      at: LATER.toISOString(),
      reason: "routed_to_platform",
      urgent: false,
    });
  });

  it.each(["parked", "dead_lettered"] as const)("announces a delivery that became %s", (state) => {
    const before = queued();
    const after: ComplaintRecord = {
      ...structuredClone(before),
      version: before.version + 1,
      delivery: {
        state,
        attempts: 3,
        parkedReason: "status 410: the platform's endpoint is gone",
        parkedAt: LATER.toISOString(),
      },
    };
    const [event, ...rest] = eventsForChange(before, after);
    expect(rest).toEqual([]);
    expect(event?.detailType).toBe(DETAIL_TYPES.deliveryParked);
    expect(deliveryParkedDetailSchema.parse(event?.detail)).toEqual({
      schemaVersion: "1",
      complaintId: before.complaintId,
      platform: "suning",
      noticeId: before.routing.noticeId,
      state,
      reason: "status 410: the platform's endpoint is gone",
      attempts: 3,
      at: LATER.toISOString(),
    });
  });

  it("announces both when a change moves the status and parks the delivery", () => {
    const before = complaintRecord();
    const after = queued(before);
    after.delivery = { state: "parked", attempts: 1, parkedReason: "refused" };
    expect(eventsForChange(before, after).map((e) => e.detailType)).toEqual([
      DETAIL_TYPES.statusChanged,
      DETAIL_TYPES.deliveryParked,
    ]);
  });

  it("announces nothing for a change that touches neither status nor parking", () => {
    const before = queued();
    const after: ComplaintRecord = {
      ...structuredClone(before),
      version: before.version + 1,
      updatedAt: LATER.toISOString(),
      delivery: { state: "pending", attempts: 2, lastError: "status 503" },
    };
    expect(eventsForChange(before, after)).toEqual([]);
    const stillParked = { ...structuredClone(before), delivery: { state: "parked" as const, attempts: 1 } };
    expect(eventsForChange(stillParked, { ...stillParked, version: stillParked.version + 1 })).toEqual([]);
  });
});

describe("publishStreamBatch", () => {
  let dynamo: LocalDynamo;
  let store: ComplaintStore;
  let ids = 0;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new ComplaintStore(dynamo.doc, await dynamo.createComplaintTable());
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  /** A stored, freshly accepted complaint and the stream record of its insert. */
  async function inserted(sequenceNumber: string, platform = "suning") {
    const complaintId = `CH${String(++ids).padStart(20, "0")}`;
    const record = complaintRecord({ complaintId, submission: validSubmission({ platform }) });
    await store.create(record);
    return { record, stream: streamRecord(sequenceNumber, undefined, record) };
  }

  /** A putEvents that records its calls and fails the entries `failAt` names (by overall index). */
  function fakeBus(failAt: (index: number) => PutEventsResultEntry | undefined = () => undefined) {
    const calls: PutEventsRequestEntry[][] = [];
    let index = 0;
    const putEvents = async (entries: PutEventsRequestEntry[]) => {
      calls.push(entries);
      return entries.map(() => {
        const i = index++;
        return failAt(i) ?? { EventId: `event-${i}` };
      });
    };
    return { calls, putEvents };
  }

  const deps = (putEvents: (entries: PutEventsRequestEntry[]) => Promise<PutEventsResultEntry[]>) => ({
    store,
    busName: "complaint-hub-test-bus",
    putEvents,
    now: () => LATER,
  });

  it("puts events in chunks of 10, in stream order, and marks each inserted complaint QUEUED", async () => {
    const batch = await Promise.all(Array.from({ length: 25 }, (_, i) => inserted(String(1000 + i))));
    const bus = fakeBus();
    const result = await publishStreamBatch(
      deps(bus.putEvents),
      batch.map((b) => b.stream),
    );

    expect(result).toEqual({ batchItemFailures: [], published: 25 });
    expect(bus.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    const entries = bus.calls.flat();
    expect(entries.map((e) => JSON.parse(e.Detail ?? "{}").complaintId)).toEqual(
      batch.map((b) => b.record.complaintId),
    );
    for (const entry of entries) {
      expect(entry).toMatchObject({
        EventBusName: "complaint-hub-test-bus",
        Source: EVENT_SOURCE,
        DetailType: DETAIL_TYPES.submitted,
        Time: new Date(FIXTURE_NOW),
      });
      expect(complaintNoticeSchema.safeParse(JSON.parse(entry.Detail ?? "")).success).toBe(true);
    }
    for (const { record } of batch) {
      const stored = await store.get(record.complaintId);
      expect(stored?.status).toBe("QUEUED");
      expect(stored?.version).toBe(record.version + 1);
      expect(stored?.timeline.at(-1)).toMatchObject({
        from: "ACCEPTED",
        to: "QUEUED",
        actor: "hub",
        reason: "routed_to_platform",
      });
      expect(stored?.gsi1sk).toBe(`QUEUED#${LATER.toISOString()}`);
    }
  });

  it("routes a non-member's complaint to triage", async () => {
    const { record, stream } = await inserted("2000", "not-yet-a-member");
    expect(record.member).toBe(false);
    const bus = fakeBus();
    await publishStreamBatch(deps(bus.putEvents), [stream]);
    expect((await store.get(record.complaintId))?.timeline.at(-1)?.reason).toBe("routed_to_triage");
  });

  it("reports the first failing record and counts nothing after it as published", async () => {
    const batch = await Promise.all(Array.from({ length: 25 }, (_, i) => inserted(String(3000 + i))));
    const bus = fakeBus((i) =>
      i === 13 || i === 16 ? { ErrorCode: "InternalFailure", ErrorMessage: "try again" } : undefined,
    );
    const result = await publishStreamBatch(
      deps(bus.putEvents),
      batch.map((b) => b.stream),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "3013" }], published: 13 });
    expect(bus.calls.map((c) => c.length)).toEqual([10, 10]); // the third chunk is never sent
  });

  it("counts an entry without an EventId as failed", async () => {
    const batch = await Promise.all([inserted("4000"), inserted("4001"), inserted("4002")]);
    const bus = fakeBus((i) => (i === 1 ? {} : undefined));
    const result = await publishStreamBatch(
      deps(bus.putEvents),
      batch.map((b) => b.stream),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "4001" }], published: 1 });
  });

  it("points at the record whose events did not all land, skipping records without events", async () => {
    const first = await inserted("5000");
    const before = queued(first.record);
    const parkedAndMoved = advanced(
      before,
      { to: "REROUTE_REVIEW", actor: "platform", at: LATER, reason: "incorrect_platform" },
      { delivery: { state: "parked", attempts: 1, parkedReason: "refused" } },
    );
    const noop = streamRecord("5001", before, { ...before, version: before.version + 1 });
    const attemptItem: DynamoDBRecord = {
      ...streamRecord("5002", undefined, undefined),
      eventName: "INSERT",
      dynamodb: {
        SequenceNumber: "5002",
        NewImage: {
          pk: { S: `C#${first.record.complaintId}` },
          sk: { S: "ATTEMPT#x#001" },
          kind: { S: "attempt" },
        },
      },
    };
    const twoEvents = streamRecord("5003", before, parkedAndMoved);
    const bus = fakeBus((i) => (i === 2 ? { ErrorCode: "ThrottlingException" } : undefined));
    const result = await publishStreamBatch(deps(bus.putEvents), [
      first.stream,
      noop,
      attemptItem,
      twoEvents,
    ]);

    expect(bus.calls).toHaveLength(1);
    expect(bus.calls[0]?.map((e) => e.DetailType)).toEqual([
      DETAIL_TYPES.submitted,
      DETAIL_TYPES.statusChanged,
      DETAIL_TYPES.deliveryParked,
    ]);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "5003" }], published: 2 });
  });

  it("publishes a retried insert again without moving the complaint a second time", async () => {
    const { record, stream } = await inserted("6000");
    const bus = fakeBus();
    await publishStreamBatch(deps(bus.putEvents), [stream]);
    const afterFirst = await store.get(record.complaintId);
    const result = await publishStreamBatch(deps(bus.putEvents), [stream]);

    expect(result).toEqual({ batchItemFailures: [], published: 1 });
    expect(bus.calls).toHaveLength(2);
    expect(await store.get(record.complaintId)).toEqual(afterFirst);
    expect(afterFirst?.timeline.filter((e) => e.to === "QUEUED")).toHaveLength(1);
  });

  describe("with retries (as the publish function runs it)", () => {
    const sleeps: number[] = [];
    const retrying = (
      putEvents: (entries: PutEventsRequestEntry[]) => Promise<PutEventsResultEntry[]>,
      remaining = 30_000,
    ) => ({
      ...deps(putEvents),
      retry: PUBLISH_RETRY,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      remainingTimeMs: () => remaining,
      random: () => 0.5,
    });

    it("puts the failed entries again, only those, until they land: nothing goes back to the stream", async () => {
      const batch = await Promise.all(Array.from({ length: 12 }, (_, i) => inserted(String(8000 + i))));
      // Calls 1 and 2 fail some entries; the retries land.
      let call = 0;
      const calls: PutEventsRequestEntry[][] = [];
      const putEvents = async (entries: PutEventsRequestEntry[]) => {
        calls.push(entries);
        call++;
        return entries.map((_, i) =>
          (call === 1 && (i === 2 || i === 7)) || (call === 2 && i === 1)
            ? { ErrorCode: "InternalFailure", ErrorMessage: "try again" }
            : { EventId: `e-${call}-${i}` },
        );
      };
      sleeps.length = 0;
      const result = await publishStreamBatch(
        retrying(putEvents),
        batch.map((b) => b.stream),
      );
      expect(result).toEqual({ batchItemFailures: [], published: 12, retried: 3 });
      expect(calls.map((c) => c.length)).toEqual([10, 2, 1, 2]);
      const ids = (entries: PutEventsRequestEntry[] | undefined) =>
        entries?.map((e) => JSON.parse(e.Detail ?? "{}").complaintId);
      expect(ids(calls[1])).toEqual(ids([calls[0]?.[2], calls[0]?.[7]] as PutEventsRequestEntry[]));
      expect(ids(calls[2])).toEqual(ids([calls[0]?.[7]] as PutEventsRequestEntry[]));
      // Exponential back-off with equal jitter (random 0.5 → 3/4 of the ceiling).
      expect(sleeps).toEqual([75, 150]);
    });

    it("gives the batch back from the first entry that never landed once the retries are spent", async () => {
      const batch = await Promise.all(Array.from({ length: 3 }, (_, i) => inserted(String(8100 + i))));
      const putEvents = async (entries: PutEventsRequestEntry[]) =>
        entries.map((e) =>
          JSON.parse(e.Detail ?? "{}").complaintId === batch[1]?.record.complaintId
            ? { ErrorCode: "InternalFailure" }
            : { EventId: "ok" },
        );
      sleeps.length = 0;
      const result = await publishStreamBatch(
        retrying(putEvents),
        batch.map((b) => b.stream),
      );
      expect(result).toEqual({
        batchItemFailures: [{ itemIdentifier: "8101" }],
        published: 1,
        retried: PUBLISH_RETRY.attempts,
      });
      expect(sleeps).toHaveLength(PUBLISH_RETRY.attempts);
    });

    it("begins no retry the invocation cannot afford", async () => {
      const { stream } = await inserted("8200");
      const putEvents = async (entries: PutEventsRequestEntry[]) =>
        entries.map(() => ({ ErrorCode: "InternalFailure" }));
      sleeps.length = 0;
      const result = await publishStreamBatch(retrying(putEvents, PUBLISH_RETRY.reserveMs), [stream]);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: "8200" }]);
      expect(sleeps).toEqual([]);
    });

    it("retries a PutEvents call that failed as a whole, and throws when that keeps failing", async () => {
      const { stream } = await inserted("8300");
      let calls = 0;
      const flaky = async (entries: PutEventsRequestEntry[]) => {
        calls++;
        if (calls < 3) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        return entries.map(() => ({ EventId: "ok" }));
      };
      expect(await publishStreamBatch(retrying(flaky), [stream])).toMatchObject({
        batchItemFailures: [],
        published: 1,
      });
      const down = async () => {
        throw new Error("network down");
      };
      await expect(publishStreamBatch(retrying(down), [stream])).rejects.toThrow("network down");
    });
  });

  it("fails the whole batch when PutEvents itself fails, so Lambda retries it", async () => {
    const { stream } = await inserted("7000");
    const failing = async () => {
      throw new Error("network down");
    };
    await expect(publishStreamBatch(deps(failing), [stream])).rejects.toThrow("network down");
  });
});
