/**
 * Standard Webhooks verification as a receiving platform would write it, on node:crypto alone: it shares no
 * code with the hub's signer (shared/delivery/signing.ts, built on the `standardwebhooks` package), so the
 * sandbox checks the hub against the specification rather than against itself.
 *
 * signature = base64(HMAC-SHA256(key, `${webhook-id}.${webhook-timestamp}.${raw body}`)), sent as
 * `v1,<signature>`; several space-separated signatures may be sent (rotation) and any one may match.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export type Verification = { ok: true } | { ok: false; reason: string };

export interface SignedRequest {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The body exactly as received. */
  body: Buffer;
}

/** Key material from a secret value: JSON `{ "current": ... }` (the hub's format) or a bare key. */
export function currentKeyFromSecretValue(value: string): Buffer {
  let key = value.trim();
  if (key.startsWith("{")) {
    const parsed = JSON.parse(key) as { current?: unknown };
    if (typeof parsed.current !== "string") throw new Error("the secret has no current key");
    key = parsed.current.trim();
  }
  return decodeKey(key);
}

/** A `whsec_`-prefixed or bare base64 key to its bytes. */
export function decodeKey(key: string): Buffer {
  const material = key.startsWith(SECRET_PREFIX) ? key.slice(SECRET_PREFIX.length) : key;
  if (!BASE64.test(material)) throw new Error("the key is not base64");
  const bytes = Buffer.from(material, "base64");
  if (bytes.length === 0) throw new Error("the key is empty");
  return bytes;
}

export function verifyWebhook(
  key: Buffer,
  request: SignedRequest,
  nowSeconds: number,
  toleranceSeconds = TIMESTAMP_TOLERANCE_SECONDS,
): Verification {
  const { id, timestamp, signature } = request;
  if (!id || !timestamp || !signature) {
    return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature" };
  }
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp is not a number" };
  const seconds = Number(timestamp);
  if (nowSeconds - seconds > toleranceSeconds) return { ok: false, reason: "timestamp too old" };
  if (seconds - nowSeconds > toleranceSeconds) return { ok: false, reason: "timestamp too new" };

  const expected = createHmac("sha256", key)
    .update(`${id}.${seconds}.`, "utf8")
    .update(request.body)
    .digest();
  for (const candidate of signature.split(" ")) {
    const comma = candidate.indexOf(",");
    if (comma < 0 || candidate.slice(0, comma) !== "v1") continue;
    const encoded = candidate.slice(comma + 1);
    if (!BASE64.test(encoded)) continue;
    const given = Buffer.from(encoded, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: "no matching v1 signature" };
}
