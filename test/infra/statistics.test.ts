/**
 * The statistics construct on its own small stack (table, key, the consumers' API): the public route, the
 * second stream consumer with the publisher's safety settings, and least privilege for both functions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ComplaintApi } from "../../infra/constructs/complaint-api";
import { ComplaintTable } from "../../infra/constructs/complaint-table";
import { Statistics } from "../../infra/constructs/statistics";
import { applyNagSuppressions } from "../../infra/nag-suppressions";
import { STAGES } from "../../infra/stages";
import {
  allowedActions,
  arnOf,
  CDK_JSON_CONTEXT,
  type Cfn,
  functionByService,
  grantsOf,
  keyId,
  list,
  mappingsFrom,
  onlyOne,
  queueIdByName,
  resourcesOf,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  type Statement,
  tableId,
} from "./hub-template";

const dev = STAGES.dev as NonNullable<(typeof STAGES)["dev"]>;
const s = (value: unknown) => JSON.stringify(value);

function buildStack(outdir?: string) {
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...CDK_JSON_CONTEXT, "aws:cdk:bundling-stacks": [] },
  });
  const stack = new Stack(app, "StatsTest", { env: { region: "cn-north-1" } });
  const key = new Key(stack, "Key", { enableKeyRotation: true });
  const table = new ComplaintTable(stack, "Complaints", { stage: dev, encryptionKey: key });
  const api = new ComplaintApi(stack, "Api", {
    stage: dev,
    table,
    encryptionKey: key,
    trackingTokenSecretName: "complaint-hub/dev/tracking-token-key",
    grantTrackingTokenRead: () => undefined,
  });
  const statistics = new Statistics(stack, "Statistics", {
    stage: dev,
    api: api.api,
    table,
    encryptionKey: key,
  });
  return { app, stack, statistics };
}

let json: Cfn;
let statistics: Statistics;
beforeAll(() => {
  const built = buildStack();
  statistics = built.statistics;
  json = Template.fromStack(built.stack).toJSON();
});

const statementsOf = (service: string) => roleStatements(json, roleIdOf(functionByService(json, service)[1]));
const leadingKeys = (statement: Statement) =>
  statement.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"];

describe("GET /v1/stats", () => {
  const resourceAt = (parent: Cfn, pathPart: string): string =>
    onlyOne(
      resourcesOfType(json, "AWS::ApiGateway::Resource").filter(
        ([, r]) => r.Properties.PathPart === pathPart && s(r.Properties.ParentId) === s(parent),
      ),
      `resource ${pathPart}`,
    )[0];

  it("sits under the consumers' /v1 and calls the read function, with no authorization", () => {
    const apiId = onlyOne(resourcesOfType(json, "AWS::ApiGateway::RestApi"), "REST API")[0];
    const v1 = resourceAt({ "Fn::GetAtt": [apiId, "RootResourceId"] }, "v1");
    const stats = resourceAt({ Ref: v1 }, "stats");
    const [, get] = onlyOne(
      resourcesOfType(json, "AWS::ApiGateway::Method").filter(
        ([, m]) => m.Properties.ResourceId?.Ref === stats && m.Properties.HttpMethod === "GET",
      ),
      "GET /v1/stats",
    );
    expect(get.Properties.AuthorizationType).toBe("NONE");
    expect(get.Properties.OperationName).toBe("GetStatistics");
    expect(get.Properties.Integration.Type).toBe("AWS_PROXY");
    const target = s(get.Properties.Integration.Uri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1];
    expect(target).toBe(functionByService(json, "get-stats")[0]);
  });

  it("is the construct's readFunction", () => {
    const [fnId] = functionByService(json, "get-stats");
    expect(Stack.of(statistics).resolve(statistics.readFunction.functionName)).toEqual({ Ref: fnId });
  });
});

describe("the update function's stream", () => {
  it("reads complaint items only, bisects, reports partial failures and sends failures to its own queue", () => {
    const [fnId] = functionByService(json, "update-stats");
    const [, mapping] = onlyOne(mappingsFrom(json, tableId(json)), "stream event source mapping");
    const failures = queueIdByName(json, "complaint-hub-dev-stats-dlq");
    const p = mapping.Properties;
    expect(p.EventSourceArn).toEqual({ "Fn::GetAtt": [tableId(json), "StreamArn"] });
    expect(p.FunctionName).toEqual({ Ref: fnId });
    expect(p.FilterCriteria.Filters.map((f: Cfn) => JSON.parse(f.Pattern))).toEqual([
      { dynamodb: { Keys: { sk: { S: ["META"] } } } },
    ]);
    expect(p.BisectBatchOnFunctionError).toBe(true);
    expect(p.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(p.DestinationConfig).toEqual({ OnFailure: { Destination: arnOf(failures) } });
    expect(p.MaximumRetryAttempts).toBe(dev.publish.retryAttempts);
    expect(p.MaximumRecordAgeInSeconds).toBe(dev.publish.maxRecordAgeHours * 3600);
    expect(p.StartingPosition).toBe("TRIM_HORIZON");
    expect(Stack.of(statistics).resolve(statistics.failureQueue.queueArn)).toEqual(arnOf(failures));
  });

  it("has a failure queue encrypted with the hub key, TLS only", () => {
    const failures = queueIdByName(json, "complaint-hub-dev-stats-dlq");
    expect(json.Resources[failures].Properties.KmsMasterKeyId).toEqual(arnOf(keyId(json)));
    const policy = onlyOne(
      resourcesOfType(json, "AWS::SQS::QueuePolicy").filter(([, p]) =>
        list<Cfn>(p.Properties.Queues).some((q) => q?.Ref === failures),
      ),
      "failure queue policy",
    )[1];
    expect(s(policy.Properties.PolicyDocument)).toContain("aws:SecureTransport");
  });
});

describe("least privilege", () => {
  it("update-stats puts markers and updates counters only, in their own partitions, and never reads items", () => {
    const statements = statementsOf("update-stats");
    const itemActions = allowedActions(statements, "dynamodb").filter(
      (a) =>
        ![
          "dynamodb:DescribeStream",
          "dynamodb:GetRecords",
          "dynamodb:GetShardIterator",
          "dynamodb:ListStreams",
        ].includes(a),
    );
    expect(itemActions).toEqual(["dynamodb:PutItem", "dynamodb:UpdateItem"]);
    const [put] = grantsOf(statements, "dynamodb:PutItem");
    const [update] = grantsOf(statements, "dynamodb:UpdateItem");
    expect(grantsOf(statements, "dynamodb:PutItem")).toHaveLength(1);
    expect(grantsOf(statements, "dynamodb:UpdateItem")).toHaveLength(1);
    expect(leadingKeys(put as Statement)).toEqual(["STATSMARK#*"]);
    expect(leadingKeys(update as Statement)).toEqual(["STATS"]);
    expect(resourcesOf([put as Statement, update as Statement])).toEqual([s(arnOf(tableId(json)))]);
    for (const action of ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:DeleteItem"]) {
      expect(grantsOf(statements, action), action).toEqual([]);
    }
  });

  it("update-stats may send to its failure queue only, with the key only through SQS and DynamoDB", () => {
    const statements = statementsOf("update-stats");
    const failures = queueIdByName(json, "complaint-hub-dev-stats-dlq");
    expect(allowedActions(statements, "sqs")).toEqual(["sqs:SendMessage"]);
    expect(resourcesOf(grantsOf(statements, "sqs:SendMessage"))).toEqual([s(arnOf(failures))]);
    expect(allowedActions(statements, "kms").filter((a) => a.includes("*"))).toEqual([]);
    for (const statement of grantsOf(statements, "kms:GenerateDataKey")) {
      expect(s(statement.Condition)).toContain("kms:ViaService");
    }
  });

  it("get-stats may only Query the STATS partition of the table: no index, no scan, no writes", () => {
    const statements = statementsOf("get-stats");
    expect(allowedActions(statements, "dynamodb")).toEqual(["dynamodb:Query"]);
    const query = grantsOf(statements, "dynamodb:Query");
    expect(resourcesOf(query)).toEqual([s(arnOf(tableId(json)))]);
    expect(query.map(leadingKeys)).toEqual([["STATS"]]);
    expect(allowedActions(statements, "sqs")).toEqual([]);
    for (const statement of grantsOf(statements, "kms:Decrypt")) {
      expect(s(statement.Condition)).toContain("dynamodb.cn-north-1.amazonaws.com");
    }
  });

  it("both functions know the table and nothing else", () => {
    for (const service of ["update-stats", "get-stats"]) {
      const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, NODE_OPTIONS, ...own } =
        functionByService(json, service)[1].Properties.Environment.Variables;
      expect(POWERTOOLS_SERVICE_NAME).toBe(service);
      expect(own).toEqual({ TABLE_NAME: { Ref: tableId(json) } });
    }
  });
});

describe("cdk-nag", () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it("finds nothing in the construct that the hub's acknowledgements do not cover", () => {
    const outdir = mkdtempSync(join(tmpdir(), "complaint-hub-stats-nag-"));
    outdirs.push(outdir);
    const { app, stack } = buildStack(outdir);
    applyNagSuppressions(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    const quiet = ["log", "error", "warn", "info"].map((m) =>
      vi.spyOn(console, m as "log").mockImplementation(() => {}),
    );
    try {
      app.synth();
    } catch {
      // The small stack's own key and API lack the hub's settings; only the construct's findings matter here.
    } finally {
      for (const spy of quiet) spy.mockRestore();
    }
    const reportFile = join(outdir, "validation-report.json");
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, "utf8"));
    const open = (report.pluginReports ?? []).flatMap((plugin: Cfn) =>
      (plugin.violations ?? []).flatMap((v: Cfn) =>
        (v.violatingConstructs ?? [])
          .map((c: Cfn) => `${v.ruleName} at ${c.constructPath}`)
          .filter((f: string) => f.includes("/Statistics/")),
      ),
    );
    expect(open).toEqual([]);
  });
});
