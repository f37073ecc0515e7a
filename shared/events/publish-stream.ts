import type { PutEventsRequestEntry, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import type { ComplaintRecord } from "../complaint/record";
import { type ComplaintStore, withFreshRead } from "../store/complaint-store";
import { EVENT_SOURCE } from "./contract";
import { eventsForChange, type HubEvent } from "./stream-events";

export interface PublishDependencies {
  store: ComplaintStore;
  busName: string;
  putEvents: (entries: PutEventsRequestEntry[]) => Promise<PutEventsResultEntry[]>;
  now: () => Date;
  /**
   * Tries again, within the invocation, the entries PutEvents failed (and a PutEvents call that failed as a
   * whole), before giving the batch back to the stream. Without it, the first failure goes back at once.
   */
  retry?: PublishRetry;
  /** Waits between retries (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** What is left of the invocation (Lambda's getRemainingTimeInMillis): no retry is begun past its reserve. */
  remainingTimeMs?: () => number;
  random?: () => number;
}

/**
 * EventBridge fails entries on their own (`InternalFailure`, `ThrottlingException`) and asks callers to put them
 * again. Each failure handed back to the stream instead costs one of the event source's retry attempts, and once
 * those are spent the stream gives the records up to the on-failure queue: the complaint would stay QUEUED with
 * its notice never routed (found by the fault suite, test/faults/hub-faults.test.ts). So failed entries are
 * retried here first, with exponential back-off and jitter, for as long as the invocation can afford.
 */
export interface PublishRetry {
  /** Further tries of what failed. */
  attempts: number;
  /** First back-off; doubles each time (equal jitter). */
  baseDelayMs: number;
  /** No retry is begun with less than this left of the invocation. */
  reserveMs: number;
}

/** What the publisher uses in Lambda: about 3 s of retries at most per chunk. */
export const PUBLISH_RETRY: PublishRetry = { attempts: 5, baseDelayMs: 100, reserveMs: 5_000 };

/** PutEvents takes at most 10 entries and 256 KiB a call. */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_BYTES_PER_CALL = 256 * 1024;

interface Pending {
  sequenceNumber: string;
  entry: PutEventsRequestEntry;
}

/**
 * The outbox relay: turns a batch of complaint changes into bus events, in stream order. A failure reports the
 * first record whose events did not all land, so Lambda retries from there and nothing is skipped.
 */
export async function publishStreamBatch(
  deps: PublishDependencies,
  records: DynamoDBRecord[],
): Promise<DynamoDBBatchResponse & { published: number; retried?: number }> {
  const pending: Pending[] = [];
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? "";
    const oldImage = image(record.dynamodb?.OldImage);
    const newImage = image(record.dynamodb?.NewImage);
    const events = eventsForChange(oldImage, newImage);
    if (newImage && !oldImage && events.length > 0) await markQueued(deps, newImage.complaintId);
    for (const event of events) pending.push({ sequenceNumber, entry: toEntry(deps.busName, event) });
  }

  let published = 0;
  let retried = 0;
  for (const chunk of chunks(pending)) {
    const outcome = await putChunk(deps, chunk);
    retried += outcome.retried;
    if (outcome.failed >= 0) {
      const firstFailure = chunk[outcome.failed] as Pending;
      return {
        batchItemFailures: [{ itemIdentifier: firstFailure.sequenceNumber }],
        published: published + outcome.failed,
        ...(deps.retry ? { retried } : {}),
      };
    }
    published += chunk.length;
  }
  return { batchItemFailures: [], published, ...(deps.retry ? { retried } : {}) };
}

/**
 * Puts a chunk, retrying what failed while `deps.retry` allows. Returns the index of the first entry that
 * never landed (-1 when all did) and how many entries were put again. A PutEvents call that fails as a whole is
 * retried the same way, and thrown when the retries run out (Lambda then retries the batch).
 */
async function putChunk(
  deps: PublishDependencies,
  chunk: readonly Pending[],
): Promise<{ failed: number; retried: number }> {
  let outstanding = chunk.map((_, i) => i);
  let retried = 0;
  for (let attempt = 0; ; attempt++) {
    const delay = backoffMs(deps, attempt);
    const mayRetry =
      deps.retry !== undefined &&
      attempt < deps.retry.attempts &&
      (deps.remainingTimeMs === undefined || deps.remainingTimeMs() - delay > deps.retry.reserveMs);
    if (attempt > 0) retried += outstanding.length;
    let results: PutEventsResultEntry[];
    try {
      results = await deps.putEvents(outstanding.map((i) => (chunk[i] as Pending).entry));
    } catch (error) {
      if (!mayRetry) throw error;
      await (deps.sleep ?? sleep)(delay);
      continue;
    }
    outstanding = outstanding.filter((_, j) => !results[j]?.EventId || results[j]?.ErrorCode);
    if (outstanding.length === 0) return { failed: -1, retried };
    if (!mayRetry) return { failed: outstanding[0] as number, retried };
    await (deps.sleep ?? sleep)(delay);
  }
}

function backoffMs(deps: PublishDependencies, attempt: number): number {
  const ceiling = (deps.retry?.baseDelayMs ?? 0) * 2 ** attempt;
  return Math.round(ceiling / 2 + ((deps.random ?? Math.random)() * ceiling) / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Routing is committed before the event is put: ACCEPTED → QUEUED, so the delivery that follows always finds
 * QUEUED. On a retried batch the complaint is already QUEUED (or beyond) and nothing changes.
 */
async function markQueued(deps: PublishDependencies, complaintId: string): Promise<void> {
  await withFreshRead(deps.store, complaintId, async (current) => {
    if (current.status !== "ACCEPTED") return false;
    await deps.store.transition(current, {
      to: "QUEUED",
      actor: "hub",
      at: deps.now(),
      reason: current.member ? "routed_to_platform" : "routed_to_triage",
    });
    return true;
  });
}

function toEntry(busName: string, event: HubEvent): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: event.time,
    Resources: [],
  };
}

function* chunks(pending: Pending[]): Generator<Pending[]> {
  let current: Pending[] = [];
  let bytes = 0;
  for (const item of pending) {
    const size = entrySize(item.entry);
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)
    ) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) yield current;
}

/** PutEvents entry size as EventBridge counts it (UTF-8 bytes of the fields, plus 14 for the time). */
function entrySize(entry: PutEventsRequestEntry): number {
  return (
    14 +
    Buffer.byteLength(entry.Source ?? "") +
    Buffer.byteLength(entry.DetailType ?? "") +
    Buffer.byteLength(entry.Detail ?? "") +
    (entry.Resources ?? []).reduce((sum, r) => sum + Buffer.byteLength(r), 0)
  );
}

function image(value: unknown): ComplaintRecord | undefined {
  if (!value) return undefined;
  // The stream's AttributeValue type (aws-lambda) and the SDK's are the same wire shape.
  const item = unmarshall(value as Parameters<typeof unmarshall>[0]) as ComplaintRecord;
  return item.kind === "complaint" ? item : undefined;
}
