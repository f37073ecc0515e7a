/**
 * Rotating a platform's webhook secret (`npm run ops -- platform rotate-secret <id>`): a new current key, the old
 * one kept as `previous` until `previousExpiresAt`, so that deliveries are signed with both and the platform's
 * reports are accepted with either while the platform moves to the new key (shared/delivery/signing.ts).
 * Functions cache secrets for 5 minutes: the overlap must be longer than that, and the platform should switch
 * its own signing only after those minutes.
 */
import { randomBytes } from "node:crypto";
import { activeKeys, type WebhookSecrets } from "../delivery/signing";

export const DEFAULT_OVERLAP_HOURS = 24;
/** Longer than the functions' secret cache (5 minutes), with room for the platform to deploy the key. */
export const MIN_OVERLAP_MS = 15 * 60_000;

/** 32 random bytes, base64: the key material of a Standard Webhooks secret (the platform gets `whsec_<key>`). */
export function newWebhookKey(): string {
  return randomBytes(32).toString("base64");
}

/** Whether an earlier rotation's overlap still runs (its previous key is still accepted). */
export function overlapInForce(secrets: WebhookSecrets, now: Date): boolean {
  return activeKeys(secrets, now).length > 1;
}

/** The secrets after a rotation at `now`: `key` current, the old current previous until `now + overlapMs`. */
export function rotateWebhookSecrets(
  existing: WebhookSecrets,
  key: string,
  now: Date,
  overlapMs: number,
): WebhookSecrets {
  if (overlapMs < MIN_OVERLAP_MS) {
    throw new Error(
      `The overlap must be at least ${MIN_OVERLAP_MS / 60_000} minutes (the functions cache secrets)`,
    );
  }
  if (key === existing.current) throw new Error("The new key is the current one");
  return {
    current: key,
    previous: existing.current,
    previousExpiresAt: new Date(now.getTime() + overlapMs).toISOString(),
  };
}

/** The Standard Webhooks form of a key, as the platform is given it. */
export const whsec = (key: string) => (key.startsWith("whsec_") ? key : `whsec_${key}`);
