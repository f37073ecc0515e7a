import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Tracking tokens let a consumer read their complaint. A token is derived from the complaint id with the
 * hub's token key (kept in Secrets Manager), so an idempotent retry of a submission gets the same token
 * back, while the table stores only its SHA-256.
 */
export function deriveTrackingToken(tokenKey: string, complaintId: string): string {
  return createHmac("sha256", tokenKey).update(`tracking-token:v1:${complaintId}`).digest("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Constant-time check of a presented token against the stored hash. */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const presentedHash = Buffer.from(hashToken(presented), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return expected.length === presentedHash.length && timingSafeEqual(presentedHash, expected);
}
