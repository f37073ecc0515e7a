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
}

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
): Promise<DynamoDBBatchResponse & { published: number }> {
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
  for (const chunk of chunks(pending)) {
    const results = await deps.putEvents(chunk.map((p) => p.entry));
    const failed = chunk.findIndex((_, i) => !results[i]?.EventId || results[i]?.ErrorCode);
    if (failed >= 0) {
      const firstFailure = chunk[failed] as Pending;
      return {
        batchItemFailures: [{ itemIdentifier: firstFailure.sequenceNumber }],
        published: published + failed,
      };
    }
    published += chunk.length;
  }
  return { batchItemFailures: [], published };
}

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
