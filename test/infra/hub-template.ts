/**
 * Shared helpers for the infra tests: synthesize the hub as `cdk synth` does (cdk.json's feature flags,
 * bundling skipped) and read the template the way an operator would: by queue name, service name and role.
 */
import { readFileSync } from "node:fs";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { HubStack } from "../../infra/hub-stack";
import { isPull, isPush, PLATFORMS, type PlatformEntry } from "../../infra/platforms";
import { stageConfig } from "../../infra/stages";

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON, navigated freely in assertions
export type Cfn = any;

/** The context `cdk synth` and the local cloud use: the feature flags in cdk.json change the template. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
).context;

export const PUSH_PLATFORMS = PLATFORMS.filter(isPush);
export const PULL_PLATFORMS = PLATFORMS.filter(isPull);

export interface HubSynthOptions {
  stage?: string;
  context?: Record<string, unknown>;
  platforms?: readonly PlatformEntry[];
}

/**
 * A fresh App with bundling skipped and cdk.json's flags; the HubStack in it, not yet synthesized.
 * CDK's built-in CloudFormation validation is off by default here: its engine costs about 5 s per test file,
 * and it only ever warns (cdk.json does not set @aws-cdk/core:validateAgainstDefaultRules).
 */
export function buildHub(
  options: HubSynthOptions & { outdir?: string; cloudFormationValidation?: boolean } = {},
): {
  app: App;
  stack: HubStack;
} {
  const app = new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
    context: { ...CDK_JSON_CONTEXT, "aws:cdk:bundling-stacks": [], ...options.context },
  });
  const stack = new HubStack(app, "Test", {
    stage: stageConfig(options.stage ?? "dev"),
    env: { region: "cn-north-1" },
    platforms: options.platforms,
  });
  return { app, stack };
}

export interface HubTemplate {
  stack: HubStack;
  template: Template;
  json: Cfn;
}

export function synthHub(options: HubSynthOptions = {}): HubTemplate {
  const { stack } = buildHub(options);
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() };
}

export const ref = (logicalId: string) => ({ Ref: logicalId });
export const arnOf = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });

/** Logical id → resource for every resource of a type. */
export function resourcesOfType(json: Cfn, type: string): [string, Cfn][] {
  return Object.entries(json.Resources as Record<string, Cfn>).filter(([, r]) => r.Type === type);
}

export function onlyOne<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`Expected exactly one ${what}, found ${items.length}`);
  return items[0] as T;
}

export function countByType(json: Cfn): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(json.Resources as Record<string, Cfn>)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

export function keyId(json: Cfn): string {
  return onlyOne(resourcesOfType(json, "AWS::KMS::Key"), "KMS key")[0];
}

export function tableId(json: Cfn): string {
  return onlyOne(resourcesOfType(json, "AWS::DynamoDB::GlobalTable"), "table")[0];
}

export function busId(json: Cfn): string {
  return onlyOne(resourcesOfType(json, "AWS::Events::EventBus"), "event bus")[0];
}

export function queueIdByName(json: Cfn, queueName: string): string {
  const matches = resourcesOfType(json, "AWS::SQS::Queue").filter(
    ([, r]) => r.Properties.QueueName === queueName,
  );
  return onlyOne(matches, `queue named ${queueName}`)[0];
}

/** A platform's queue, urgent queue and DLQ logical ids, found by the names the stack gives them. */
export function platformQueues(
  json: Cfn,
  platformId: string,
  stage = "dev",
): { queue: string; urgent: string; dlq: string } {
  return {
    queue: queueIdByName(json, `complaint-hub-${stage}-${platformId}`),
    urgent: queueIdByName(json, `complaint-hub-${stage}-${platformId}-urgent`),
    dlq: queueIdByName(json, `complaint-hub-${stage}-${platformId}-dlq`),
  };
}

export function secretIdByName(json: Cfn, name: string): string {
  const matches = resourcesOfType(json, "AWS::SecretsManager::Secret").filter(
    ([, r]) => r.Properties.Name === name,
  );
  return onlyOne(matches, `secret named ${name}`)[0];
}

/** Functions by their Powertools service name (submit-complaint, get-complaint, publish-events, deliver-<id>). */
export function functionByService(json: Cfn, service: string): [string, Cfn] {
  const matches = resourcesOfType(json, "AWS::Lambda::Function").filter(
    ([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  return onlyOne(matches, `function of service ${service}`);
}

export function roleIdOf(fn: Cfn): string {
  const role = fn.Properties.Role;
  if (!role?.["Fn::GetAtt"]) throw new Error(`Function role is not a GetAtt: ${JSON.stringify(role)}`);
  return role["Fn::GetAtt"][0];
}

export interface Statement {
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Cfn;
  Principal?: Cfn;
  Condition?: Cfn;
  Sid?: string;
}

export const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement that applies to a role: its inline policies and every AWS::IAM::Policy attached to it. */
export function roleStatements(json: Cfn, roleId: string): Statement[] {
  const role = json.Resources[roleId];
  if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not a role`);
  const inline = list<Cfn>(role.Properties.Policies).flatMap((p) =>
    list<Statement>(p.PolicyDocument.Statement),
  );
  const attached = resourcesOfType(json, "AWS::IAM::Policy")
    .filter(([, p]) => list<Cfn>(p.Properties.Roles).some((r) => r?.Ref === roleId))
    .flatMap(([, p]) => list<Statement>(p.Properties.PolicyDocument.Statement));
  return [...inline, ...attached];
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`, "i").test(action);
}

/** Allow statements that grant `action` (through a wildcard too). */
export function grantsOf(statements: readonly Statement[], action: string): Statement[] {
  return statements.filter(
    (s) => s.Effect === "Allow" && list(s.Action).some((pattern) => actionMatches(pattern, action)),
  );
}

/** Every resource a set of statements names, as JSON strings (so tokens compare by value). */
export function resourcesOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => list(s.Resource).map((r) => JSON.stringify(r))))].sort();
}

/** Every action the role is allowed that starts with `prefix:` (or is a bare wildcard). */
export function allowedActions(statements: readonly Statement[], service: string): string[] {
  return [
    ...new Set(
      statements
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => list(s.Action))
        .filter((a) => a === "*" || a.toLowerCase().startsWith(`${service.toLowerCase()}:`)),
    ),
  ].sort();
}

/** Statements of every queue policy that covers a queue. */
export function queuePolicyStatements(json: Cfn, queueLogicalId: string): Statement[] {
  return resourcesOfType(json, "AWS::SQS::QueuePolicy")
    .filter(([, p]) => list<Cfn>(p.Properties.Queues).some((q) => q?.Ref === queueLogicalId))
    .flatMap(([, p]) => list<Statement>(p.Properties.PolicyDocument.Statement));
}

/** Event source mappings whose source is the given resource (a queue's Arn or a table's StreamArn). */
export function mappingsFrom(json: Cfn, logicalId: string): [string, Cfn][] {
  return resourcesOfType(json, "AWS::Lambda::EventSourceMapping").filter(
    ([, m]) => m.Properties.EventSourceArn?.["Fn::GetAtt"]?.[0] === logicalId,
  );
}
