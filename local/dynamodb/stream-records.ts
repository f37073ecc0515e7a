/**
 * DynamoDB stream records exactly as Lambda receives them in a DynamoDB stream event, and the rule that
 * decides whether a write produced one: only a real change to the item does (AWS writes no record for a
 * PutItem or UpdateItem that leaves the item as it was, nor for deleting a missing item).
 */
import type { AttributeMap, AttributeValue } from "./dynalite-engine";

export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";
export const STREAM_VIEW_TYPES: readonly StreamViewType[] = [
  "KEYS_ONLY",
  "NEW_IMAGE",
  "OLD_IMAGE",
  "NEW_AND_OLD_IMAGES",
];

export type StreamEventName = "INSERT" | "MODIFY" | "REMOVE";

/** One record of a Lambda DynamoDB stream event (`event.Records[n]`), field order as AWS sends it. */
export type DynamoDbStreamRecord = {
  eventID: string;
  eventName: StreamEventName;
  eventVersion: "1.1";
  eventSource: "aws:dynamodb";
  awsRegion: string;
  dynamodb: {
    /** Seconds since the epoch. */
    ApproximateCreationDateTime: number;
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    /** Increasing within the stream; compare numerically (they are decimal strings of 21+ digits). */
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
  eventSourceARN: string;
};

/** What a write did to one item, before the stream adds its identity, sequence number and time. */
export interface ItemChange {
  eventName: StreamEventName;
  keys: AttributeMap;
  oldImage?: AttributeMap;
  newImage?: AttributeMap;
}

/** The change from `before` to `after` (either may be missing), or undefined when nothing changed. */
export function itemChange(
  keyAttributes: readonly string[],
  before: AttributeMap | undefined,
  after: AttributeMap | undefined,
): ItemChange | undefined {
  if (!before && !after) return undefined;
  if (before && after && itemsEqual(before, after)) return undefined;
  const eventName: StreamEventName = !before ? "INSERT" : !after ? "REMOVE" : "MODIFY";
  const source = (after ?? before) as AttributeMap;
  const keys: AttributeMap = {};
  for (const name of keyAttributes) {
    const value = source[name];
    if (value !== undefined) keys[name] = value;
  }
  return {
    eventName,
    keys,
    ...(before ? { oldImage: before } : {}),
    ...(after ? { newImage: after } : {}),
  };
}

/** Builds the Lambda-shaped record, keeping only the images the stream view type includes. */
export function streamRecord(
  change: ItemChange,
  stream: { streamArn: string; streamViewType: StreamViewType; region: string },
  identity: { eventID: string; sequenceNumber: string; createdAtSeconds: number },
  itemSize: (item: AttributeMap) => number,
): DynamoDbStreamRecord {
  const view = stream.streamViewType;
  const newImage = view === "NEW_IMAGE" || view === "NEW_AND_OLD_IMAGES" ? change.newImage : undefined;
  const oldImage = view === "OLD_IMAGE" || view === "NEW_AND_OLD_IMAGES" ? change.oldImage : undefined;
  const sizeBytes =
    itemSize(change.keys) + (newImage ? itemSize(newImage) : 0) + (oldImage ? itemSize(oldImage) : 0);
  return {
    eventID: identity.eventID,
    eventName: change.eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: stream.region,
    dynamodb: {
      ApproximateCreationDateTime: identity.createdAtSeconds,
      Keys: change.keys,
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: identity.sequenceNumber,
      SizeBytes: sizeBytes,
      StreamViewType: view,
    },
    eventSourceARN: stream.streamArn,
  };
}

/** DynamoDB equality of items: maps and sets are unordered, numbers compare by value. */
export function itemsEqual(a: AttributeMap, b: AttributeMap): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const other = b[key];
    if (other === undefined || !valuesEqual(a[key] as AttributeValue, other)) return false;
  }
  return true;
}

function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if (a.S !== undefined) return a.S === b.S;
  if (a.N !== undefined) return b.N !== undefined && canonicalNumber(a.N) === canonicalNumber(b.N);
  if (a.B !== undefined) return a.B === b.B;
  if (a.BOOL !== undefined) return a.BOOL === b.BOOL;
  if (a.NULL !== undefined) return b.NULL !== undefined;
  if (a.SS) return b.SS !== undefined && sameSet(a.SS, b.SS);
  if (a.BS) return b.BS !== undefined && sameSet(a.BS, b.BS);
  if (a.NS) return b.NS !== undefined && sameSet(a.NS.map(canonicalNumber), b.NS.map(canonicalNumber));
  if (a.M) return b.M !== undefined && itemsEqual(a.M, b.M);
  if (a.L) {
    const list = b.L;
    return (
      list !== undefined &&
      list.length === a.L.length &&
      a.L.every((v, i) => valuesEqual(v, list[i] as AttributeValue))
    );
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const members = new Set(a);
  return b.every((value) => members.has(value));
}

/** A number's value as one string: "1.50", "+1.5" and "15e-1" are all "15e-1". */
export function canonicalNumber(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return text;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  let digits = (whole + fraction).replace(/^0+/, "");
  let power = Number(exponent) - fraction.length;
  if (digits === "") return "0";
  const trailing = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  return `${sign === "-" ? "-" : ""}${digits}e${power}`;
}
