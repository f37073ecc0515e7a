import { Webhook } from "standardwebhooks";

/**
 * The platform's webhook secrets as stored in Secrets Manager: `current`, plus `previous` during a rotation
 * overlap. Values are base64 key material, with or without the `whsec_` prefix.
 */
export interface WebhookSecrets {
  current: string;
  previous?: string;
  /**
   * When the rotation's overlap ends (ISO 8601): from then on the previous key is neither used nor accepted. Without
   * it the previous key stays valid until the next rotation replaces it (the format before expiries).
   */
  previousExpiresAt?: string;
}

/** The keys in force at `now`: the current one, and the previous one while its overlap lasts. */
export function activeKeys(secrets: WebhookSecrets, now: Date): string[] {
  const expires = secrets.previousExpiresAt ? Date.parse(secrets.previousExpiresAt) : Number.NaN;
  const previousValid = secrets.previous && !(Number.isFinite(expires) && now.getTime() >= expires);
  return previousValid ? [secrets.current, secrets.previous as string] : [secrets.current];
}

/**
 * Standard Webhooks headers for one message. While a rotation overlaps, the payload is signed with both
 * secrets (space-separated signatures), so the platform can verify with either.
 */
export function signWebhook(secrets: WebhookSecrets, messageId: string, timestamp: Date, payload: string) {
  const keys = activeKeys(secrets, timestamp);
  const signatures = keys.map((key) => new Webhook(withPrefix(key)).sign(messageId, timestamp, payload));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

const withPrefix = (key: string) => (key.startsWith("whsec_") ? key : `whsec_${key}`);

/**
 * The secret value is JSON `{ "current": ..., "previous"?: ..., "previousExpiresAt"?: ... }`, or a single key
 * during bootstrapping. An expiry that is not a date is ignored (the previous key stays valid, as before expiries).
 */
export function parseWebhookSecrets(value: string): WebhookSecrets {
  if (!value.trimStart().startsWith("{")) return { current: value.trim() };
  const parsed = JSON.parse(value) as Partial<Record<keyof WebhookSecrets, unknown>>;
  if (typeof parsed.current !== "string" || !parsed.current)
    throw new Error("Webhook secret has no current key");
  if (typeof parsed.previous !== "string" || !parsed.previous) return { current: parsed.current };
  const expires = parsed.previousExpiresAt;
  return typeof expires === "string" && Number.isFinite(Date.parse(expires))
    ? { current: parsed.current, previous: parsed.previous, previousExpiresAt: expires }
    : { current: parsed.current, previous: parsed.previous };
}
