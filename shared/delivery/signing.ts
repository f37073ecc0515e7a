import { Webhook } from "standardwebhooks";

/**
 * The platform's webhook secrets as stored in Secrets Manager: `current`, plus `previous` during a rotation
 * overlap. Values are base64 key material, with or without the `whsec_` prefix.
 */
export interface WebhookSecrets {
  current: string;
  previous?: string;
}

/**
 * Standard Webhooks headers for one message. While a rotation overlaps, the payload is signed with both
 * secrets (space-separated signatures), so the platform can verify with either.
 */
export function signWebhook(secrets: WebhookSecrets, messageId: string, timestamp: Date, payload: string) {
  const keys = [secrets.current, secrets.previous].filter((k): k is string => Boolean(k));
  const signatures = keys.map((key) => new Webhook(withPrefix(key)).sign(messageId, timestamp, payload));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

const withPrefix = (key: string) => (key.startsWith("whsec_") ? key : `whsec_${key}`);

/** The secret value is JSON `{ "current": ..., "previous"?: ... }`, or a single key during bootstrapping. */
export function parseWebhookSecrets(value: string): WebhookSecrets {
  if (!value.trimStart().startsWith("{")) return { current: value.trim() };
  const parsed = JSON.parse(value) as Partial<WebhookSecrets>;
  if (typeof parsed.current !== "string" || !parsed.current)
    throw new Error("Webhook secret has no current key");
  return typeof parsed.previous === "string" && parsed.previous
    ? { current: parsed.current, previous: parsed.previous }
    : { current: parsed.current };
}
