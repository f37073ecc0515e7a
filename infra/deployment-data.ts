import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";
import { isPull, isPush, type PlatformEntry } from "./platforms";
import type { StageConfig } from "./stages";

/**
 * Per-stage facts about real platforms that are not ours to invent: each push platform's after-sale endpoint
 * and each pull platform's AWS principal. Sandbox stages (dev, test) derive them; real stages read them from
 * context (`-c platform.<id>.endpoint=...`, `-c platform.<id>.principal=...`) or, with
 * `-c platformDataFromSsm=true`, from SSM parameters resolved at deploy time:
 *   /complaint-hub/<stage>/platforms/<id>/endpoint
 *   /complaint-hub/<stage>/platforms/<id>/pull-principal
 */
export interface PlatformDeploymentData {
  endpoint?: string;
  /** ARN of the principal allowed to consume a pull platform's queue; "account" means this account's root. */
  pullPrincipal?: string;
}

export const ssmParameterName = (stage: string, id: string, what: "endpoint" | "pull-principal") =>
  `/complaint-hub/${stage}/platforms/${id}/${what}`;

export function resolveDeploymentData(
  scope: Construct,
  stage: StageConfig,
  platforms: readonly PlatformEntry[],
): Map<string, PlatformDeploymentData> {
  const data = new Map<string, PlatformDeploymentData>();
  const missing: string[] = [];
  const fromSsm = String(scope.node.tryGetContext("platformDataFromSsm")) === "true";

  for (const platform of platforms) {
    if (isPush(platform)) {
      const endpoint = stage.sandboxBaseUrl
        ? `${stage.sandboxBaseUrl}/${platform.id}/after-sale`
        : contextValue(scope, `platform.${platform.id}.endpoint`);
      if (endpoint) {
        if (stage.realPlatforms && !/^https:\/\/[^\s/]+/.test(endpoint)) {
          missing.push(
            `platform.${platform.id}.endpoint must be an https:// URL (got ${JSON.stringify(endpoint)})`,
          );
        }
        data.set(platform.id, { endpoint });
      } else if (fromSsm) {
        data.set(platform.id, {
          endpoint: StringParameter.valueForStringParameter(
            scope,
            ssmParameterName(stage.name, platform.id, "endpoint"),
          ),
        });
      } else {
        missing.push(`platform.${platform.id}.endpoint (after-sale API URL of ${platform.names.en})`);
      }
    } else if (isPull(platform)) {
      const principal = stage.realPlatforms
        ? contextValue(scope, `platform.${platform.id}.principal`)
        : "account";
      if (principal) {
        if (
          principal !== "account" &&
          !/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+)$/.test(principal)
        ) {
          missing.push(`platform.${platform.id}.principal must be an IAM role, user or account ARN`);
        }
        data.set(platform.id, { pullPrincipal: principal });
      } else if (fromSsm) {
        data.set(platform.id, {
          pullPrincipal: StringParameter.valueForStringParameter(
            scope,
            ssmParameterName(stage.name, platform.id, "pull-principal"),
          ),
        });
      } else {
        missing.push(
          `platform.${platform.id}.principal (AWS principal ARN that pulls ${platform.names.en}'s queue)`,
        );
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `Stage "${stage.name}" needs deployment data for real platforms. Missing or invalid:\n  - ${missing.join("\n  - ")}\n` +
        "Pass each with -c <key>=<value> (or in cdk.context.json), or pass -c platformDataFromSsm=true to read " +
        `the SSM parameters /complaint-hub/${stage.name}/platforms/<id>/endpoint and .../pull-principal at deploy time.`,
    );
  }
  return data;
}

function contextValue(scope: Construct, key: string): string | undefined {
  const value = scope.node.tryGetContext(key);
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}
