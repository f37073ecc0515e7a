/**
 * In-memory SQS state and the one place where journal records change it. The engine applies a
 * record and journals the same record, so replaying the journal after a restart rebuilds exactly
 * the state clients saw acknowledged.
 */
import type { JournalRecord, StoredMessage, StoredQueue } from "./sqs-store.js";
import { parseRedrivePolicy, QUEUE_ATTRIBUTE_DEFAULTS, type RedrivePolicy } from "./sqs-validation.js";

export interface QueueDepth {
  /** Receivable now (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet visible again (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Waiting for their delay (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
}

export class QueueState {
  /** Insertion order is (roughly) send order, which is the order receives scan in. */
  readonly messages = new Map<string, StoredMessage>();
  /** Long-polling receives waiting for a message to become available. */
  readonly waiters = new Set<() => void>();
  redrivePolicy: RedrivePolicy | undefined;

  constructor(public stored: StoredQueue) {
    this.refreshDerivedAttributes();
  }

  get name(): string {
    return this.stored.name;
  }

  integerAttribute(name: string): number {
    return Number(this.stored.attributes[name] ?? QUEUE_ATTRIBUTE_DEFAULTS[name] ?? 0);
  }

  refreshDerivedAttributes(): void {
    const redrive = this.stored.attributes.RedrivePolicy;
    this.redrivePolicy = redrive ? parseRedrivePolicy(redrive) : undefined;
  }

  isExpired(message: StoredMessage, now: number): boolean {
    return message.sentAt + this.integerAttribute("MessageRetentionPeriod") * 1000 <= now;
  }

  /** Drops messages past the retention period. Not journaled: replay and compaction drop them again. */
  dropExpired(now: number): void {
    for (const message of this.messages.values()) {
      if (this.isExpired(message, now)) this.messages.delete(message.id);
    }
  }

  depth(now: number): QueueDepth {
    this.dropExpired(now);
    const depth: QueueDepth = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) depth.visible += 1;
      else if (message.receiveCount > 0) depth.inFlight += 1;
      else depth.delayed += 1;
    }
    return depth;
  }

  /** Milliseconds until the next delayed or in-flight message becomes visible, if any. */
  msUntilNextVisible(now: number): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    }
    return Number.isFinite(next) ? next - now : undefined;
  }

  wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

export type QueueMap = Map<string, QueueState>;

/** Applies one record. Records about queues or messages that no longer exist are ignored. */
export function applyRecord(queues: QueueMap, record: JournalRecord): void {
  switch (record.op) {
    case "createQueue":
      queues.set(record.queue.name, new QueueState(record.queue));
      return;
    case "deleteQueue":
      queues.delete(record.queue);
      return;
    case "move": {
      const message = queues.get(record.from)?.messages.get(record.id);
      if (!message) return;
      queues.get(record.from)?.messages.delete(record.id);
      const destination = queues.get(record.to);
      if (!destination) return;
      message.visibleAt = record.at;
      message.receiptHandle = undefined;
      if (record.asNewMessage) {
        message.sentAt = record.at;
        message.receiveCount = 0;
        message.firstReceivedAt = undefined;
        message.lastReceivedAt = undefined;
        message.deadLetterSourceArn = undefined;
      } else {
        message.deadLetterSourceArn = record.deadLetterSourceArn;
      }
      destination.messages.set(message.id, message);
      return;
    }
    default:
      applyQueueRecord(queues.get(record.queue), record);
  }
}

type QueueRecord = Exclude<JournalRecord, { op: "createQueue" | "deleteQueue" | "move" }>;

function applyQueueRecord(queue: QueueState | undefined, record: QueueRecord): void {
  if (!queue) return;
  switch (record.op) {
    case "setQueueAttributes":
      queue.stored.attributes = record.attributes;
      queue.stored.lastModifiedAt = record.at;
      queue.refreshDerivedAttributes();
      return;
    case "tagQueue":
      Object.assign(queue.stored.tags, record.tags);
      return;
    case "untagQueue":
      for (const key of record.keys) delete queue.stored.tags[key];
      return;
    case "purgeQueue":
      queue.messages.clear();
      return;
    case "send":
      queue.messages.set(record.message.id, record.message);
      return;
    case "delete":
      queue.messages.delete(record.id);
      return;
  }
  const message = queue.messages.get(record.id);
  if (!message) return;
  switch (record.op) {
    case "receive":
      message.receiptHandle = record.receiptHandle;
      message.visibleAt = record.visibleAt;
      message.receiveCount = record.receiveCount;
      message.firstReceivedAt = record.firstReceivedAt;
      message.lastReceivedAt = record.at;
      return;
    case "changeVisibility":
      message.visibleAt = record.visibleAt;
      return;
  }
}

/** The live state as the shortest journal that rebuilds it (expired messages left out). */
export function* snapshotRecords(queues: QueueMap, now: number): Generator<JournalRecord> {
  for (const queue of queues.values()) {
    yield { op: "createQueue", queue: queue.stored };
    for (const message of queue.messages.values()) {
      if (!queue.isExpired(message, now)) yield { op: "send", queue: queue.name, message };
    }
  }
}
