import { Webhook } from "standardwebhooks";
import { REPLAY_SK, type ReplayRecord, replayPk } from "../complaint/record";
import { activeKeys, type WebhookSecrets } from "../delivery/signing";
import { headerValue } from "../http/headers";
import { ProblemError } from "../http/problem";

/** Standard Webhooks' default: a signature's timestamp may be this far from the hub's clock, either way. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
/** The header naming the calling platform; its own secret must have signed the request. */
export const PLATFORM_ID_HEADER = "platform-id";

const PLATFORM_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** webhook-id values become item keys: printable, bounded. */
const WEBHOOK_ID = /^[\x21-\x7E]{1,128}$/;
const TIMESTAMP = /^\d{1,12}$/;

export interface SignatureDependencies {
  /** The platform's webhook secrets (current, and previous during a rotation's overlap). */
  secrets: (platformId: string) => Promise<WebhookSecrets>;
  /** Whether a platform id is an enabled platform of the registry (every one has a secret). */
  isKnownPlatform: (platformId: string) => boolean;
  /** Records a webhook-id as seen; false when it was seen before (a replay). */
  rememberWebhookId: (record: ReplayRecord) => Promise<boolean>;
  now: () => Date;
}

/**
 * Authenticates a platform's request (DESIGN: Platform events): `platform-id` names the platform, and the
 * Standard Webhooks headers must carry a signature over the raw body with that platform's current or previous
 * secret, a timestamp within the tolerance, and a webhook-id never used before. Returns the platform id, or
 * throws a 401 problem; nothing is written for a refused request (the webhook-id is recorded only once the
 * signature is good).
 */
export async function authenticatePlatform(
  deps: SignatureDependencies,
  headers: Record<string, string | undefined> | null,
  rawBody: string,
): Promise<string> {
  const platformId = headerValue(headers, PLATFORM_ID_HEADER)?.trim();
  const webhookId = headerValue(headers, "webhook-id");
  const timestamp = headerValue(headers, "webhook-timestamp");
  const signature = headerValue(headers, "webhook-signature");
  if (!platformId || !webhookId || !timestamp || !signature) {
    throw refused("Send platform-id, webhook-id, webhook-timestamp and webhook-signature");
  }
  if (!PLATFORM_ID.test(platformId) || !deps.isKnownPlatform(platformId)) {
    throw refused("platform-id names no platform of the hub");
  }
  if (!WEBHOOK_ID.test(webhookId)) throw refused("webhook-id must be 1 to 128 printable characters");
  if (!TIMESTAMP.test(timestamp)) throw refused("webhook-timestamp must be Unix seconds");

  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const signedAt = Number(timestamp);
  if (Math.abs(nowSeconds - signedAt) > TIMESTAMP_TOLERANCE_SECONDS) {
    throw refused(`webhook-timestamp is more than ${TIMESTAMP_TOLERANCE_SECONDS} s from the hub's clock`);
  }

  // The previous key only while its rotation overlaps (previousExpiresAt).
  const keys = activeKeys(await deps.secrets(platformId), deps.now());
  const signed = { "webhook-id": webhookId, "webhook-timestamp": timestamp, "webhook-signature": signature };
  if (!keys.some((key) => verifies(key, rawBody, signed))) throw refused("No valid signature");

  const seen = await deps.rememberWebhookId({
    pk: replayPk(platformId, webhookId),
    sk: REPLAY_SK,
    kind: "replay",
    platform: platformId,
    seenAt: deps.now().toISOString(),
    // Past this the timestamp check refuses the message anyway; TTL deletion may come later, never earlier.
    expiresAt: Math.max(signedAt, nowSeconds) + TIMESTAMP_TOLERANCE_SECONDS + 60,
  });
  if (!seen) throw refused("webhook-id was used before: sign every request with a new webhook-id");
  return platformId;
}

function verifies(key: string, rawBody: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(key.startsWith("whsec_") ? key : `whsec_${key}`).verify(rawBody, headers, {
      jsonParse: false,
    });
    return true;
  } catch {
    return false;
  }
}

const refused = (detail: string) =>
  new ProblemError("signatureRefused", detail, undefined, {
    "www-authenticate": 'StandardWebhooks realm="complaint-hub"',
  });

/** The secret name of a platform from the template the stack passes (`.../platforms/{platform}/webhook`). */
export function webhookSecretIdFor(template: string, platformId: string): string {
  return template.replace("{platform}", platformId);
}
