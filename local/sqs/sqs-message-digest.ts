/**
 * MD5 digests SQS returns with messages. Clients verify them (the v3 SDK checks the body digest,
 * the Java SDK also the attribute digest), so they must match AWS bit for bit.
 */
import { createHash } from "node:crypto";
import type { StoredAttributeValue } from "./sqs-store.js";

export function md5OfBody(body: string): string {
  return createHash("md5").update(body, "utf8").digest("hex");
}

/**
 * Digest of message (or message system) attributes, as the SQS developer guide specifies:
 * attributes sorted by name; for each, the 4-byte big-endian length and UTF-8 bytes of the
 * name, then of the data type, then a transport byte (1 = string, for String and Number
 * types; 2 = binary) and the 4-byte length and bytes of the value.
 * Returns undefined when there are no attributes: SQS then omits the digest.
 */
export function md5OfMessageAttributes(
  attributes: Record<string, StoredAttributeValue> | undefined,
): string | undefined {
  const names = Object.keys(attributes ?? {}).sort();
  if (!attributes || names.length === 0) return undefined;
  const hash = createHash("md5");
  for (const name of names) {
    const attribute = attributes[name];
    if (!attribute) continue;
    updateWithLengthPrefixed(hash, Buffer.from(name, "utf8"));
    updateWithLengthPrefixed(hash, Buffer.from(attribute.DataType, "utf8"));
    if (isBinaryDataType(attribute.DataType)) {
      hash.update(Uint8Array.of(2));
      updateWithLengthPrefixed(hash, Buffer.from(attribute.BinaryValue ?? "", "base64"));
    } else {
      hash.update(Uint8Array.of(1));
      updateWithLengthPrefixed(hash, Buffer.from(attribute.StringValue ?? "", "utf8"));
    }
  }
  return hash.digest("hex");
}

/** "Binary" and custom binary types ("Binary.gif") carry BinaryValue; String and Number carry StringValue. */
export function isBinaryDataType(dataType: string): boolean {
  return dataType === "Binary" || dataType.startsWith("Binary.");
}

function updateWithLengthPrefixed(hash: ReturnType<typeof createHash>, bytes: Buffer): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length);
  hash.update(bytes);
}
