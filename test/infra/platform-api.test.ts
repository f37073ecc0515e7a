/**
 * The platforms' API (infra/constructs/platform-api.ts): its two routes on the hub's REST API, the report model
 * from the zod schema the function uses, a webhook secret for every platform (push and pull), and least
 * privilege: the platform functions read every platform's webhook secret and no other, the report function
 * gets and writes items, the inbox queries one index and writes only webhook-id records.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { PLATFORMS } from "../../infra/platforms";
import { platformReportSchema } from "../../shared/platform/report";
import {
  allowedActions,
  arnOf,
  type Cfn,
  functionByService,
  grantsOf,
  onlyOne,
  PULL_PLATFORMS,
  PUSH_PLATFORMS,
  resourcesOf,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  secretIdByName,
  synthHub,
  tableId,
} from "./hub-template";

let json: Cfn;
beforeAll(() => {
  json = synthHub().json;
});

const s = (value: unknown) => JSON.stringify(value);
const statementsOf = (service: string) => roleStatements(json, roleIdOf(functionByService(json, service)[1]));
const secretName = (id: string) => `complaint-hub/dev/platforms/${id}/webhook`;
const ENABLED = PLATFORMS.filter((p) => p.enabled);

describe("webhook secrets", () => {
  it.each(ENABLED.map((p) => [p.id, p.delivery.mode]))("%s (%s) has one, generated as { current }", (id) => {
    const secret = json.Resources[secretIdByName(json, secretName(id))].Properties;
    expect(secret.GenerateSecretString).toMatchObject({
      SecretStringTemplate: "{}",
      GenerateStringKey: "current",
      PasswordLength: 44,
    });
  });

  it("no delivery function reads a pull platform's secret", () => {
    for (const push of PUSH_PLATFORMS) {
      const text = s(statementsOf(`deliver-${push.id}`));
      for (const pull of PULL_PLATFORMS)
        expect(text).not.toContain(`"${secretIdByName(json, secretName(pull.id))}"`);
    }
  });
});

describe("the routes", () => {
  let apiId: string;
  const resourceAt = (parent: Cfn, pathPart: string): string =>
    onlyOne(
      resourcesOfType(json, "AWS::ApiGateway::Resource").filter(
        ([, r]) => r.Properties.PathPart === pathPart && s(r.Properties.ParentId) === s(parent),
      ),
      `resource ${pathPart}`,
    )[0];
  const methodOn = (resource: string, httpMethod: string): Cfn =>
    onlyOne(
      resourcesOfType(json, "AWS::ApiGateway::Method").filter(
        ([, m]) => m.Properties.ResourceId?.Ref === resource && m.Properties.HttpMethod === httpMethod,
      ),
      `${httpMethod} method`,
    )[1].Properties;
  const integrationTarget = (method: Cfn) =>
    s(method.Integration.Uri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1];
  const complaints = () => {
    const platform = resourceAt({ "Fn::GetAtt": [apiId, "RootResourceId"] }, "platform");
    return resourceAt({ Ref: resourceAt({ Ref: platform }, "v1") }, "complaints");
  };

  beforeAll(() => {
    apiId = onlyOne(resourcesOfType(json, "AWS::ApiGateway::RestApi"), "REST API")[0];
  });

  it("POST /platform/v1/complaints/{id}/events validates the report against its model and calls platform-report", () => {
    const events = resourceAt({ Ref: resourceAt({ Ref: complaints() }, "{id}") }, "events");
    const post = methodOn(events, "POST");
    expect(post.AuthorizationType).toBe("NONE");
    expect(post.RequestParameters).toEqual({ "method.request.path.id": true });
    const validator = json.Resources[post.RequestValidatorId.Ref].Properties;
    expect(validator).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    const model = json.Resources[post.RequestModels["application/json"].Ref].Properties;
    expect(model.Name).toBe("PlatformReportV1");
    expect(model.Schema).toStrictEqual(
      z.toJSONSchema(platformReportSchema, { target: "draft-04", io: "input" }),
    );
    expect(post.Integration.Type).toBe("AWS_PROXY");
    expect(integrationTarget(post)).toBe(functionByService(json, "platform-report")[0]);
  });

  it("GET /platform/v1/complaints takes optional status, since, limit and cursor and calls platform-inbox", () => {
    const get = methodOn(complaints(), "GET");
    expect(get.RequestParameters).toEqual({
      "method.request.querystring.status": false,
      "method.request.querystring.since": false,
      "method.request.querystring.limit": false,
      "method.request.querystring.cursor": false,
    });
    expect(get.Integration.Type).toBe("AWS_PROXY");
    expect(integrationTarget(get)).toBe(functionByService(json, "platform-inbox")[0]);
  });

  it("requires no signature headers at the gateway: the function answers a missing one with 401", () => {
    const post = methodOn(resourceAt({ Ref: resourceAt({ Ref: complaints() }, "{id}") }, "events"), "POST");
    expect(Object.keys(post.RequestParameters).some((p) => p.includes(".header."))).toBe(false);
  });

  it("lets API Gateway invoke each platform function through its own route only", () => {
    const routes = (service: string) =>
      resourcesOfType(json, "AWS::Lambda::Permission")
        .filter(
          ([, p]) => p.Properties.FunctionName["Fn::GetAtt"]?.[0] === functionByService(json, service)[0],
        )
        .map(([, p]) =>
          String(p.Properties.SourceArn["Fn::Join"][1].at(-1)).replace(/^(?:\/test-invoke-stage)?\//, ""),
        );
    expect([...new Set(routes("platform-report"))]).toEqual(["POST/platform/v1/complaints/*/events"]);
    expect([...new Set(routes("platform-inbox"))]).toEqual(["GET/platform/v1/complaints"]);
  });
});

describe("least privilege", () => {
  const everySecret = () => ENABLED.map((p) => s({ Ref: secretIdByName(json, secretName(p.id)) })).sort();

  it.each(["platform-report", "platform-inbox"])(
    "%s reads every platform's webhook secret and no other",
    (service) => {
      const statements = statementsOf(service);
      expect(resourcesOf(grantsOf(statements, "secretsmanager:GetSecretValue"))).toEqual(everySecret());
      expect(allowedActions(statements, "secretsmanager")).toEqual([
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
      ]);
      expect(allowedActions(statements, "sqs")).toEqual([]);
      expect(allowedActions(statements, "events")).toEqual([]);
    },
  );

  it.each(["platform-report", "platform-inbox"])(
    "%s knows the secrets by a name template, never a value",
    (service) => {
      const [, fn] = functionByService(json, service);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        TABLE_NAME: { Ref: tableId(json) },
        PLATFORM_WEBHOOK_SECRET_ID: "complaint-hub/dev/platforms/{platform}/webhook",
      });
    },
  );

  it("platform-report gets, puts and updates items of the table, and never queries or scans", () => {
    const statements = statementsOf("platform-report");
    expect(allowedActions(statements, "dynamodb")).toEqual([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]);
    expect(resourcesOf(grantsOf(statements, "dynamodb:UpdateItem"))).toEqual([s(arnOf(tableId(json)))]);
  });

  it("platform-inbox queries only the byPlatformStatus index and puts only webhook-id records", () => {
    const statements = statementsOf("platform-inbox");
    expect(allowedActions(statements, "dynamodb")).toEqual(["dynamodb:PutItem", "dynamodb:Query"]);
    const queries = grantsOf(statements, "dynamodb:Query");
    expect(s(queries)).toContain("/index/byPlatformStatus");
    expect(s(queries)).not.toContain("/index/*");
    const [put] = grantsOf(statements, "dynamodb:PutItem");
    expect(put?.Resource).toEqual(arnOf(tableId(json)));
    expect(put?.Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["REPLAY#*#*"] } });
    expect(grantsOf(statements, "dynamodb:GetItem")).toEqual([]);
  });
});
