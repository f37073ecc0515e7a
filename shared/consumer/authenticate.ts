import { COMPLAINT_ID_PATTERN } from "../complaint/identity";
import type { ComplaintRecord } from "../complaint/record";
import { headerValue } from "../http/headers";
import { ProblemError } from "../http/problem";
import { tokenMatches } from "../security/tracking-token";
import type { ComplaintStore } from "../store/complaint-store";

/**
 * Consumers have no accounts: the tracking token handed out with the receipt is the credential for everything
 * they do with their complaint (read it, give feedback, withdraw it, add information).
 */

/** The bearer token of `Authorization: Bearer <trackingToken>`, or 401. */
export function requireBearerToken(headers: Record<string, string | undefined> | null): string {
  const token = bearerToken(headerValue(headers, "authorization"));
  if (!token) {
    throw new ProblemError(
      "unauthorized",
      "Send the tracking token as Authorization: Bearer <token>",
      undefined,
      { "www-authenticate": 'Bearer realm="complaint-hub"' },
    );
  }
  return token;
}

/**
 * The complaint the token opens (constant-time check against the stored hash), or 404: the same answer for "no
 * such complaint" and "wrong token", so ids cannot be probed.
 */
export async function complaintForToken(
  store: ComplaintStore,
  complaintId: string,
  token: string,
): Promise<ComplaintRecord> {
  const record = COMPLAINT_ID_PATTERN.test(complaintId) ? await store.get(complaintId) : undefined;
  if (!record || !tokenMatches(token, record.trackingTokenHash)) {
    throw new ProblemError("notFound", "No complaint with this id and token");
  }
  return record;
}

function bearerToken(header: string | undefined): string | undefined {
  // The auth scheme is case-insensitive (RFC 9110 §11.1); the token itself is not.
  return header?.match(/^Bearer\s+([A-Za-z0-9_-]{16,128})\s*$/i)?.[1];
}
