/**
 * SQS limits and input rules (queue names, queue attributes, message bodies and attributes),
 * with the error names and wording SQS uses. Pure functions: anything that needs other queues
 * (does the dead-letter queue exist?) is checked by the engine.
 */
import { invalidParameter, SqsError } from "./sqs-errors.js";
import { isBinaryDataType } from "./sqs-message-digest.js";
import type { StoredAttributeValue } from "./sqs-store.js";

export const SQS_LIMITS = {
  maxQueueNameLength: 80,
  /** Current AWS maximum (and default) message size: 1 MiB. */
  maxMessageBytes: 1_048_576,
  minMessageBytes: 1_024,
  maxBatchEntries: 10,
  maxBatchBytes: 1_048_576,
  maxBatchEntryIdLength: 80,
  maxVisibilityTimeoutSeconds: 43_200,
  maxDelaySeconds: 900,
  maxWaitTimeSeconds: 20,
  maxMessagesPerReceive: 10,
  maxMessageAttributes: 10,
  maxAttributeNameLength: 256,
  maxReceiveCount: 1_000,
  maxMoveTaskRate: 500,
} as const;

/** Attribute values of a new queue, as GetQueueAttributes reports them. */
export const QUEUE_ATTRIBUTE_DEFAULTS: Readonly<Record<string, string>> = {
  DelaySeconds: "0",
  MaximumMessageSize: String(SQS_LIMITS.maxMessageBytes),
  MessageRetentionPeriod: "345600",
  ReceiveMessageWaitTimeSeconds: "0",
  VisibilityTimeout: "30",
  SqsManagedSseEnabled: "true",
};

const INTEGER_QUEUE_ATTRIBUTES: Readonly<Record<string, readonly [min: number, max: number]>> = {
  DelaySeconds: [0, SQS_LIMITS.maxDelaySeconds],
  MaximumMessageSize: [SQS_LIMITS.minMessageBytes, SQS_LIMITS.maxMessageBytes],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, SQS_LIMITS.maxWaitTimeSeconds],
  VisibilityTimeout: [0, SQS_LIMITS.maxVisibilityTimeoutSeconds],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

/** Attributes that may be removed by setting them to "". */
const CLEARABLE_QUEUE_ATTRIBUTES = new Set([
  "Policy",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
]);

export const SETTABLE_QUEUE_ATTRIBUTES = new Set([
  ...Object.keys(INTEGER_QUEUE_ATTRIBUTES),
  ...CLEARABLE_QUEUE_ATTRIBUTES,
  "SqsManagedSseEnabled",
]);

/** Attributes GetQueueAttributes computes rather than stores. */
export const COMPUTED_QUEUE_ATTRIBUTES = new Set([
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesDelayed",
  "ApproximateNumberOfMessagesNotVisible",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
]);

/** Attributes of FIFO queues: refused when set, never reported (standard queues only here). */
export const FIFO_ONLY_QUEUE_ATTRIBUTES = new Set([
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
]);

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface RedriveAllowPolicy {
  redrivePermission: "allowAll" | "denyAll" | "byQueue";
  sourceQueueArns?: string[];
}

export function validateQueueName(name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new SqsError("MissingParameter", "The request must contain the parameter QueueName.");
  }
  if (name.endsWith(".fifo")) {
    throw new SqsError(
      "UnsupportedOperation",
      `FIFO queues are not supported by the local SQS emulator (queue ${name}); use a standard queue.`,
    );
  }
  if (name.length > SQS_LIMITS.maxQueueNameLength || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new SqsError(
      "InvalidParameterValue",
      "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
    );
  }
  return name;
}

/**
 * Validates requested queue attributes and merges them over `current` (defaults for a new
 * queue), returning the canonical form stored and compared by CreateQueue.
 */
export function mergeQueueAttributes(
  current: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, unknown>>,
  isCreate: boolean,
): Record<string, string> {
  const merged: Record<string, string> = { ...current };
  for (const [name, rawValue] of Object.entries(requested)) {
    if (typeof rawValue !== "string") {
      throw new SqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
    }
    if (FIFO_ONLY_QUEUE_ATTRIBUTES.has(name)) {
      if (name === "FifoQueue" && rawValue === "false" && isCreate) continue;
      if (name === "FifoQueue" && rawValue === "true") {
        throw new SqsError(
          "UnsupportedOperation",
          "FIFO queues are not supported by the local SQS emulator; use a standard queue.",
        );
      }
      throw new SqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    if (!SETTABLE_QUEUE_ATTRIBUTES.has(name)) {
      throw new SqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    if (rawValue === "" && CLEARABLE_QUEUE_ATTRIBUTES.has(name)) {
      delete merged[name];
      if (name === "KmsMasterKeyId") delete merged.KmsDataKeyReusePeriodSeconds;
      continue;
    }
    merged[name] = canonicalQueueAttributeValue(name, rawValue);
  }
  if (requested.KmsMasterKeyId !== undefined && merged.KmsMasterKeyId !== undefined) {
    if (requested.SqsManagedSseEnabled === "true") {
      throw new SqsError(
        "InvalidAttributeValue",
        "You can use one type of server-side encryption (SSE) at one time: KmsMasterKeyId or SqsManagedSseEnabled.",
      );
    }
    merged.SqsManagedSseEnabled = "false";
    merged.KmsDataKeyReusePeriodSeconds ??= "300";
  }
  if (requested.SqsManagedSseEnabled === "true") {
    delete merged.KmsMasterKeyId;
    delete merged.KmsDataKeyReusePeriodSeconds;
  }
  return merged;
}

function canonicalQueueAttributeValue(name: string, value: string): string {
  const range = INTEGER_QUEUE_ATTRIBUTES[name];
  if (range) {
    const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(number >= range[0] && number <= range[1])) {
      throw new SqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
    }
    return String(number);
  }
  switch (name) {
    case "SqsManagedSseEnabled":
      if (value !== "true" && value !== "false") {
        throw new SqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      }
      return value;
    case "RedrivePolicy":
      return JSON.stringify(parseRedrivePolicy(value));
    case "RedriveAllowPolicy":
      return JSON.stringify(parseRedriveAllowPolicy(value));
    case "Policy":
      if (!isJsonObject(value))
        throw new SqsError("InvalidAttributeValue", "Invalid value for the parameter Policy.");
      return value;
    default:
      return value;
  }
}

/** Parses a RedrivePolicy as SQS accepts it (maxReceiveCount may be a number or a numeric string). */
export function parseRedrivePolicy(value: string): RedrivePolicy {
  const fail = (reason: string) => invalidParameter("RedrivePolicy", value, reason);
  const policy = parseJsonObject(value);
  if (!policy) throw fail("Redrive policy is not a valid JSON map.");
  const { deadLetterTargetArn, maxReceiveCount } = policy;
  if (typeof deadLetterTargetArn !== "string" || !deadLetterTargetArn.startsWith("arn:")) {
    throw fail("Invalid value for deadLetterTargetArn.");
  }
  const count = typeof maxReceiveCount === "string" ? Number(maxReceiveCount) : maxReceiveCount;
  if (
    typeof count !== "number" ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > SQS_LIMITS.maxReceiveCount
  ) {
    throw fail(
      `Invalid value for maxReceiveCount: ${String(maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  const unknownKey = Object.keys(policy).find(
    (key) => key !== "deadLetterTargetArn" && key !== "maxReceiveCount",
  );
  if (unknownKey)
    throw fail(`Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].`);
  return { deadLetterTargetArn, maxReceiveCount: count };
}

export function parseRedriveAllowPolicy(value: string): RedriveAllowPolicy {
  const fail = (reason: string) => invalidParameter("RedriveAllowPolicy", value, reason);
  const policy = parseJsonObject(value);
  if (!policy) throw fail("Redrive allow policy is not a valid JSON map.");
  const { redrivePermission, sourceQueueArns } = policy;
  if (
    redrivePermission !== "allowAll" &&
    redrivePermission !== "denyAll" &&
    redrivePermission !== "byQueue"
  ) {
    throw fail("Invalid value for redrivePermission; valid values are allowAll, denyAll and byQueue.");
  }
  if (redrivePermission !== "byQueue") {
    if (sourceQueueArns !== undefined)
      throw fail("sourceQueueArns is only allowed when redrivePermission is byQueue.");
    return { redrivePermission };
  }
  if (
    !Array.isArray(sourceQueueArns) ||
    sourceQueueArns.length < 1 ||
    sourceQueueArns.length > 10 ||
    !sourceQueueArns.every((arn) => typeof arn === "string")
  ) {
    throw fail("sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.");
  }
  return { redrivePermission, sourceQueueArns: sourceQueueArns as string[] };
}

function parseJsonObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isJsonObject(value: string): boolean {
  return parseJsonObject(value) !== undefined;
}

/** Characters SQS accepts in message bodies and string attribute values (the XML 1.0 character set). */
const DISALLOWED_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function validateMessageBody(body: unknown): string {
  if (typeof body !== "string")
    throw new SqsError("MissingParameter", "The request must contain the parameter MessageBody.");
  if (body === "") {
    throw invalidParameter("MessageBody", "''", "Message must contain at least one character.");
  }
  const invalid = DISALLOWED_CHARACTER.exec(body);
  if (invalid) {
    throw new SqsError(
      "InvalidMessageContents",
      `Invalid binary character '#x${invalid[0].codePointAt(0)?.toString(16).toUpperCase()}' was found in the message body, ` +
        "the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    );
  }
  return body;
}

/** A message attribute as callers pass it: BinaryValue as bytes, or base64 as it arrives on the wire. */
export interface MessageAttributeInput {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array | string;
  StringListValues?: string[];
  BinaryListValues?: Uint8Array[];
}

/** Validates user message attributes and converts them to their stored form. */
export function validateMessageAttributes(
  attributes: Readonly<Record<string, MessageAttributeInput>> | undefined,
): Record<string, StoredAttributeValue> | undefined {
  const names = Object.keys(attributes ?? {});
  if (!attributes || names.length === 0) return undefined;
  if (names.length > SQS_LIMITS.maxMessageAttributes) {
    throw new SqsError(
      "InvalidParameterValue",
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${SQS_LIMITS.maxMessageAttributes}].`,
    );
  }
  const stored: Record<string, StoredAttributeValue> = {};
  for (const name of names) {
    validateAttributeName(name);
    stored[name] = validateAttributeValue(name, attributes[name]);
  }
  return stored;
}

/** Senders may set only AWSTraceHeader, a String. */
export function validateMessageSystemAttributes(
  attributes: Readonly<Record<string, MessageAttributeInput>> | undefined,
): Record<string, StoredAttributeValue> | undefined {
  const names = Object.keys(attributes ?? {});
  if (!attributes || names.length === 0) return undefined;
  const stored: Record<string, StoredAttributeValue> = {};
  for (const name of names) {
    if (name !== "AWSTraceHeader") {
      throw new SqsError("InvalidParameterValue", `Message system attribute name '${name}' is invalid.`);
    }
    const value = validateAttributeValue(name, attributes[name]);
    if (value.DataType !== "String") {
      throw new SqsError(
        "InvalidParameterValue",
        `Message system attribute '${name}' has an invalid data type '${value.DataType}'; it must be String.`,
      );
    }
    stored[name] = value;
  }
  return stored;
}

function validateAttributeName(name: string): void {
  const lower = name.toLowerCase();
  const valid =
    name.length <= SQS_LIMITS.maxAttributeNameLength &&
    /^[A-Za-z0-9_.-]+$/.test(name) &&
    !name.startsWith(".") &&
    !name.endsWith(".") &&
    !name.includes("..") &&
    !lower.startsWith("aws.") &&
    !lower.startsWith("amazon.");
  if (!valid) {
    throw new SqsError(
      "InvalidParameterValue",
      `Message (user) attribute name '${name}' is invalid. The attribute name can contain alphanumeric characters, ` +
        "hyphens, underscores and periods, must not start or end with a period, must not contain successive " +
        "periods, must not start with AWS. or Amazon., and must be at most 256 characters long.",
    );
  }
}

function validateAttributeValue(
  name: string,
  value: MessageAttributeInput | undefined,
): StoredAttributeValue {
  const dataType = value?.DataType;
  if (!value || typeof dataType !== "string" || dataType === "") {
    throw new SqsError(
      "InvalidParameterValue",
      `The message attribute '${name}' must contain a non-empty message attribute type.`,
    );
  }
  if (
    dataType.length > SQS_LIMITS.maxAttributeNameLength ||
    !/^(String|Number|Binary)(\..+)?$/.test(dataType)
  ) {
    throw new SqsError(
      "InvalidParameterValue",
      `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  if (isBinaryDataType(dataType)) {
    const bytes =
      typeof value.BinaryValue === "string" ? Buffer.from(value.BinaryValue, "base64") : value.BinaryValue;
    if (!bytes || bytes.length === 0) {
      throw new SqsError(
        "InvalidParameterValue",
        `The message attribute '${name}' with type 'Binary' must use field 'Binary'.`,
      );
    }
    return { DataType: dataType, BinaryValue: Buffer.from(bytes).toString("base64") };
  }
  const text = value.StringValue;
  if (typeof text !== "string" || text === "") {
    const field = dataType.startsWith("Number") ? "Number" : "String";
    throw new SqsError(
      "InvalidParameterValue",
      `The message attribute '${name}' with type '${field}' must use field 'String'.`,
    );
  }
  if (DISALLOWED_CHARACTER.test(text)) {
    throw new SqsError(
      "InvalidParameterValue",
      `Message attribute '${name}' contains characters SQS does not allow.`,
    );
  }
  if (dataType.startsWith("Number") && !isSqsNumber(text)) {
    throw new SqsError(
      "InvalidParameterValue",
      `Can't cast the value of message (user) attribute '${name}' to a number.`,
    );
  }
  return { DataType: dataType, StringValue: text };
}

/** SQS numbers: up to 38 significant digits, magnitude between 10^-128 and 10^126. */
function isSqsNumber(text: string): boolean {
  const match = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.exec(text);
  if (!match?.[1]) return false;
  const significantDigits = match[1].replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  if (significantDigits.length > 38) return false;
  const magnitude = Math.abs(Number(text));
  return magnitude === 0 || (magnitude >= 1e-128 && magnitude <= 1e126);
}

/** Size counted against MaximumMessageSize: body plus each attribute's name, type and value (system attributes excluded). */
export function messageSizeBytes(
  body: string,
  attributes: Readonly<Record<string, MessageAttributeInput>> | undefined,
): number {
  let size = Buffer.byteLength(body, "utf8");
  for (const [name, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType ?? "", "utf8");
    const binary = value.BinaryValue;
    if (typeof binary === "string") size += Buffer.byteLength(binary, "base64");
    else if (binary) size += binary.length;
    else size += Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return size;
}

/** Checks an optional integer request parameter against its range; returns it (or undefined). */
export function optionalIntegerInRange(
  parameter: string,
  value: unknown,
  min: number,
  max: number,
  reason = `Must be between ${min} and ${max}, if provided.`,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(parameter, value, reason);
  }
  return value;
}
