/**
 * The local SQS engine: standard queues with visibility timeouts, delays, retention, long
 * polling, dead-letter redrive and message move tasks, persisted in a journal. No HTTP here —
 * sqs-json-protocol.ts speaks the AWS wire protocol, and other local components (EventBridge
 * targets, the Lambda event-source poller) call these methods in-process.
 *
 * Every mutating method resolves only once its change is on disk.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { invalidParameter, queueDoesNotExist, SqsError } from "./sqs-errors.js";
import { md5OfBody, md5OfMessageAttributes } from "./sqs-message-digest.js";
import { MessageMoveTasks, type MoveOutcome, type MoveTaskSummary } from "./sqs-move-tasks.js";
import {
  applyRecord,
  type QueueDepth,
  type QueueMap,
  type QueueState,
  snapshotRecords,
} from "./sqs-queue-state.js";
import {
  type JournalRecord,
  SqsJournal,
  type StoredAttributeValue,
  type StoredMessage,
} from "./sqs-store.js";
import {
  COMPUTED_QUEUE_ATTRIBUTES,
  FIFO_ONLY_QUEUE_ATTRIBUTES,
  type MessageAttributeInput,
  mergeQueueAttributes,
  messageSizeBytes,
  optionalIntegerInRange,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
  QUEUE_ATTRIBUTE_DEFAULTS,
  SETTABLE_QUEUE_ATTRIBUTES,
  SQS_LIMITS,
  validateMessageAttributes,
  validateMessageBody,
  validateMessageSystemAttributes,
  validateQueueName,
} from "./sqs-validation.js";

export type { MoveTaskSummary } from "./sqs-move-tasks.js";
export type { QueueDepth } from "./sqs-queue-state.js";
export type { MessageAttributeInput } from "./sqs-validation.js";

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SqsEngineOptions {
  /** The local cloud's state folder; SQS keeps its journal in `<stateDir>/sqs/`. */
  stateDir: string;
  /** Origin queue URLs start with, e.g. "http://127.0.0.1:4566". */
  baseUrl: string;
  region: string;
  accountId?: string;
  /** Time source for timestamps, visibility, delays and retention (long polling waits use real timers). */
  clock?: Clock;
  /** fdatasync journal writes (default true). */
  fsync?: boolean;
  /** Journal growth that triggers a run-time compaction (default 64 MiB). */
  compactAfterBytes?: number;
}

export interface SendMessageOptions {
  /** 0–900; defaults to the queue's DelaySeconds. */
  delaySeconds?: number;
  messageAttributes?: Record<string, MessageAttributeInput>;
  /** Only AWSTraceHeader is allowed. */
  messageSystemAttributes?: Record<string, MessageAttributeInput>;
  /** Reported as the SenderId attribute; defaults to the account id. */
  senderId?: string;
}

export interface SentMessage {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
}

export interface ReceiveOptions {
  /** MaxNumberOfMessages, 1–10 (default 1). */
  max?: number;
  /** Seconds, 0–43,200; defaults to the queue's VisibilityTimeout. */
  visibilityTimeout?: number;
  /** Long polling, 0–20 s; defaults to the queue's ReceiveMessageWaitTimeSeconds. */
  waitTimeSeconds?: number;
  /** Message system attributes to return ("All", "SentTimestamp", ...). */
  attributeNames?: readonly string[];
  /** Message attributes to return: names, "All", ".*" or "prefix.*". */
  messageAttributeNames?: readonly string[];
  /** Ends a long poll early (e.g. the HTTP client went away). */
  signal?: AbortSignal;
}

/** A received message in the SDK's `Message` shape; binary attribute values are base64. */
export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes: Record<string, string>;
  MessageAttributes?: Record<string, StoredAttributeValue>;
  MD5OfMessageAttributes?: string;
}

export interface StartMoveTaskInput {
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
}

const SYSTEM_ATTRIBUTE_NAMES = [
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;

export class SqsEngine {
  readonly accountId: string;
  readonly region: string;
  private readonly baseUrl: string;
  private readonly clock: Clock;
  private readonly moveTasks: MessageMoveTasks;
  private closed = false;

  private constructor(
    options: SqsEngineOptions,
    private readonly queues: QueueMap,
    private readonly journal: SqsJournal,
  ) {
    this.accountId = options.accountId ?? "000000000000";
    this.region = options.region;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.clock = options.clock ?? systemClock;
    this.moveTasks = new MessageMoveTasks({
      now: () => this.clock.now(),
      moveMessage: (task, messageId) => this.moveForTask(task, messageId),
    });
  }

  /** Loads the journal in `<stateDir>/sqs/`, compacts it and returns a running engine. */
  static async open(options: SqsEngineOptions): Promise<SqsEngine> {
    const directory = sqsStateDirectory(options.stateDir);
    const clock = options.clock ?? systemClock;
    const queues: QueueMap = new Map();
    for (const record of await SqsJournal.read(directory)) applyRecord(queues, record);
    const journalOptions = { fsync: options.fsync, compactAfterBytes: options.compactAfterBytes };
    const journal = await SqsJournal.create(directory, snapshotRecords(queues, clock.now()), {
      ...journalOptions,
      snapshot: () => snapshotRecords(queues, clock.now()),
    });
    return new SqsEngine(options, queues, journal);
  }

  /** Stops move tasks, ends waiting receives (they return no messages) and closes the journal. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.moveTasks.stopAll();
    for (const queue of this.queues.values()) queue.wakeWaiters();
    await this.journal.close();
  }

  // ---- names, URLs and ARNs ----

  queueUrl(name: string): string {
    return `${this.baseUrl}/${this.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  queueUrlFromArn(arn: string): string {
    const name = queueNameFromArn(arn);
    if (!name) throw new SqsError("InvalidParameterValue", `${arn} is not a valid SQS queue ARN.`);
    return this.queueUrl(name);
  }

  queueArnFromUrl(url: string): string {
    return this.queueArn(this.requireQueue(url).name);
  }

  /** Accepts a queue URL (any host), an ARN or a bare name. */
  hasQueue(queue: string): boolean {
    const name = queueNameFromReference(queue);
    return name !== undefined && this.queues.has(name);
  }

  // ---- queues ----

  async createQueue(
    name: string,
    attributes: Readonly<Record<string, unknown>> = {},
    tags: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    validateQueueName(name);
    const requested = mergeQueueAttributes(QUEUE_ATTRIBUTE_DEFAULTS, attributes, true);
    const existing = this.queues.get(name);
    if (existing) {
      for (const key of Object.keys(attributes)) {
        if (requested[key] !== existing.stored.attributes[key]) {
          throw new SqsError(
            "QueueNameExists",
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return this.queueUrl(name);
    }
    this.checkRedrivePolicy(name, requested);
    validateTags(tags);
    const now = this.clock.now();
    await this.commit({
      op: "createQueue",
      queue: { name, attributes: requested, tags: { ...tags }, createdAt: now, lastModifiedAt: now },
    });
    return this.queueUrl(name);
  }

  getQueueUrl(name: string): string {
    if (!this.queues.has(name)) throw queueDoesNotExist();
    return this.queueUrl(name);
  }

  /** URLs of the queues whose names start with `prefix`, sorted by name. */
  listQueues(prefix = ""): string[] {
    return [...this.queues.keys()]
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((name) => this.queueUrl(name));
  }

  async deleteQueue(queue: string): Promise<void> {
    const state = this.requireQueue(queue);
    const written = this.commit({ op: "deleteQueue", queue: state.name });
    this.moveTasks.forgetSource(this.queueArn(state.name));
    state.wakeWaiters();
    await written;
  }

  async purgeQueue(queue: string): Promise<void> {
    await this.commit({ op: "purgeQueue", queue: this.requireQueue(queue).name });
  }

  /** `names` as in GetQueueAttributes: none returns nothing, "All" returns everything. */
  getQueueAttributes(queue: string, names: readonly string[] = []): Record<string, string> {
    const state = this.requireQueue(queue);
    for (const name of names) {
      const known =
        name === "All" ||
        SETTABLE_QUEUE_ATTRIBUTES.has(name) ||
        COMPUTED_QUEUE_ATTRIBUTES.has(name) ||
        FIFO_ONLY_QUEUE_ATTRIBUTES.has(name);
      if (!known) {
        throw new SqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      }
    }
    if (names.length === 0) return {};
    const now = this.clock.now();
    const depth = state.depth(now);
    const all: Record<string, string> = {
      QueueArn: this.queueArn(state.name),
      ApproximateNumberOfMessages: String(depth.visible),
      ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
      ApproximateNumberOfMessagesDelayed: String(depth.delayed),
      CreatedTimestamp: String(Math.floor(state.stored.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(state.stored.lastModifiedAt / 1000)),
      ...state.stored.attributes,
    };
    if (names.includes("All")) return all;
    return Object.fromEntries(names.flatMap((name) => (all[name] === undefined ? [] : [[name, all[name]]])));
  }

  async setQueueAttributes(queue: string, attributes: Readonly<Record<string, unknown>>): Promise<void> {
    const state = this.requireQueue(queue);
    const merged = mergeQueueAttributes(state.stored.attributes, attributes, false);
    if (attributes.RedrivePolicy) this.checkRedrivePolicy(state.name, merged);
    await this.commit({
      op: "setQueueAttributes",
      queue: state.name,
      attributes: merged,
      at: this.clock.now(),
    });
  }

  async tagQueue(queue: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const state = this.requireQueue(queue);
    validateTags({ ...state.stored.tags, ...tags });
    await this.commit({ op: "tagQueue", queue: state.name, tags: { ...tags } });
  }

  async untagQueue(queue: string, keys: readonly string[]): Promise<void> {
    await this.commit({ op: "untagQueue", queue: this.requireQueue(queue).name, keys: [...keys] });
  }

  listQueueTags(queue: string): Record<string, string> {
    return { ...this.requireQueue(queue).stored.tags };
  }

  /** URLs of the queues that use `queue` as their dead-letter queue. */
  listDeadLetterSourceQueues(queue: string): string[] {
    const name = this.requireQueue(queue).name;
    return [...this.queues.values()]
      .filter(
        (source) =>
          source.redrivePolicy && queueNameFromArn(source.redrivePolicy.deadLetterTargetArn) === name,
      )
      .map((source) => this.queueUrl(source.name))
      .sort();
  }

  /**
   * Seconds since the oldest message still in the queue was sent (CloudWatch's ApproximateAgeOfOldestMessage,
   * served by the local CloudWatch); 0 for an empty queue.
   */
  oldestMessageAgeSeconds(queue: string): number {
    const state = this.requireQueue(queue);
    const now = this.clock.now();
    state.dropExpired(now);
    let oldest = now;
    for (const message of state.messages.values()) oldest = Math.min(oldest, message.sentAt);
    return Math.max(0, Math.floor((now - oldest) / 1000));
  }

  /** Message counts by state, for tests and diagnostics. */
  queueDepth(queue: string): QueueDepth {
    return this.requireQueue(queue).depth(this.clock.now());
  }

  // ---- messages ----

  async sendMessage(queue: string, body: string, options: SendMessageOptions = {}): Promise<SentMessage> {
    const state = this.requireQueue(queue);
    validateMessageBody(body);
    const delaySeconds =
      optionalIntegerInRange(
        "DelaySeconds",
        options.delaySeconds,
        0,
        SQS_LIMITS.maxDelaySeconds,
        "DelaySeconds must be >= 0 and <= 900.",
      ) ?? state.integerAttribute("DelaySeconds");
    const attributes = validateMessageAttributes(options.messageAttributes);
    const systemAttributes = validateMessageSystemAttributes(options.messageSystemAttributes);
    const maximumSize = state.integerAttribute("MaximumMessageSize");
    if (messageSizeBytes(body, attributes) > maximumSize) {
      throw new SqsError(
        "InvalidParameterValue",
        `One or more parameters are invalid. Reason: Message must be shorter than ${maximumSize} bytes.`,
      );
    }
    const now = this.clock.now();
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody: md5OfBody(body),
      senderId: options.senderId ?? this.accountId,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    if (attributes) {
      message.attributes = attributes;
      message.md5OfAttributes = md5OfMessageAttributes(attributes);
    }
    if (systemAttributes) {
      message.systemAttributes = systemAttributes;
      message.md5OfSystemAttributes = md5OfMessageAttributes(systemAttributes);
    }
    const written = this.commit({ op: "send", queue: state.name, message });
    state.wakeWaiters();
    await written;
    return {
      MessageId: message.id,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
      ...(message.md5OfSystemAttributes
        ? { MD5OfMessageSystemAttributes: message.md5OfSystemAttributes }
        : {}),
    };
  }

  /**
   * Receives up to `max` messages. With a wait time, returns as soon as at least one message
   * is available, or with none when the wait ends.
   */
  async receiveMessages(queue: string, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const state = this.requireQueue(queue);
    const max =
      optionalIntegerInRange("MaxNumberOfMessages", options.max, 1, SQS_LIMITS.maxMessagesPerReceive) ?? 1;
    const requestedVisibility = optionalIntegerInRange(
      "VisibilityTimeout",
      options.visibilityTimeout,
      0,
      SQS_LIMITS.maxVisibilityTimeoutSeconds,
    );
    const waitTimeSeconds =
      optionalIntegerInRange(
        "WaitTimeSeconds",
        options.waitTimeSeconds,
        0,
        SQS_LIMITS.maxWaitTimeSeconds,
        "Must be >= 0 and <= 20, if provided.",
      ) ?? state.integerAttribute("ReceiveMessageWaitTimeSeconds");
    const selection = new AttributeSelection(
      options.attributeNames ?? [],
      options.messageAttributeNames ?? [],
    );
    const deadline = performance.now() + waitTimeSeconds * 1000;
    for (;;) {
      if (this.closed || this.queues.get(state.name) !== state) return [];
      // The queue's visibility timeout as it is when the messages are taken: a long poll may outlast a change.
      const visibilityTimeout = requestedVisibility ?? state.integerAttribute("VisibilityTimeout");
      const { messages, written } = this.receiveAvailable(state, max, visibilityTimeout, selection);
      if (written.length > 0) {
        await Promise.all(written);
        if (messages.length > 0) return messages;
        continue; // only dead-letter moves: look again, the queue may have changed while writing
      }
      // No await since the scan above, so no wake-up can have been missed before waiting.
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0 || options.signal?.aborted) return [];
      await this.waitForChange(state, remainingMs, options.signal);
    }
  }

  /**
   * Deletes the message received with `receiptHandle`. Like SQS, succeeds without deleting
   * when the message is already gone or the handle is not the latest one.
   */
  async deleteMessage(queue: string, receiptHandle: string): Promise<void> {
    const state = this.requireQueue(queue);
    const messageId = parseReceiptHandle(receiptHandle, state.name);
    const message = state.messages.get(messageId);
    if (!message || message.receiptHandle !== receiptHandle) return;
    await this.commit({ op: "delete", queue: state.name, id: messageId });
  }

  /** Makes an in-flight message visible again after `seconds` (0 = now). */
  async changeVisibility(queue: string, receiptHandle: string, seconds: number): Promise<void> {
    const state = this.requireQueue(queue);
    const maxSeconds = SQS_LIMITS.maxVisibilityTimeoutSeconds;
    if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0 || seconds > maxSeconds) {
      throw invalidParameter(
        "VisibilityTimeout",
        seconds,
        `Must be between 0 and ${maxSeconds}, if provided.`,
      );
    }
    const messageId = parseReceiptHandle(receiptHandle, state.name);
    const message = state.messages.get(messageId);
    const now = this.clock.now();
    if (!message) {
      throw invalidParameter(
        "ReceiptHandle",
        receiptHandle,
        "Message does not exist or is not available for visibility timeout change.",
      );
    }
    if (message.receiptHandle !== receiptHandle || message.visibleAt <= now) {
      throw new SqsError("MessageNotInflight", "The message referred to isn't in flight.");
    }
    // A message can stay invisible for at most 12 hours counted from its latest receive.
    if (now - (message.lastReceivedAt ?? now) + seconds * 1000 > maxSeconds * 1000) {
      throw invalidParameter(
        "VisibilityTimeout",
        seconds,
        `Total VisibilityTimeout for the message is beyond the limit [${maxSeconds} seconds]`,
      );
    }
    const written = this.commit({
      op: "changeVisibility",
      queue: state.name,
      id: messageId,
      visibleAt: now + seconds * 1000,
    });
    state.wakeWaiters();
    await written;
  }

  // ---- message move tasks ----

  startMessageMoveTask(input: StartMoveTaskInput): string {
    const source = this.queueForArn(input.sourceArn, "SourceArn");
    if (input.destinationArn !== undefined) this.queueForArn(input.destinationArn, "DestinationArn");
    const isDeadLetterQueue = [...this.queues.values()].some(
      (queue) =>
        queue.redrivePolicy && queueNameFromArn(queue.redrivePolicy.deadLetterTargetArn) === source.name,
    );
    if (!isDeadLetterQueue) {
      throw new SqsError("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.");
    }
    const rate = optionalIntegerInRange(
      "MaxNumberOfMessagesPerSecond",
      input.maxNumberOfMessagesPerSecond,
      1,
      SQS_LIMITS.maxMoveTaskRate,
    );
    source.dropExpired(this.clock.now());
    return this.moveTasks.start(
      this.queueArn(source.name),
      [...source.messages.keys()],
      input.destinationArn,
      rate,
    );
  }

  /** Most recent first; `maxResults` 1–10 (default 1). */
  listMessageMoveTasks(sourceArn: string, maxResults?: number): MoveTaskSummary[] {
    const source = this.queueForArn(sourceArn, "SourceArn");
    const max = optionalIntegerInRange("MaxResults", maxResults, 1, 10) ?? 1;
    return this.moveTasks.list(this.queueArn(source.name), max);
  }

  /** Returns how many messages were moved before the cancellation. */
  cancelMessageMoveTask(taskHandle: string): number {
    return this.moveTasks.cancel(taskHandle);
  }

  // ---- internals ----

  private requireQueue(queue: string): QueueState {
    const name = typeof queue === "string" ? queueNameFromReference(queue) : undefined;
    const state = name === undefined ? undefined : this.queues.get(name);
    if (!state) throw queueDoesNotExist();
    return state;
  }

  private queueForArn(arn: string, parameter: string): QueueState {
    const name = queueNameFromArn(arn);
    const state = name === undefined ? undefined : this.queues.get(name);
    if (!state) {
      throw new SqsError(
        "ResourceNotFoundException",
        `The resource that you specified for the ${parameter} parameter doesn't exist.`,
      );
    }
    return state;
  }

  /** Applies a change to the in-memory state and journals it; resolves once it is on disk. */
  private commit(record: JournalRecord): Promise<void> {
    applyRecord(this.queues, record);
    return this.journal.append(record);
  }

  /** A RedrivePolicy must name an existing queue whose RedriveAllowPolicy admits this source queue. */
  private checkRedrivePolicy(sourceName: string, attributes: Readonly<Record<string, string>>): void {
    if (!attributes.RedrivePolicy) return;
    const { deadLetterTargetArn } = parseRedrivePolicy(attributes.RedrivePolicy);
    const targetName = queueNameFromArn(deadLetterTargetArn);
    const target = targetName === undefined ? undefined : this.queues.get(targetName);
    if (!target) {
      throw invalidParameter("RedrivePolicy", attributes.RedrivePolicy, "Dead letter target does not exist.");
    }
    const allowPolicy = target.stored.attributes.RedriveAllowPolicy;
    if (!allowPolicy) return;
    const { redrivePermission, sourceQueueArns } = parseRedriveAllowPolicy(allowPolicy);
    const sourceArn = this.queueArn(sourceName);
    if (
      redrivePermission === "denyAll" ||
      (redrivePermission === "byQueue" && !sourceQueueArns?.includes(sourceArn))
    ) {
      throw invalidParameter(
        "RedrivePolicy",
        attributes.RedrivePolicy,
        `The RedriveAllowPolicy of ${deadLetterTargetArn} does not allow ${sourceArn} to use it as a dead-letter queue.`,
      );
    }
  }

  private deadLetterQueueOf(queue: QueueState): QueueState | undefined {
    if (!queue.redrivePolicy) return undefined;
    const target = this.queues.get(queueNameFromArn(queue.redrivePolicy.deadLetterTargetArn) ?? "");
    return target === queue ? undefined : target;
  }

  /**
   * Takes up to `max` visible messages. A message already received maxReceiveCount times goes to
   * the dead-letter queue instead of being returned, as on AWS.
   */
  private receiveAvailable(
    queue: QueueState,
    max: number,
    visibilityTimeoutSeconds: number,
    selection: AttributeSelection,
  ): { messages: ReceivedMessage[]; written: Promise<void>[] } {
    const now = this.clock.now();
    const messages: ReceivedMessage[] = [];
    const written: Promise<void>[] = [];
    const deadLetterQueue = this.deadLetterQueueOf(queue);
    for (const message of queue.messages.values()) {
      if (messages.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.isExpired(message, now)) {
        queue.messages.delete(message.id);
        continue;
      }
      if (
        deadLetterQueue &&
        queue.redrivePolicy &&
        message.receiveCount >= queue.redrivePolicy.maxReceiveCount
      ) {
        written.push(
          this.commit({
            op: "move",
            from: queue.name,
            to: deadLetterQueue.name,
            id: message.id,
            at: now,
            asNewMessage: false,
            deadLetterSourceArn: this.queueArn(queue.name),
          }),
        );
        deadLetterQueue.wakeWaiters();
        continue;
      }
      written.push(
        this.commit({
          op: "receive",
          queue: queue.name,
          id: message.id,
          receiptHandle: newReceiptHandle(queue.name, message.id),
          visibleAt: now + visibilityTimeoutSeconds * 1000,
          receiveCount: message.receiveCount + 1,
          firstReceivedAt: message.firstReceivedAt ?? now,
          at: now,
        }),
      );
      messages.push(selection.present(message));
    }
    return { messages, written };
  }

  /** Resolves when the queue changes, the next hidden message is due, the wait ends or `signal` aborts. */
  private waitForChange(
    queue: QueueState,
    maxWaitMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise((resolve) => {
      const untilNextVisible = queue.msUntilNextVisible(this.clock.now()) ?? Number.POSITIVE_INFINITY;
      const wake = () => {
        clearTimeout(timer);
        queue.waiters.delete(wake);
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, Math.min(maxWaitMs, untilNextVisible)));
      queue.waiters.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  private moveForTask(task: { sourceArn: string; destinationArn?: string }, messageId: string): MoveOutcome {
    const source = this.queues.get(queueNameFromArn(task.sourceArn) ?? "");
    if (!source) return { failureReason: "AWS.SimpleQueueService.NonExistentQueue" };
    const message = source.messages.get(messageId);
    const now = this.clock.now();
    if (!message || source.isExpired(message, now)) return "gone";
    if (message.visibleAt > now) return "inFlight";
    const destinationArn = task.destinationArn ?? message.deadLetterSourceArn;
    if (!destinationArn) return { failureReason: "CouldNotDetermineMessageSource" };
    const destination = this.queues.get(queueNameFromArn(destinationArn) ?? "");
    if (!destination) return { failureReason: "AWS.SimpleQueueService.NonExistentQueue" };
    this.commit({
      op: "move",
      from: source.name,
      to: destination.name,
      id: messageId,
      at: now,
      asNewMessage: true,
    })
      // Nobody awaits a background move; a failed write only means the move may be redone after a restart.
      .catch((error: unknown) =>
        console.error(`SQS journal write failed during a message move task: ${error}`),
      );
    destination.wakeWaiters();
    return "moved";
  }
}

/** Which attributes a receive returns, and the message in the shape it is returned. */
class AttributeSelection {
  private readonly systemNames: Set<string>;
  private readonly allMessageAttributes: boolean;
  private readonly messageAttributeNames: Set<string>;
  private readonly messageAttributePrefixes: string[];

  constructor(systemNames: readonly string[], messageAttributeNames: readonly string[]) {
    this.systemNames = systemNames.includes("All") ? new Set(SYSTEM_ATTRIBUTE_NAMES) : new Set(systemNames);
    this.allMessageAttributes = messageAttributeNames.some((name) => name === "All" || name === ".*");
    this.messageAttributeNames = new Set(messageAttributeNames.filter((name) => !name.endsWith(".*")));
    this.messageAttributePrefixes = messageAttributeNames
      .filter((name) => name.endsWith(".*") && name !== ".*")
      .map((name) => name.slice(0, -1));
  }

  present(message: StoredMessage): ReceivedMessage {
    const received: ReceivedMessage = {
      MessageId: message.id,
      ReceiptHandle: message.receiptHandle ?? "",
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      Attributes: this.systemAttributes(message),
    };
    const attributes = this.messageAttributes(message);
    if (attributes) {
      received.MessageAttributes = attributes;
      // The digest covers the attributes returned, so clients can verify a filtered set too.
      received.MD5OfMessageAttributes =
        attributes === message.attributes ? message.md5OfAttributes : md5OfMessageAttributes(attributes);
    }
    return received;
  }

  private systemAttributes(message: StoredMessage): Record<string, string> {
    const available: Record<string, string | undefined> = {
      SenderId: message.senderId,
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp:
        message.firstReceivedAt === undefined ? undefined : String(message.firstReceivedAt),
      AWSTraceHeader: message.systemAttributes?.AWSTraceHeader?.StringValue,
      DeadLetterQueueSourceArn: message.deadLetterSourceArn,
    };
    const selected: Record<string, string> = {};
    for (const name of this.systemNames) {
      const value = available[name];
      if (value !== undefined) selected[name] = value;
    }
    return selected;
  }

  private messageAttributes(message: StoredMessage): Record<string, StoredAttributeValue> | undefined {
    const attributes = message.attributes;
    if (!attributes) return undefined;
    if (this.allMessageAttributes) return attributes;
    const selected = Object.entries(attributes).filter(
      ([name]) =>
        this.messageAttributeNames.has(name) ||
        this.messageAttributePrefixes.some((prefix) => name.startsWith(prefix)),
    );
    return selected.length > 0 ? Object.fromEntries(selected) : undefined;
  }
}

/** Where SQS keeps its journal inside the local cloud's state folder. */
export function sqsStateDirectory(stateDir: string): string {
  return join(stateDir, "sqs");
}

/** Discards all persisted SQS state (what --reset does). Call while no engine is open on it. */
export async function resetSqsState(stateDir: string): Promise<void> {
  await rm(sqsStateDirectory(stateDir), { recursive: true, force: true });
}

/** The queue name in "arn:<partition>:sqs:<region>:<account>:<name>". */
export function queueNameFromArn(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts.length === 6 && parts[0] === "arn" && parts[2] === "sqs" && parts[5] ? parts[5] : undefined;
}

/** The queue name in a queue URL ("http://host/<account>/<name>"), an ARN, or a bare name. */
export function queueNameFromReference(reference: string): string | undefined {
  if (reference.startsWith("arn:")) return queueNameFromArn(reference);
  if (!reference.includes("/")) return reference || undefined;
  let path = reference;
  try {
    path = new URL(reference).pathname;
  } catch {
    // a path without a scheme and host, e.g. "/000000000000/orders"
  }
  return path.split("/").filter(Boolean).pop();
}

const RECEIPT_HANDLE_SEPARATOR = " ";

/** Opaque to clients; names the queue and message so a delete can find it, plus a nonce per receive. */
function newReceiptHandle(queueName: string, messageId: string): string {
  const nonce = randomBytes(16).toString("hex");
  return Buffer.from([queueName, messageId, nonce].join(RECEIPT_HANDLE_SEPARATOR), "utf8").toString("base64");
}

/** The message id in a receipt handle issued for `queueName`; throws ReceiptHandleIsInvalid otherwise. */
function parseReceiptHandle(receiptHandle: string, queueName: string): string {
  const parts =
    typeof receiptHandle === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(receiptHandle)
      ? Buffer.from(receiptHandle, "base64").toString("utf8").split(RECEIPT_HANDLE_SEPARATOR)
      : [];
  const [handleQueue, messageId, nonce] = parts;
  if (parts.length !== 3 || handleQueue !== queueName || !messageId || !nonce) {
    throw new SqsError(
      "ReceiptHandleIsInvalid",
      `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
    );
  }
  return messageId;
}

function validateTags(tags: Readonly<Record<string, string>>): void {
  const entries = Object.entries(tags);
  if (entries.length > 50)
    throw new SqsError("InvalidParameterValue", "Too many tags added for queue (maximum 50).");
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128 || typeof value !== "string" || value.length > 256) {
      throw new SqsError(
        "InvalidParameterValue",
        `Tag ${key} is invalid: keys are 1–128 characters, values up to 256.`,
      );
    }
  }
}
