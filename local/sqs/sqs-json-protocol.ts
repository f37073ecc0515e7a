/**
 * The SQS AWS JSON 1.0 protocol (what @aws-sdk/client-sqs v3 speaks): turns one request
 * (action name from `X-Amz-Target: AmazonSQS.<Action>`, parsed JSON body) into engine calls and
 * the response body or error shape the SDK expects. Transport-free: sqs-http.ts does the HTTP.
 */
import type { SqsEngine } from "./sqs-engine.js";
import { invalidParameter, isSqsError, missingParameter, queueDoesNotExist, SqsError } from "./sqs-errors.js";
import {
  type MessageAttributeInput,
  messageSizeBytes,
  optionalIntegerInRange,
  SQS_LIMITS,
} from "./sqs-validation.js";

export const SQS_JSON_CONTENT_TYPE = "application/x-amz-json-1.0";

export interface SqsResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface SqsRequestContext {
  /** Aborted when the client disconnects; ends a long poll early. */
  signal?: AbortSignal;
}

type ActionHandler = (engine: SqsEngine, input: RequestInput, context: SqsRequestContext) => unknown;

/** Handles one SQS JSON request. Never throws: failures become SQS error responses. */
export async function handleSqsRequest(
  engine: SqsEngine,
  action: string,
  body: unknown,
  context: SqsRequestContext = {},
): Promise<SqsResponse> {
  try {
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler) {
      if (UNSUPPORTED_ACTIONS.has(action)) {
        throw new SqsError("UnsupportedOperation", `${action} is not supported by the local SQS emulator.`);
      }
      throw new SqsError("UnknownOperationException", `Unknown operation ${action}.`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new SqsError("SerializationException", "The request body must be a JSON object.");
    }
    const result = await handler(engine, new RequestInput(body as Record<string, unknown>), context);
    return { status: 200, headers: { "content-type": SQS_JSON_CONTENT_TYPE }, body: result ?? {} };
  } catch (error) {
    return sqsErrorResponse(error);
  }
}

/** The JSON protocol error shape: `__type` + `message`, and the query-compatible error header. */
export function sqsErrorResponse(error: unknown): SqsResponse {
  const sqsError = isSqsError(error)
    ? error
    : new SqsError(
        "InternalError",
        `Internal error in the local SQS emulator: ${(error as Error)?.message ?? error}`,
      );
  if (!isSqsError(error)) console.error(error);
  const { type, queryCode, status, senderFault } = sqsError.wire;
  const headers: Record<string, string> = { "content-type": SQS_JSON_CONTENT_TYPE };
  if (queryCode) headers["x-amzn-query-error"] = `${queryCode};${senderFault ? "Sender" : "Receiver"}`;
  return { status, headers, body: { __type: type, message: sqsError.message } };
}

const UNSUPPORTED_ACTIONS = new Set(["AddPermission", "RemovePermission"]);

const ACTIONS: Record<string, ActionHandler> = {
  async CreateQueue(engine, input) {
    const url = await engine.createQueue(
      input.requiredString("QueueName"),
      input.stringMap("Attributes"),
      input.stringMap("tags"),
    );
    return { QueueUrl: url };
  },

  GetQueueUrl(engine, input) {
    return { QueueUrl: engine.getQueueUrl(input.requiredString("QueueName")) };
  },

  ListQueues(engine, input) {
    const urls = engine.listQueues(input.optionalString("QueueNamePrefix") ?? "");
    const page = paginate(urls, input, 1000);
    return { ...(page.items.length > 0 ? { QueueUrls: page.items } : {}), ...page.next };
  },

  async DeleteQueue(engine, input) {
    await engine.deleteQueue(input.queueUrl());
  },

  async PurgeQueue(engine, input) {
    await engine.purgeQueue(input.queueUrl());
  },

  GetQueueAttributes(engine, input) {
    const attributes = engine.getQueueAttributes(input.queueUrl(), input.stringList("AttributeNames"));
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  },

  async SetQueueAttributes(engine, input) {
    const queueUrl = input.queueUrl();
    await engine.setQueueAttributes(
      queueUrl,
      input.requiredValue("Attributes", input.stringMap("Attributes")),
    );
  },

  async TagQueue(engine, input) {
    const queueUrl = input.queueUrl();
    await engine.tagQueue(queueUrl, input.requiredValue("Tags", input.stringMap("Tags")));
  },

  async UntagQueue(engine, input) {
    const queueUrl = input.queueUrl();
    await engine.untagQueue(queueUrl, input.requiredValue("TagKeys", input.stringList("TagKeys")));
  },

  ListQueueTags(engine, input) {
    const tags = engine.listQueueTags(input.queueUrl());
    return Object.keys(tags).length > 0 ? { Tags: tags } : {};
  },

  ListDeadLetterSourceQueues(engine, input) {
    const page = paginate(engine.listDeadLetterSourceQueues(input.queueUrl()), input, 1000);
    return { queueUrls: page.items, ...page.next };
  },

  async SendMessage(engine, input) {
    const queueUrl = input.queueUrl();
    return engine.sendMessage(queueUrl, input.requiredString("MessageBody"), sendOptions(input));
  },

  async SendMessageBatch(engine, input) {
    const queueUrl = input.queueUrl();
    const entries = batchEntries(engine, queueUrl, input);
    let totalBytes = 0;
    for (const entry of entries) {
      const body = entry.optionalString("MessageBody") ?? "";
      totalBytes += messageSizeBytes(body, entry.attributeMap("MessageAttributes"));
    }
    if (totalBytes > SQS_LIMITS.maxBatchBytes) {
      throw new SqsError(
        "BatchRequestTooLong",
        `Batch requests cannot be longer than ${SQS_LIMITS.maxBatchBytes} bytes. You have sent ${totalBytes} bytes.`,
      );
    }
    return runBatch(entries, (entry) =>
      engine.sendMessage(queueUrl, entry.requiredString("MessageBody"), sendOptions(entry)),
    );
  },

  async ReceiveMessage(engine, input, context) {
    const queueUrl = input.queueUrl();
    const messages = await engine.receiveMessages(queueUrl, {
      max: input.optionalInteger("MaxNumberOfMessages"),
      visibilityTimeout: input.optionalInteger("VisibilityTimeout"),
      waitTimeSeconds: input.optionalInteger("WaitTimeSeconds"),
      // AttributeNames is the deprecated spelling of MessageSystemAttributeNames.
      attributeNames: [
        ...input.stringList("AttributeNames"),
        ...input.stringList("MessageSystemAttributeNames"),
      ],
      messageAttributeNames: input.stringList("MessageAttributeNames"),
      signal: context.signal,
    });
    return messages.length > 0 ? { Messages: messages } : {};
  },

  async DeleteMessage(engine, input) {
    const queueUrl = input.queueUrl();
    await engine.deleteMessage(queueUrl, input.requiredString("ReceiptHandle"));
  },

  async DeleteMessageBatch(engine, input) {
    const queueUrl = input.queueUrl();
    return runBatch(batchEntries(engine, queueUrl, input), (entry) =>
      engine.deleteMessage(queueUrl, entry.requiredString("ReceiptHandle")),
    );
  },

  async ChangeMessageVisibility(engine, input) {
    const queueUrl = input.queueUrl();
    await engine.changeVisibility(
      queueUrl,
      input.requiredString("ReceiptHandle"),
      input.requiredValue("VisibilityTimeout", input.optionalInteger("VisibilityTimeout")),
    );
  },

  async ChangeMessageVisibilityBatch(engine, input) {
    const queueUrl = input.queueUrl();
    return runBatch(batchEntries(engine, queueUrl, input), (entry) =>
      engine.changeVisibility(
        queueUrl,
        entry.requiredString("ReceiptHandle"),
        entry.requiredValue("VisibilityTimeout", entry.optionalInteger("VisibilityTimeout")),
      ),
    );
  },

  StartMessageMoveTask(engine, input) {
    const taskHandle = engine.startMessageMoveTask({
      sourceArn: input.requiredString("SourceArn"),
      destinationArn: input.optionalString("DestinationArn"),
      maxNumberOfMessagesPerSecond: input.optionalInteger("MaxNumberOfMessagesPerSecond"),
    });
    return { TaskHandle: taskHandle };
  },

  ListMessageMoveTasks(engine, input) {
    const results = engine.listMessageMoveTasks(
      input.requiredString("SourceArn"),
      input.optionalInteger("MaxResults"),
    );
    return { Results: results };
  },

  CancelMessageMoveTask(engine, input) {
    return {
      ApproximateNumberOfMessagesMoved: engine.cancelMessageMoveTask(input.requiredString("TaskHandle")),
    };
  },
};

function sendOptions(input: RequestInput) {
  return {
    delaySeconds: input.optionalInteger("DelaySeconds"),
    messageAttributes: input.attributeMap("MessageAttributes"),
    messageSystemAttributes: input.attributeMap("MessageSystemAttributes"),
  };
}

/** Checks the batch as a whole (the request fails) before entries are run one by one (entries fail). */
function batchEntries(engine: SqsEngine, queueUrl: string, input: RequestInput): RequestInput[] {
  if (!engine.hasQueue(queueUrl)) throw queueDoesNotExist();
  const entries = input.requiredValue("Entries", input.objectList("Entries"));
  if (entries.length === 0) {
    throw new SqsError(
      "EmptyBatchRequest",
      "There should be at least one batch request entry in the request.",
    );
  }
  if (entries.length > SQS_LIMITS.maxBatchEntries) {
    throw new SqsError(
      "TooManyEntriesInBatchRequest",
      `Maximum number of entries per request are ${SQS_LIMITS.maxBatchEntries}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = entry.optionalString("Id");
    if (id === undefined || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new SqsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (seen.has(id)) throw new SqsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries;
}

/** Runs entries concurrently (their journal writes share one fsync) and reports each one's outcome. */
async function runBatch(
  entries: RequestInput[],
  run: (entry: RequestInput) => Promise<unknown>,
): Promise<{ Successful: object[]; Failed: object[] }> {
  const outcomes = await Promise.allSettled(entries.map((entry) => run(entry)));
  const Successful: object[] = [];
  const Failed: object[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    const Id = entries[index]?.optionalString("Id");
    if (outcome.status === "fulfilled") {
      Successful.push({ Id, ...(isPlainObject(outcome.value) ? outcome.value : {}) });
      continue;
    }
    const error: unknown = outcome.reason;
    // Only SQS's own errors are the entry's fault; anything else fails the request.
    if (!isSqsError(error)) throw error;
    Failed.push({
      Id,
      SenderFault: error.wire.senderFault,
      Code: error.wire.queryCode ?? error.code,
      Message: error.message,
    });
  }
  return { Successful, Failed };
}

/** ListQueues-style paging: all items (up to `cap`) without MaxResults, else pages with an opaque NextToken. */
function paginate(
  items: string[],
  input: RequestInput,
  cap: number,
): { items: string[]; next: { NextToken?: string } } {
  const maxResults = optionalIntegerInRange("MaxResults", input.optionalInteger("MaxResults"), 1, cap);
  const token = input.optionalString("NextToken");
  let start = 0;
  if (token !== undefined) {
    const after = decodeNextToken(token);
    start = items.findIndex((item) => item > after);
    if (start < 0) start = items.length;
  }
  if (maxResults === undefined) return { items: items.slice(start, start + cap), next: {} };
  const page = items.slice(start, start + maxResults);
  const last = page[page.length - 1];
  const hasMore = start + maxResults < items.length && last !== undefined;
  return {
    items: page,
    next: hasMore ? { NextToken: Buffer.from(JSON.stringify({ after: last })).toString("base64") } : {},
  };
}

function decodeNextToken(token: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { after?: unknown };
    if (typeof after === "string") return after;
  } catch {
    // fall through
  }
  throw invalidParameter("NextToken", token, "Invalid NextToken value.");
}

/** Typed access to a request body (or batch entry) with SQS's errors for missing or mistyped members. */
class RequestInput {
  constructor(private readonly members: Record<string, unknown>) {}

  queueUrl(): string {
    return this.requiredString("QueueUrl");
  }

  requiredString(name: string): string {
    return this.requiredValue(name, this.optionalString(name));
  }

  requiredValue<T>(name: string, value: T | undefined): T {
    if (value === undefined) throw missingParameter(name);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw invalidParameter(name, JSON.stringify(value), "Must be a string.");
    return value;
  }

  optionalInteger(name: string): number | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw invalidParameter(name, JSON.stringify(value), "Must be an integer.");
    }
    return value;
  }

  stringList(name: string): string[] {
    const value = this.members[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      throw invalidParameter(name, JSON.stringify(value), "Must be a list of strings.");
    }
    return value;
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value) || !Object.values(value).every((item) => typeof item === "string")) {
      throw invalidParameter(name, JSON.stringify(value), "Must be a map of strings.");
    }
    return value as Record<string, string>;
  }

  /** Message (system) attributes; BinaryValue stays base64 as it came. */
  attributeMap(name: string): Record<string, MessageAttributeInput> | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value) || !Object.values(value).every(isPlainObject)) {
      throw invalidParameter(name, JSON.stringify(value), "Must be a map of message attribute values.");
    }
    return value as Record<string, MessageAttributeInput>;
  }

  objectList(name: string): RequestInput[] | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every(isPlainObject)) {
      throw invalidParameter(name, "[...]", "Must be a list of entries.");
    }
    return value.map((entry) => new RequestInput(entry));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
