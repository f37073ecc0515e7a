/**
 * The complaints table and the consumers' REST API: on-demand, recoverable, encrypted with the hub key and
 * streamed; an API validated at the gateway with the very zod schema the function uses, throttled, traced,
 * access-logged, and answering its own errors as problem+json.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { GSI_BY_DEADLINE, GSI_BY_PLATFORM_STATUS } from "../../infra/constructs/complaint-table";
import { apiGatewayModel } from "../../infra/request-models";
import { STAGES } from "../../infra/stages";
import { submissionSchema } from "../../shared/complaint/submission";
import { feedbackSchema, messageSchema, withdrawalSchema } from "../../shared/consumer/requests";
import {
  arnOf,
  type Cfn,
  functionByService,
  keyId,
  onlyOne,
  resourcesOfType,
  synthHub,
  tableId,
} from "./hub-template";

const dev = STAGES.dev as NonNullable<(typeof STAGES)["dev"]>;

let json: Cfn;
beforeAll(() => {
  json = synthHub().json;
});

describe("the complaints table", () => {
  let table: Cfn;
  beforeAll(() => {
    table = json.Resources[tableId(json)].Properties;
  });

  it("is a TableV2 billed on demand, in this region only", () => {
    expect(table.BillingMode).toBe("PAY_PER_REQUEST");
    expect(table.Replicas.map((r: Cfn) => r.Region)).toEqual(["cn-north-1"]);
    expect(table.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
  });

  it("has point-in-time recovery and SSE with the hub key", () => {
    const [replica] = table.Replicas;
    expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: "KMS" });
    expect(replica.SSESpecification).toEqual({ KMSMasterKeyId: arnOf(keyId(json)) });
  });

  it("streams new and old images and expires items on expiresAt", () => {
    expect(table.StreamSpecification).toEqual({ StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
  });

  it("has the byPlatformStatus and byDeadline indexes", () => {
    expect([GSI_BY_PLATFORM_STATUS, GSI_BY_DEADLINE]).toEqual(["byPlatformStatus", "byDeadline"]);
    expect(table.GlobalSecondaryIndexes.map((g: Cfn) => g.IndexName)).toEqual([
      "byPlatformStatus",
      "byDeadline",
    ]);
    for (const gsi of table.GlobalSecondaryIndexes) {
      expect(
        gsi.KeySchema.map((k: Cfn) => k.KeyType),
        gsi.IndexName,
      ).toEqual(["HASH", "RANGE"]);
      expect(gsi.Projection.ProjectionType, gsi.IndexName).toBe("INCLUDE");
      expect(gsi.Projection.NonKeyAttributes, gsi.IndexName).toContain("complaintId");
    }
  });
});

describe("the REST API", () => {
  let apiId: string;
  const resourceAt = (parent: Cfn, pathPart: string): string =>
    onlyOne(
      resourcesOfType(json, "AWS::ApiGateway::Resource").filter(
        ([, r]) =>
          r.Properties.PathPart === pathPart &&
          JSON.stringify(r.Properties.ParentId) === JSON.stringify(parent),
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
  const complaintsResource = () =>
    resourceAt({ Ref: resourceAt({ "Fn::GetAtt": [apiId, "RootResourceId"] }, "v1") }, "complaints");
  const integrationTarget = (method: Cfn) =>
    JSON.stringify(method.Integration.Uri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1];

  beforeAll(() => {
    apiId = onlyOne(resourcesOfType(json, "AWS::ApiGateway::RestApi"), "REST API")[0];
  });

  it("POST /v1/complaints validates the body against the submission model and calls submit", () => {
    const post = methodOn(complaintsResource(), "POST");
    const validator = json.Resources[post.RequestValidatorId.Ref];
    expect(validator.Type).toBe("AWS::ApiGateway::RequestValidator");
    expect(validator.Properties.ValidateRequestBody).toBe(true);
    const model = json.Resources[post.RequestModels["application/json"].Ref];
    expect(model.Type).toBe("AWS::ApiGateway::Model");
    expect(model.Properties.ContentType).toBe("application/json");
    expect(post.Integration.Type).toBe("AWS_PROXY");
    expect(integrationTarget(post)).toBe(functionByService(json, "submit-complaint")[0]);
  });

  it("GET /v1/complaints/{id} requires the id and calls get", () => {
    const get = methodOn(resourceAt({ Ref: complaintsResource() }, "{id}"), "GET");
    expect(get.RequestParameters).toEqual({ "method.request.path.id": true });
    expect(json.Resources[get.RequestValidatorId.Ref].Properties.ValidateRequestParameters).toBe(true);
    expect(get.Integration.Type).toBe("AWS_PROXY");
    expect(integrationTarget(get)).toBe(functionByService(json, "get-complaint")[0]);
  });

  describe.each([
    ["feedback", "consumer-feedback", "ConsumerFeedbackV1", feedbackSchema],
    ["withdraw", "consumer-withdraw", "ConsumerWithdrawalV1", withdrawalSchema],
    ["messages", "consumer-message", "ConsumerMessageV1", messageSchema],
  ] as const)("POST /v1/complaints/{id}/%s", (path, service, modelName, schema) => {
    const method = () =>
      methodOn(resourceAt({ Ref: resourceAt({ Ref: complaintsResource() }, "{id}") }, path), "POST");

    it(`requires the id, validates the body against ${modelName} and calls ${service}`, () => {
      const post = method();
      expect(post.RequestParameters).toEqual({ "method.request.path.id": true });
      const validator = json.Resources[post.RequestValidatorId.Ref].Properties;
      expect(validator).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
      const model = json.Resources[post.RequestModels["application/json"].Ref];
      expect(model.Properties).toMatchObject({ Name: modelName, ContentType: "application/json" });
      expect(post.Integration.Type).toBe("AWS_PROXY");
      expect(integrationTarget(post)).toBe(functionByService(json, service)[0]);
    });

    it("checks the token in the function: the gateway asks for no authorizer", () => {
      expect(method().AuthorizationType).toBe("NONE");
    });

    it("has the model of the zod schema the function validates with, unknown fields refused", () => {
      const model = json.Resources[method().RequestModels["application/json"].Ref].Properties.Schema;
      expect(model).toStrictEqual(z.toJSONSchema(schema, { target: "draft-04", io: "input" }));
      expect(model.additionalProperties).toBe(false);
    });
  });

  it("lets API Gateway invoke each consumer function through its own route only", () => {
    // The route is the end of the permission's source ARN: ".../<stage>/<METHOD>/<path>", for the deployed
    // stage and for the console's test-invoke-stage.
    const routesOf = new Map<string, Set<string>>();
    for (const [, permission] of resourcesOfType(json, "AWS::Lambda::Permission")) {
      if (permission.Properties.Principal !== "apigateway.amazonaws.com") continue;
      const route = String(permission.Properties.SourceArn["Fn::Join"][1].at(-1)).replace(
        /^(?:\/test-invoke-stage)?\//,
        "",
      );
      const fnId = permission.Properties.FunctionName["Fn::GetAtt"][0];
      routesOf.set(fnId, (routesOf.get(fnId) ?? new Set()).add(route));
    }
    const expected: Record<string, string> = {
      "submit-complaint": "POST/v1/complaints",
      "get-complaint": "GET/v1/complaints/*",
      "consumer-feedback": "POST/v1/complaints/*/feedback",
      "consumer-withdraw": "POST/v1/complaints/*/withdraw",
      "consumer-message": "POST/v1/complaints/*/messages",
      "get-stats": "GET/v1/stats",
    };
    for (const [service, route] of Object.entries(expected)) {
      expect([...(routesOf.get(functionByService(json, service)[0]) ?? [])], service).toEqual([route]);
    }
    const consumerRouteFunctions = [...routesOf]
      .filter(([, routes]) => [...routes].some((r) => /^[A-Z]+\/v1\//.test(r)))
      .map(([fnId]) => fnId);
    expect(consumerRouteFunctions.sort()).toEqual(
      Object.keys(expected)
        .map((service) => functionByService(json, service)[0])
        .sort(),
    );
  });

  describe("the submission model", () => {
    let schema: Cfn;
    beforeAll(() => {
      schema = onlyOne(
        resourcesOfType(json, "AWS::ApiGateway::Model").filter(
          ([, m]) => m.Properties.Name === "ComplaintSubmissionV1",
        ),
        "submission model",
      )[1].Properties.Schema;
    });

    it("refuses unknown fields and requires the consents", () => {
      expect(schema.type).toBe("object");
      expect(schema.additionalProperties).toBe(false);
      expect(schema.required).toContain("consents");
      expect(schema.properties.consents.required).toEqual(
        expect.arrayContaining(["processing", "shareWithPlatform"]),
      );
      expect(schema.properties.consents.additionalProperties).toBe(false);
    });

    it("is what apiGatewayModel(submissionSchema) returns, in CloudFormation's spelling", () => {
      expect(schema).toStrictEqual(toCloudFormationSchema(apiGatewayModel(submissionSchema)));
    });

    it("is the zod schema the submit function validates with, as draft-04", () => {
      expect(schema).toStrictEqual(z.toJSONSchema(submissionSchema, { target: "draft-04", io: "input" }));
    });
  });

  describe("the stage", () => {
    let stage: Cfn;
    beforeAll(() => {
      stage = onlyOne(resourcesOfType(json, "AWS::ApiGateway::Stage"), "stage")[1].Properties;
    });

    it("is throttled at the stage's limits and traced", () => {
      expect(stage.StageName).toBe("dev");
      expect(stage.TracingEnabled).toBe(true);
      const [settings] = stage.MethodSettings;
      expect(settings).toMatchObject({
        HttpMethod: "*",
        ResourcePath: "/*",
        ThrottlingRateLimit: dev.api.rateLimit,
        ThrottlingBurstLimit: dev.api.burstLimit,
        DataTraceEnabled: false,
      });
    });

    it("writes JSON access logs without caller data to an encrypted log group", () => {
      const logGroup = json.Resources[stage.AccessLogSetting.DestinationArn["Fn::GetAtt"][0]];
      expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
      expect(logGroup.Properties.KmsKeyId).toEqual(arnOf(keyId(json)));
      expect(logGroup.Properties.RetentionInDays).toBe(dev.logRetentionDays);
      const format = JSON.parse(stage.AccessLogSetting.Format);
      expect(format).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
      expect(stage.AccessLogSetting.Format).not.toContain("$context.identity.sourceIp");
    });
  });

  describe("gateway responses", () => {
    const responses = () =>
      new Map<string, Cfn>(
        resourcesOfType(json, "AWS::ApiGateway::GatewayResponse").map(([, r]) => [
          r.Properties.ResponseType,
          r.Properties,
        ]),
      );

    it("cover the errors the gateway answers itself", () => {
      expect([...responses().keys()].sort()).toEqual(
        [
          "BAD_REQUEST_BODY",
          "BAD_REQUEST_PARAMETERS",
          "DEFAULT_4XX",
          "DEFAULT_5XX",
          "MISSING_AUTHENTICATION_TOKEN",
          "REQUEST_TOO_LARGE",
          "THROTTLED",
          "UNSUPPORTED_MEDIA_TYPE",
        ].sort(),
      );
    });

    it("answer with application/problem+json bodies with a stable type", () => {
      for (const [type, response] of responses()) {
        const template = response.ResponseTemplates["application/problem+json"];
        expect(template, type).toBeTypeOf("string");
        // $context.error.messageString is a quoted string once API Gateway renders it
        const body = JSON.parse(template.replace("$context.error.messageString", '"message"'));
        expect(body.type, type).toMatch(/^urn:complaint-hub:problem:[a-z-]+$/);
        expect(body.title, type).toBeTypeOf("string");
        expect(response.ResponseParameters?.["gatewayresponse.header.Content-Type"], type).toBe(
          "'application/problem+json'",
        );
      }
    });

    it("turn unknown routes into 404 and throttling into 429 with Retry-After", () => {
      const r = responses();
      expect(r.get("MISSING_AUTHENTICATION_TOKEN").StatusCode).toBe("404");
      expect(r.get("THROTTLED").StatusCode).toBe("429");
      expect(r.get("THROTTLED").ResponseParameters).toEqual({
        "gatewayresponse.header.Content-Type": "'application/problem+json'",
        "gatewayresponse.header.Retry-After": "'1'",
      });
    });
  });
});

/** CDK's rendering of a JsonSchema: `schema` and `ref` get their `$`, except where keys are user data. */
function toCloudFormationSchema(value: unknown, keysAreData = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toCloudFormationSchema(v));
  if (!value || typeof value !== "object") return value;
  const prefixed: Record<string, string> = { schema: "$schema", ref: "$ref" };
  const dataKeys = new Set(["properties", "definitions", "patternProperties", "dependencies"]);
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      keysAreData ? key : (prefixed[key] ?? key),
      toCloudFormationSchema(v, !keysAreData && dataKeys.has(key)),
    ]),
  );
}
