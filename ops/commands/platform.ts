/**
 * `platform list` and `platform rotate-secret <id>`: a new webhook key for the platform, the old one kept valid
 * for an overlap window (`previousExpiresAt`, honoured by the hub's signing and verification), the new key printed
 * once, as `whsec_…`, for the platform to receive out of band. It is stored nowhere else and never logged.
 */
import { GetSecretValueCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { PLATFORMS } from "../../infra/platforms";
import { parseWebhookSecrets } from "../../shared/delivery/signing";
import {
  newWebhookKey,
  overlapInForce,
  rotateWebhookSecrets,
  whsec,
} from "../../shared/operator/secret-rotation";
import { enabledPlatform, type OpsContext } from "../context";
import { EXIT, OpsError, usageError } from "../output";

export async function platformListCommand(context: OpsContext): Promise<number> {
  const rows = PLATFORMS.map((p) => ({
    id: p.id,
    name: `${p.names.en} (${p.names.zh})`,
    member: p.member,
    mode: p.delivery.mode,
    enabled: p.enabled,
    responseWorkingDays: p.responseDeadlineWorkingDays ?? 7,
  }));
  const out = context.out;
  out.result(rows, () =>
    out.table(rows, [
      { header: "ID", value: (r) => r.id },
      { header: "NAME", value: (r) => r.name },
      { header: "MEMBER", value: (r) => r.member },
      { header: "MODE", value: (r) => r.mode },
      {
        header: "ENABLED",
        value: (r) => (r.enabled ? "yes" : "no"),
        color: (t, r) => (r.enabled ? t : out.colors.dim(t)),
      },
      { header: "DAYS", value: (r) => r.responseWorkingDays, align: "right" },
    ]),
  );
  return EXIT.ok;
}

export async function rotateSecretCommand(
  context: OpsContext,
  platformId: string,
  options: { overlap: number; force?: boolean },
): Promise<number> {
  const platform = enabledPlatform(platformId);
  if (!Number.isFinite(options.overlap) || options.overlap <= 0 || options.overlap > 24 * 30) {
    throw usageError("--overlap must be a number of hours, at most 720 (30 days)");
  }
  const target = await context.target();
  // As infra/constructs/platform-channel.ts names it (not imported: that module loads the CDK).
  const secretId = `complaint-hub/${target.stage}/platforms/${platform.id}/webhook`;
  const now = context.now();
  const { SecretString } = await target.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new OpsError(`The secret ${secretId} has no value`);
  const existing = parseWebhookSecrets(SecretString);
  if (overlapInForce(existing, now) && !options.force) {
    throw new OpsError(
      `A rotation of ${platform.id}'s secret still overlaps${
        existing.previousExpiresAt ? ` until ${existing.previousExpiresAt}` : " (no expiry)"
      }: rotating again ends it and the key before the current one stops working at once. Pass --force to do so.`,
      EXIT.refused,
    );
  }
  let rotated: ReturnType<typeof rotateWebhookSecrets>;
  try {
    rotated = rotateWebhookSecrets(existing, newWebhookKey(), now, options.overlap * 3_600_000);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  await target.secrets.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(rotated) }),
  );
  const out = context.out;
  const c = out.colors;
  const result = {
    platform: platform.id,
    secretId,
    secret: whsec(rotated.current),
    previousExpiresAt: rotated.previousExpiresAt,
    rotatedBy: context.operator || null,
  };
  out.result(result, () => {
    out.line(
      `New webhook secret for ${c.bold(platform.id)} (shown once; hand it to the platform out of band):`,
    );
    out.line();
    out.line(`  ${c.bold(result.secret)}`);
    out.line();
    out.line(
      `The hub signs with both keys and accepts either until ${c.bold(rotated.previousExpiresAt as string)} (${options.overlap} h).`,
    );
    out.line(
      c.dim(
        "The hub's functions read the new key within 5 minutes; the platform should sign with it only after that, and before the overlap ends.",
      ),
    );
  });
  return EXIT.ok;
}
