import { findPlatform } from "../../infra/platforms";
import { secretString } from "../aws/secrets";
import { parseWebhookSecrets } from "../delivery/signing";
import type { ComplaintStore } from "../store/complaint-store";
import { type SignatureDependencies, webhookSecretIdFor } from "./authenticate";
import type { ReportDependencies } from "./process-report";

/** An enabled platform of the registry: it has a channel, a webhook secret and may be routed to. */
export const isEnabledPlatform = (platformId: string) => findPlatform(platformId)?.enabled === true;

/** What the platform API's functions run with in Lambda: Secrets Manager (cached briefly) and the table. */
export function platformApiDependencies(
  store: ComplaintStore,
  secretIdTemplate: string,
): SignatureDependencies & ReportDependencies {
  return {
    store,
    now: () => new Date(),
    secrets: async (platformId) =>
      parseWebhookSecrets(await secretString(webhookSecretIdFor(secretIdTemplate, platformId))),
    isKnownPlatform: isEnabledPlatform,
    isMember: isEnabledPlatform,
    rememberWebhookId: (record) => store.putIfNew(record),
  };
}
