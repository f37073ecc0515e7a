import { createHash, randomBytes } from "node:crypto";

/** Crockford base32: unambiguous in print and over the phone. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ID_BODY_LENGTH = 20; // 100 bits

function base32(bytes: Uint8Array, length: number): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export const COMPLAINT_ID_PATTERN = /^CH[0-9A-HJKMNP-TV-Z]{20}$/;

/**
 * With an Idempotency-Key the complaint id is derived from it, so the conditional write itself detects a
 * repeat: no separate idempotency record and no transaction. Without a key the id is random.
 */
export function complaintIdFor(idempotencyKey: string | undefined): string {
  const bytes = idempotencyKey
    ? createHash("sha256").update(`complaint-id:v1:${idempotencyKey}`).digest()
    : randomBytes(16);
  return `CH${base32(bytes, ID_BODY_LENGTH)}`;
}

/** Idempotency keys as Stripe and the IETF draft use them: opaque, printable, bounded. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{8,255}$/;

/** A stable hash of a JSON value: key order and whitespace do not change it. */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
