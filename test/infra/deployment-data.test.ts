/**
 * Stages and deployment data: sandbox stages derive platform endpoints, prod takes them (and pull principals)
 * from context or SSM and refuses to synthesize without them; prod keeps its data and throttles harder.
 */
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { STAGES, stageConfig } from "../../infra/stages";
import {
  type Cfn,
  functionByService,
  type HubTemplate,
  PULL_PLATFORMS,
  PUSH_PLATFORMS,
  platformQueues,
  queuePolicyStatements,
  resourcesOfType,
  synthHub,
  tableId,
} from "./hub-template";

const endpointOf = (id: string) => `https://after-sale.${id}.example.cn/v1/complaints`;
const principalOf = (id: string) => `arn:aws-cn:iam::123456789012:role/${id}-complaint-puller`;

/** Every value prod needs, as `-c key=value` would give it. */
const PROD_CONTEXT: Record<string, string> = Object.fromEntries([
  ...PUSH_PLATFORMS.map((p) => [`platform.${p.id}.endpoint`, endpointOf(p.id)]),
  ...PULL_PLATFORMS.map((p) => [`platform.${p.id}.principal`, principalOf(p.id)]),
]);

/** prod with every value from context: synthesized once, for the tests that read it. */
let prodFromContext: HubTemplate | undefined;
const prod = (): HubTemplate => {
  prodFromContext ??= synthHub({ stage: "prod", context: PROD_CONTEXT });
  return prodFromContext;
};

const synthError = (stage: string, context: Record<string, unknown>): string => {
  try {
    synthHub({ stage, context });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`stage ${stage} synthesized`);
};

const pullStatement = (json: Cfn, platformId: string, which: "queue" | "urgent" = "queue") =>
  queuePolicyStatements(json, platformQueues(json, platformId, "prod")[which]).find(
    (s) => s.Sid === "PlatformPullsItsOwnQueue",
  );

describe("stages", () => {
  it.each(["staging", "Prod", "", "constructor", "toString", "__proto__"])("refuses the stage %j", (name) => {
    expect(() => stageConfig(name)).toThrow(
      `Unknown stage ${JSON.stringify(name)}: pass -c stage=<dev|test|prod>`,
    );
  });

  it("refuses a missing or non-string stage", () => {
    expect(() => stageConfig(undefined)).toThrow(/Unknown stage undefined/);
    expect(() => stageConfig(42)).toThrow(/Unknown stage 42/);
  });

  it("returns the named stage", () => {
    for (const name of ["dev", "test", "prod"]) expect(stageConfig(name).name).toBe(name);
  });
});

describe("prod without deployment data", () => {
  let message: string;
  beforeAll(() => {
    message = synthError("prod", {});
  });

  it("fails naming every missing endpoint and principal", () => {
    expect(message).toContain('Stage "prod" needs deployment data');
    for (const p of PUSH_PLATFORMS) expect(message).toContain(`platform.${p.id}.endpoint`);
    for (const p of PULL_PLATFORMS) expect(message).toContain(`platform.${p.id}.principal`);
  });

  it("asks only for what each platform's mode needs", () => {
    for (const p of PUSH_PLATFORMS) expect(message).not.toContain(`platform.${p.id}.principal`);
    for (const p of PULL_PLATFORMS) expect(message).not.toContain(`platform.${p.id}.endpoint`);
    expect(message.split("\n  - ")).toHaveLength(PUSH_PLATFORMS.length + PULL_PLATFORMS.length + 1);
  });

  it("lists only what is still missing", () => {
    const [first, ...rest] = PUSH_PLATFORMS;
    const partial = Object.fromEntries(
      Object.entries(PROD_CONTEXT).filter(([key]) => key !== `platform.${first?.id}.endpoint`),
    );
    const partialMessage = synthError("prod", partial);
    expect(partialMessage).toContain(`platform.${first?.id}.endpoint`);
    for (const p of rest) expect(partialMessage).not.toContain(`platform.${p.id}.endpoint`);
  });
});

describe("prod deployment data from context", () => {
  let json: Cfn;
  beforeAll(() => {
    json = prod().json;
  });

  it("synthesizes without CDK errors or warnings", () => {
    const annotations = Annotations.fromStack(prod().stack);
    annotations.hasNoError("*", Match.anyValue());
    annotations.hasNoWarning("*", Match.anyValue());
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("gives %s's delivery function the endpoint passed", (id) => {
    const [, fn] = functionByService(json, `deliver-${id}`);
    expect(fn.Properties.Environment.Variables.PLATFORM_ENDPOINT).toBe(endpointOf(id));
  });

  it.each(PULL_PLATFORMS.map((p) => p.id))(
    "lets the principal passed for %s consume its two queues",
    (id) => {
      expect(pullStatement(json, id)?.Principal).toEqual({ AWS: principalOf(id) });
      expect(pullStatement(json, id, "urgent")?.Principal).toEqual({ AWS: principalOf(id) });
      const [, key] = resourcesOfType(json, "AWS::KMS::Key")[0] as [string, Cfn];
      const decrypt = key.Properties.KeyPolicy.Statement.find(
        (s: Cfn) => s.Sid === `PlatformDecryptsItsQueuePlatform-${id}`,
      );
      expect(decrypt.Principal).toEqual({ AWS: principalOf(id) });
      expect(decrypt.Condition).toEqual({
        StringEquals: { "kms:ViaService": "sqs.cn-north-1.amazonaws.com" },
      });
    },
  );

  it("refuses an endpoint that is not https", () => {
    const vip = PUSH_PLATFORMS.find((p) => p.id === "vip");
    expect(vip).toBeDefined();
    const message = synthError("prod", {
      ...PROD_CONTEXT,
      "platform.vip.endpoint": "http://after-sale.vip.example.cn",
    });
    expect(message).toContain(
      'platform.vip.endpoint must be an https:// URL (got "http://after-sale.vip.example.cn")',
    );
    expect(synthError("prod", { ...PROD_CONTEXT, "platform.vip.endpoint": "ftp://x" })).toContain(
      "platform.vip.endpoint must be an https:// URL",
    );
  });

  it("refuses a principal that is not an IAM ARN", () => {
    const [pull] = PULL_PLATFORMS;
    const message = synthError("prod", { ...PROD_CONTEXT, [`platform.${pull?.id}.principal`]: "jd-team" });
    expect(message).toContain(`platform.${pull?.id}.principal must be an IAM role, user or account ARN`);
  });
});

describe("prod deployment data from SSM", () => {
  let json: Cfn;
  beforeAll(() => {
    json = synthHub({ stage: "prod", context: { platformDataFromSsm: "true" } }).json;
  });

  /** The hub's own parameters (CDK adds one for the bootstrap version). */
  const hubParameters = () =>
    Object.entries(json.Parameters as Record<string, Cfn>).filter(
      ([, p]) =>
        p.Type === "AWS::SSM::Parameter::Value<String>" && String(p.Default).startsWith("/complaint-hub/"),
    );

  const parameterNamed = (name: string): string => {
    const matches = hubParameters().filter(([, p]) => p.Default === name);
    expect(matches, name).toHaveLength(1);
    return (matches[0] as [string, Cfn])[0];
  };

  it.each(PUSH_PLATFORMS.map((p) => p.id))(
    "reads %s's endpoint from its SSM parameter at deploy time",
    (id) => {
      const parameter = parameterNamed(`/complaint-hub/prod/platforms/${id}/endpoint`);
      const [, fn] = functionByService(json, `deliver-${id}`);
      expect(fn.Properties.Environment.Variables.PLATFORM_ENDPOINT).toEqual({ Ref: parameter });
    },
  );

  it.each(PULL_PLATFORMS.map((p) => p.id))("reads %s's pull principal from its SSM parameter", (id) => {
    const parameter = parameterNamed(`/complaint-hub/prod/platforms/${id}/pull-principal`);
    expect(pullStatement(json, id)?.Principal).toEqual({ AWS: { Ref: parameter } });
    expect(pullStatement(json, id, "urgent")?.Principal).toEqual({ AWS: { Ref: parameter } });
  });

  it("references one parameter per platform, all under the stage's prefix", () => {
    const names = hubParameters().map(([, p]) => p.Default);
    expect(names).toHaveLength(PUSH_PLATFORMS.length + PULL_PLATFORMS.length);
    for (const name of names)
      expect(name).toMatch(/^\/complaint-hub\/prod\/platforms\/[a-z0-9-]+\/(endpoint|pull-principal)$/);
  });
});

describe("prod keeps its data and throttles harder than dev", () => {
  let prodJson: Cfn;
  let dev: Cfn;
  beforeAll(() => {
    prodJson = prod().json;
    dev = synthHub({ stage: "dev" }).json;
  });

  it("retains the table, with deletion protection", () => {
    const table = prodJson.Resources[tableId(prodJson)];
    expect(table.DeletionPolicy).toBe("Retain");
    expect(table.UpdateReplacePolicy).toBe("Retain");
    expect(table.Properties.Replicas.map((r: Cfn) => r.DeletionProtectionEnabled)).toEqual([true]);
  });

  it("lets dev's table go", () => {
    const table = dev.Resources[tableId(dev)];
    expect(table.DeletionPolicy).toBe("Delete");
    expect(table.Properties.Replicas.map((r: Cfn) => r.DeletionProtectionEnabled)).toEqual([false]);
  });

  it("retains everything that holds complaints, keys or logs", () => {
    const types = [
      "AWS::KMS::Key",
      "AWS::SQS::Queue",
      "AWS::SecretsManager::Secret",
      "AWS::Logs::LogGroup",
      "AWS::DynamoDB::GlobalTable",
    ];
    const notRetained = types.flatMap((type) =>
      resourcesOfType(prodJson, type)
        .filter(([, r]) => r.DeletionPolicy !== "Retain")
        .map(([id]) => `${type} ${id}`),
    );
    expect(notRetained).toEqual([]);
  });

  it("throttles the API harder in prod", () => {
    const throttling = (json: Cfn) => {
      const [, stage] = resourcesOfType(json, "AWS::ApiGateway::Stage")[0] as [string, Cfn];
      const [settings] = stage.Properties.MethodSettings;
      return { rate: settings.ThrottlingRateLimit, burst: settings.ThrottlingBurstLimit };
    };
    const p = throttling(prodJson);
    const d = throttling(dev);
    expect(p).toEqual({ rate: STAGES.prod?.api.rateLimit, burst: STAGES.prod?.api.burstLimit });
    expect(d).toEqual({ rate: STAGES.dev?.api.rateLimit, burst: STAGES.dev?.api.burstLimit });
    expect(p.rate).toBeLessThan(d.rate);
    expect(p.burst).toBeLessThan(d.burst);
  });
});
