import { findPlatform, isPush } from "../../infra/platforms";
import { numberEnv, requireEnv } from "../env";
import type { DeliveryConfig } from "./deliver-notice";
import type { DeliveryQueues } from "./queue-actions";

/** A delivery function's settings, from the environment its stack gave it, checked once at cold start. */
export function deliveryConfigFromEnv(): DeliveryConfig &
  DeliveryQueues & {
    secretId: string;
    tableName: string;
  } {
  const platformId = requireEnv("PLATFORM_ID");
  const platform = findPlatform(platformId);
  if (!platform || !isPush(platform)) throw new Error(`PLATFORM_ID ${platformId} is not a push platform`);
  return {
    platform,
    endpoint: requireEnv("PLATFORM_ENDPOINT"),
    retry: {
      baseDelaySeconds: numberEnv("RETRY_BASE_DELAY_SECONDS"),
      maxDelaySeconds: numberEnv("RETRY_MAX_DELAY_SECONDS"),
      maxAttempts: numberEnv("RETRY_MAX_ATTEMPTS"),
    },
    queueUrl: requireEnv("QUEUE_URL"),
    urgentQueueUrl: requireEnv("URGENT_QUEUE_URL"),
    deadLetterQueueUrl: requireEnv("DEAD_LETTER_QUEUE_URL"),
    secretId: requireEnv("WEBHOOK_SECRET_ID"),
    tableName: requireEnv("TABLE_NAME"),
  };
}
