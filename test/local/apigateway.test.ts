/**
 * The local API Gateway (REST API, Lambda proxy) over real HTTP: routing with and without the stage,
 * the proxy event a function receives, response mapping, request validation through the template's gateway
 * responses, the 10 MB limit, stage throttling, CORS preflight through MOCK methods, integration errors,
 * and the real synthesized template's routes and model.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderGatewayResponse } from "../../local/apigateway/gateway-responses.js";
import { createLocalRestApi, type LocalRestApi, TokenBucket } from "../../local/apigateway/local-rest-api.js";
import type { ProxyEvent } from "../../local/apigateway/proxy-event.js";
import { buildRestApiModels, matchRoute } from "../../local/apigateway/rest-api-model.js";
import { loadStack, type StackTemplate } from "../../local/assembly/cloud-assembly.js";
import type { InvokeResult } from "../../local/lambda/local-function.js";
import { type ResolveContext, resolveValue } from "../../local/template/intrinsics.js";
import { physicalResource } from "../../local/template/physical-resources.js";
import { buildStackModel } from "../../local/template/stack-model.js";

const REGION = "cn-north-1";
const ACCOUNT = "000000000000";
const STACK = "ItemsStack";
const fnArn = (logicalId: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${STACK}-${logicalId}`;

const api = { Ref: "Api" };
const lambdaUri = (fn: string) => ({
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      ":apigateway:",
      { Ref: "AWS::Region" },
      ":lambda:path/2015-03-31/functions/",
      { "Fn::GetAtt": [fn, "Arn"] },
      "/invocations",
    ],
  ],
});
const proxy = (fn: string) => ({ Type: "AWS_PROXY", IntegrationHttpMethod: "POST", Uri: lambdaUri(fn) });
const method = (resource: unknown, httpMethod: string, properties: Record<string, unknown>) => ({
  Type: "AWS::ApiGateway::Method",
  Properties: {
    RestApiId: api,
    ResourceId: resource,
    HttpMethod: httpMethod,
    AuthorizationType: "NONE",
    ...properties,
  },
});
const resource = (parent: unknown, part: string) => ({
  Type: "AWS::ApiGateway::Resource",
  Properties: { RestApiId: api, ParentId: parent, PathPart: part },
});
const fn = { Type: "AWS::Lambda::Function", Properties: { Handler: "index.handler", Runtime: "nodejs24.x" } };
const problem = (type: string, title: string, detail: string) =>
  `{"type":"urn:items:problem:${type}","title":"${title}","detail":${detail}}`;

/** A small REST API as CDK would synthesize it. */
const TEMPLATE: StackTemplate = {
  Resources: {
    Api: {
      Type: "AWS::ApiGateway::RestApi",
      Properties: { Name: "items-api", BinaryMediaTypes: ["image/png"] },
    },
    V1: resource({ "Fn::GetAtt": ["Api", "RootResourceId"] }, "v1"),
    Items: resource({ Ref: "V1" }, "items"),
    Item: resource({ Ref: "Items" }, "{id}"),
    Files: resource({ Ref: "V1" }, "files"),
    FilesProxy: resource({ Ref: "Files" }, "{proxy+}"),
    CreateFn: fn,
    GetFn: fn,
    FilesFn: fn,
    Validator: {
      Type: "AWS::ApiGateway::RequestValidator",
      Properties: { RestApiId: api, Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true },
    },
    ItemModel: {
      Type: "AWS::ApiGateway::Model",
      Properties: {
        RestApiId: api,
        Name: "ItemV1",
        ContentType: "application/json",
        Schema: {
          $schema: "http://json-schema.org/draft-04/schema#",
          type: "object",
          properties: {
            name: { type: "string", minLength: 1 },
            quantity: { type: "integer", minimum: 1 },
            contact: { type: "string", format: "email" },
          },
          required: ["name"],
          additionalProperties: false,
        },
      },
    },
    ItemsPost: method({ Ref: "Items" }, "POST", {
      Integration: proxy("CreateFn"),
      RequestValidatorId: { Ref: "Validator" },
      RequestModels: { "application/json": { Ref: "ItemModel" } },
      OperationName: "CreateItem",
    }),
    ItemGet: method({ Ref: "Item" }, "GET", {
      Integration: proxy("GetFn"),
      RequestValidatorId: { Ref: "Validator" },
      RequestParameters: { "method.request.path.id": true },
    }),
    ItemPut: method({ Ref: "Item" }, "PUT", { Integration: proxy("GetFn") }),
    ItemDelete: method({ Ref: "Item" }, "DELETE", {
      Integration: proxy("GetFn"),
      RequestValidatorId: { Ref: "Validator" },
      RequestParameters: {
        "method.request.querystring.confirm": true,
        "method.request.header.X-Reason": true,
        "method.request.querystring.note": false,
      },
    }),
    FilesAny: method({ Ref: "FilesProxy" }, "ANY", { Integration: proxy("FilesFn") }),
    ItemsOptions: method({ Ref: "Items" }, "OPTIONS", {
      Integration: {
        Type: "MOCK",
        RequestTemplates: { "application/json": "{ statusCode: 200 }" },
        IntegrationResponses: [
          {
            StatusCode: "204",
            ResponseParameters: {
              "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
              "method.response.header.Access-Control-Allow-Origin": "'*'",
              "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
            },
          },
        ],
      },
      MethodResponses: [{ StatusCode: "204" }],
    }),
    BadBody: {
      Type: "AWS::ApiGateway::GatewayResponse",
      Properties: {
        RestApiId: api,
        ResponseType: "BAD_REQUEST_BODY",
        ResponseTemplates: {
          "application/problem+json": problem(
            "validation",
            "Invalid item",
            '"$context.error.validationErrorString"',
          ),
          "application/json": '{"message":$context.error.messageString,"requestId":"$context.requestId"}',
        },
      },
    },
    Default4xx: {
      Type: "AWS::ApiGateway::GatewayResponse",
      Properties: {
        RestApiId: api,
        ResponseType: "DEFAULT_4XX",
        ResponseParameters: { "gatewayresponse.header.Access-Control-Allow-Origin": "'*'" },
        ResponseTemplates: {
          "application/problem+json": problem("refused", "Refused", "$context.error.messageString"),
        },
      },
    },
    Default5xx: {
      Type: "AWS::ApiGateway::GatewayResponse",
      Properties: {
        RestApiId: api,
        ResponseType: "DEFAULT_5XX",
        ResponseTemplates: {
          "application/json": problem("internal", "Internal", '"$context.error.responseType"'),
        },
      },
    },
    Throttled: {
      Type: "AWS::ApiGateway::GatewayResponse",
      Properties: {
        RestApiId: api,
        ResponseType: "THROTTLED",
        StatusCode: "429",
        ResponseParameters: { "gatewayresponse.header.Retry-After": "'1'" },
        ResponseTemplates: {
          "application/json": problem("throttled", "Slow down", "$context.error.messageString"),
        },
      },
    },
    Deployment: { Type: "AWS::ApiGateway::Deployment", Properties: { RestApiId: api } },
    Stage: {
      Type: "AWS::ApiGateway::Stage",
      Properties: {
        RestApiId: api,
        DeploymentId: { Ref: "Deployment" },
        StageName: "test",
        Variables: { flavour: "local" },
        MethodSettings: [
          { ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500 },
          // One method with a tiny bucket: two requests, then 429 until (much) later.
          {
            ResourcePath: "/~1v1~1items~1{id}",
            HttpMethod: "PUT",
            ThrottlingRateLimit: 0.001,
            ThrottlingBurstLimit: 2,
          },
        ],
      },
    },
  },
};

const identity = {
  region: REGION,
  accountId: ACCOUNT,
  partition: "aws",
  stackName: STACK,
  awsEndpoint: "http://127.0.0.1:9",
};
const resolveContext: ResolveContext = {
  region: REGION,
  accountId: ACCOUNT,
  partition: "aws",
  stackName: STACK,
  parameters: {},
  physical: (logicalId) => {
    const r = TEMPLATE.Resources[logicalId];
    return r && physicalResource(logicalId, r, identity, (p) => r.Properties?.[p] as string | undefined);
  },
};
const resolve = (value: unknown) => resolveValue(value, resolveContext);

/** The fake functions: what each ARN answers, and every event it was given. */
const calls: { arn: string; event: ProxyEvent }[] = [];
const behaviour: Record<string, (event: ProxyEvent) => InvokeResult | Promise<InvokeResult>> = {
  [fnArn("CreateFn")]: (event) => ({
    ok: true,
    payload: { statusCode: 201, headers: { "Content-Type": "application/json" }, body: event.body ?? "" },
  }),
  [fnArn("GetFn")]: (event) => {
    const id = event.pathParameters?.id;
    if (id === "boom") return { ok: false, errorType: "Error", errorMessage: "boom" };
    if (id === "malformed") return { ok: true, payload: { statusCode: 200, body: { not: "a string" } } };
    if (id === "extra") return { ok: true, payload: { statusCode: 200, body: "", message: "extra" } };
    if (id === "throws") throw new Error("No local function");
    return {
      ok: true,
      payload: {
        statusCode: 200,
        headers: { "X-Item": String(id), Server: "fn" },
        multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
        body: JSON.stringify({ id }),
      },
    };
  },
  [fnArn("FilesFn")]: (event) => ({
    ok: true,
    payload: {
      statusCode: 200,
      headers: { "Content-Type": "image/png" },
      body: Buffer.from(event.body ?? "", "base64")
        .reverse()
        .toString("base64"),
      isBase64Encoded: true,
    },
  }),
};

let server: Server;
let base: string;
let localApi: LocalRestApi;
const logs: string[] = [];

beforeAll(async () => {
  localApi = createLocalRestApi({
    template: TEMPLATE,
    resolve,
    invoke: async (arn, event) => {
      calls.push({ arn, event });
      const handler = behaviour[arn];
      if (!handler) throw new Error(`No function ${arn}`);
      return handler(event);
    },
    region: REGION,
    accountId: ACCOUNT,
    log: (line) => logs.push(line),
  });
  server = createServer((req, res) => void localApi.handle(req, res));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

const lastCall = () => calls[calls.length - 1] as { arn: string; event: ProxyEvent };

describe("route table", () => {
  it("reads every method of the template, with its integration and function", () => {
    const [model] = buildRestApiModels(TEMPLATE, resolve);
    expect(model?.name).toBe("items-api");
    expect(localApi.stageName).toBe("test");
    expect(
      localApi
        .routes()
        .map((r) => `${r.httpMethod} ${r.path} ${r.functionArn ?? r.integration}`)
        .sort(),
    ).toEqual(
      [
        `POST /v1/items ${fnArn("CreateFn")}`,
        "OPTIONS /v1/items mock",
        `GET /v1/items/{id} ${fnArn("GetFn")}`,
        `PUT /v1/items/{id} ${fnArn("GetFn")}`,
        `DELETE /v1/items/{id} ${fnArn("GetFn")}`,
        `ANY /v1/files/{proxy+} ${fnArn("FilesFn")}`,
      ].sort(),
    );
    const post = localApi.match("POST", "/test/v1/items");
    expect(post?.method.validator).toMatchObject({
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    expect(post?.method.requestModels).toEqual({ "application/json": "ItemV1" });
    expect(model?.stages[0]?.methodSettings).toContainEqual({
      resourcePath: "/v1/items/{id}",
      httpMethod: "PUT",
      throttlingRateLimit: 0.001,
      throttlingBurstLimit: 2,
    });
  });

  it("prefers literal parts over parameters over greedy parts, and ignores a trailing slash", () => {
    const [model] = buildRestApiModels(TEMPLATE, resolve);
    if (!model) throw new Error("no model");
    expect(matchRoute(model, "GET", "/v1/items/7/")?.pathParameters).toEqual({ id: "7" });
    expect(matchRoute(model, "DELETE", "/v1/files/a/b/c")?.pathParameters).toEqual({ proxy: "a/b/c" });
    expect(matchRoute(model, "GET", "/v1/files")).toBeUndefined();
    expect(matchRoute(model, "PATCH", "/v1/items/7")).toBeUndefined();
  });
});

describe("Lambda proxy", () => {
  it("gives the function the REST proxy event", async () => {
    const response = await fetch(`${base}/test/v1/items/abc%20d?tag=a&tag=b+c&single=%2F1`, {
      headers: { "X-Custom": "one", Authorization: "Bearer t0k3n", "User-Agent": "items-test/1.0" },
    });
    expect(response.status).toBe(200);
    const { arn, event } = lastCall();
    expect(arn).toBe(fnArn("GetFn"));
    expect(event).toMatchObject({
      resource: "/v1/items/{id}",
      path: "/v1/items/abc%20d",
      httpMethod: "GET",
      pathParameters: { id: "abc%20d" },
      queryStringParameters: { tag: "b c", single: "/1" },
      multiValueQueryStringParameters: { tag: ["a", "b c"], single: ["/1"] },
      stageVariables: { flavour: "local" },
      body: null,
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({
      "X-Custom": "one",
      Authorization: "Bearer t0k3n",
      "User-Agent": "items-test/1.0",
      "X-Forwarded-For": "127.0.0.1",
    });
    expect(event.multiValueHeaders?.["X-Custom"]).toEqual(["one"]);
    expect(event.headers?.["X-Amzn-Trace-Id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(Object.keys(event.headers ?? {}).map((h) => h.toLowerCase())).not.toContain("connection");
    const ctx = event.requestContext;
    expect(ctx).toMatchObject({
      accountId: ACCOUNT,
      resourcePath: "/v1/items/{id}",
      httpMethod: "GET",
      path: "/test/v1/items/abc%20d",
      stage: "test",
      protocol: "HTTP/1.1",
      identity: { sourceIp: "127.0.0.1", userAgent: "items-test/1.0", caller: null, user: null },
    });
    expect(ctx.apiId).toBe(localApi.api.apiId);
    expect(ctx.resourceId).toBe(resolve({ Ref: "Item" }));
    expect(ctx.requestId).toBe(response.headers.get("x-amzn-requestid"));
    expect(ctx.extendedRequestId).toBe(response.headers.get("x-amz-apigw-id"));
    expect(ctx.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(ctx.requestTimeEpoch - Date.now())).toBeLessThan(10_000);
    expect(ctx.domainName).toBe(new URL(base).host);
  });

  it("maps the function's result to the response", async () => {
    const response = await fetch(`${base}/test/v1/items/42`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "42" });
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-item")).toBe("42");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    // Reserved headers from an integration are renamed, as API Gateway does.
    expect(response.headers.get("x-amzn-remapped-server")).toBe("fn");
  });

  it("serves paths without the stage prefix too", async () => {
    const response = await fetch(`${base}/v1/items/7`);
    expect(response.status).toBe(200);
    expect(lastCall().event.path).toBe("/v1/items/7");
    expect(lastCall().event.requestContext.path).toBe("/test/v1/items/7");
  });

  it("passes a valid JSON body as text", async () => {
    const body = JSON.stringify({ name: "kettle", quantity: 2 });
    const response = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe(body);
    expect(lastCall().event).toMatchObject({ body, isBase64Encoded: false, resource: "/v1/items" });
    expect(lastCall().event.headers?.["Content-Type"]).toBe("application/json");
  });

  it("base64-encodes binary media types both ways and routes greedy paths", async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);
    const response = await fetch(`${base}/test/v1/files/a/b.png`, {
      method: "PUT",
      headers: { "Content-Type": "image/png", Accept: "image/png" },
      body: bytes,
    });
    expect(response.status).toBe(200);
    const { event } = lastCall();
    expect(event).toMatchObject({
      resource: "/v1/files/{proxy+}",
      pathParameters: { proxy: "a/b.png" },
      httpMethod: "PUT",
      isBase64Encoded: true,
      body: bytes.toString("base64"),
    });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(bytes).reverse());
    // Without a binary Accept type, the base64 text goes out as is.
    const text = await fetch(`${base}/test/v1/files/x`, {
      method: "POST",
      headers: { "Content-Type": "image/png", Accept: "application/json" },
      body: bytes,
    });
    expect(await text.text()).toBe(Buffer.from(bytes).reverse().toString("base64"));
  });

  it("answers 502 through DEFAULT_5XX when the function fails or returns a malformed result", async () => {
    for (const id of ["boom", "malformed", "extra"]) {
      const response = await fetch(`${base}/test/v1/items/${id}`);
      expect(response.status, id).toBe(502);
      expect(await response.json()).toEqual({
        type: "urn:items:problem:internal",
        title: "Internal",
        detail: "DEFAULT_5XX",
      });
      expect(response.headers.get("x-amzn-errortype")).toBe("InternalServerErrorException");
    }
    const lost = await fetch(`${base}/test/v1/items/throws`);
    expect(lost.status).toBe(502);
    expect(logs.some((l) => l.includes("Malformed Lambda proxy response"))).toBe(true);
    expect(logs.some((l) => l.includes("Error: boom"))).toBe(true);
  });
});

describe("gateway responses", () => {
  it("refuses a body that does not match the model, through the BAD_REQUEST_BODY templates", async () => {
    const before = calls.length;
    const response = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/problem+json" },
      body: JSON.stringify({ quantity: 0, colour: "red", contact: "nobody" }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problemBody = (await response.json()) as { type: string; detail: string };
    expect(problemBody.type).toBe("urn:items:problem:validation");
    expect(problemBody.detail).toContain('object has missing required properties (["name"])');
    expect(problemBody.detail).toContain(
      'object instance has properties which are not allowed by the schema: ["colour"]',
    );
    expect(problemBody.detail).toContain(
      "numeric instance is lower than the required minimum (minimum: 1, found: 0)",
    );
    expect(problemBody.detail).toContain('string "nobody" is not a valid email address');
    expect(calls.length).toBe(before);

    // Accept: application/json picks the other template; the message is API Gateway's.
    const json = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(400);
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(await json.json()).toEqual({
      message: "Invalid request body",
      requestId: json.headers.get("x-amzn-requestid"),
    });
  });

  it("refuses a body that is not JSON, or no body at all, for a JSON model", async () => {
    const broken = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: "{not json",
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toBe("Invalid request body");
    // No Content-Type: API Gateway takes application/json; an empty body is validated as {}.
    const empty = await fetch(`${base}/test/v1/items`, { method: "POST" });
    expect(empty.status).toBe(400);
  });

  it("does not validate a body whose content type has no model (and no $default model)", async () => {
    const response = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "{not json",
    });
    expect(response.status).toBe(201);
    expect(lastCall().event.body).toBe("{not json");
  });

  it("refuses missing required parameters through DEFAULT_4XX", async () => {
    const response = await fetch(`${base}/test/v1/items/9?confirm=`, {
      method: "DELETE",
      headers: { Accept: "application/problem+json" },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.json()).toEqual({
      type: "urn:items:problem:refused",
      title: "Refused",
      detail: "Missing required request parameters: [X-Reason, confirm]",
    });
    const ok = await fetch(`${base}/test/v1/items/9?confirm=yes`, {
      method: "DELETE",
      headers: { "X-Reason": "duplicate" },
    });
    expect(ok.status).toBe(200);
  });

  it("answers an unknown route or method with MISSING_AUTHENTICATION_TOKEN (403, via DEFAULT_4XX)", async () => {
    for (const [path, httpMethod] of [
      ["/test/v1/nowhere", "GET"],
      ["/test/v1/items", "PATCH"],
      ["/other/v1/items", "POST"],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method: httpMethod });
      expect(response.status, `${httpMethod} ${path}`).toBe(403);
      expect(response.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as { detail: string }).detail).toBe("Missing Authentication Token");
    }
  });

  it("uses API Gateway's own defaults when the template defines no gateway response", () => {
    const source = {
      headers: [],
      query: {},
      pathParameters: {},
      stageVariables: null,
      context: localApiContext(),
    };
    const missing = renderGatewayResponse(
      {},
      { type: "MISSING_AUTHENTICATION_TOKEN", message: "Missing Authentication Token" },
      source,
    );
    expect(missing.statusCode).toBe(403);
    expect(JSON.parse(missing.body.toString())).toEqual({ message: "Missing Authentication Token" });
    expect(missing.headers).toContainEqual(["Content-Type", ["application/json"]]);
    const failed = renderGatewayResponse(
      {},
      { type: "DEFAULT_5XX", message: "Internal server error", statusCode: 502 },
      source,
    );
    expect(failed.statusCode).toBe(502);
    expect(JSON.parse(failed.body.toString())).toEqual({ message: "Internal server error" });
  });

  it("answers 413 for a body over 10 MB, streamed or declared", async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 11 * 1024 * 1024) {
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const before = calls.length;
    const streamed = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/problem+json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({
      type: "urn:items:problem:refused",
      title: "Refused",
      detail: "Request Too Long",
    });
    const declared = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(declared.status).toBe(413);
    expect(calls.length).toBe(before);
    // Exactly 10 MB is still accepted (and then refused by the model, not by the limit).
    const atLimit = await fetch(`${base}/test/v1/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: Buffer.alloc(10 * 1024 * 1024, 0x20),
    });
    expect(atLimit.status).toBe(400);
  });

  it("throttles a method once its burst is used up, with the THROTTLED response's headers", async () => {
    const statuses: number[] = [];
    let throttled: Response | undefined;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${base}/test/v1/items/t${i}`, { method: "PUT" });
      statuses.push(response.status);
      if (response.status === 429) throttled = response;
      else await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(throttled?.headers.get("retry-after")).toBe("1");
    expect(throttled?.headers.get("x-amzn-errortype")).toBe("TooManyRequestsException");
    expect(await throttled?.json()).toEqual({
      type: "urn:items:problem:throttled",
      title: "Slow down",
      detail: "Too Many Requests",
    });
    // Other methods have their own buckets (the stage's /* setting).
    expect((await fetch(`${base}/test/v1/items/t9`)).status).toBe(200);
  });

  it("lets a test replace the stage's throttling (e.g. another stage's limits), then restore it", async () => {
    const statuses = async (n: number) => {
      const seen: number[] = [];
      for (let i = 0; i < n; i++) {
        const response = await fetch(`${base}/test/v1/items/o${i}`);
        await response.arrayBuffer();
        seen.push(response.status);
      }
      return seen;
    };
    localApi.setStageThrottling({ rateLimit: 0.001, burstLimit: 1 });
    try {
      expect(await statuses(2)).toEqual([200, 429]);
    } finally {
      localApi.setStageThrottling(undefined);
    }
    expect(await statuses(3)).toEqual([200, 200, 200]);
    expect(() => localApi.setStageThrottling({ rateLimit: 0, burstLimit: 1 })).toThrow(/rateLimit/);
  });
});

describe("CORS preflight", () => {
  it("answers OPTIONS from the MOCK integration's response parameters", async () => {
    const before = calls.length;
    const response = await fetch(`${base}/test/v1/items`, {
      method: "OPTIONS",
      headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
    expect(response.headers.get("access-control-allow-headers")).toBe("Content-Type,Authorization");
    expect(await response.text()).toBe("");
    expect(calls.length).toBe(before);
  });
});

describe("token bucket", () => {
  it("allows the burst, then refills at the rate", () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it("neither refills nor drains when the local cloud's clock is moved back", () => {
    let now = 100_000;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take()]).toEqual([true, true]);
    now -= 60_000;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 500;
    expect(bucket.take()).toBe(true);
  });
});

describe("the synthesized ComplaintHub template", () => {
  const root = join(import.meta.dirname, "..", "..");
  const assembly = join(root, "cdk.out");
  let real: LocalRestApi;
  let functionArnOf: (description: string) => string;
  let realServer: Server;
  let realBase: string;
  const realCalls: { arn: string; event: ProxyEvent }[] = [];

  beforeAll(async () => {
    if (
      !existsSync(join(assembly, "ComplaintHub-dev.template.json")) ||
      !existsSync(join(assembly, "manifest.json"))
    )
      execFileSync("npx", ["cdk", "synth", "--quiet"], { cwd: root, stdio: "ignore" });
    const stack = loadStack(assembly);
    const model = buildStackModel(stack, {
      accountId: ACCOUNT,
      partition: "aws",
      awsEndpoint: "http://127.0.0.1:9",
    });
    functionArnOf = (description) => {
      const entry = Object.entries(stack.template.Resources).find(
        ([, r]) => r.Type === "AWS::Lambda::Function" && r.Properties?.Description === description,
      );
      if (!entry) throw new Error(`No function described as ${description}`);
      return model.physical.get(entry[0])?.attributes.Arn as string;
    };
    real = createLocalRestApi({
      template: stack.template,
      resolve: model.resolve,
      invoke: async (arn, event) => {
        realCalls.push({ arn, event });
        return { ok: true, payload: { statusCode: 201, body: "{}" } };
      },
      region: model.identity.region,
      accountId: ACCOUNT,
    });
    realServer = createServer((req, res) => void real.handle(req, res));
    await new Promise<void>((done) => realServer.listen(0, "127.0.0.1", done));
    realBase = `http://127.0.0.1:${(realServer.address() as AddressInfo).port}`;
  }, 180_000);

  afterAll(async () => {
    realServer?.closeAllConnections();
    await new Promise((done) => realServer?.close(done));
  });

  it("routes POST /v1/complaints and GET /v1/complaints/{id} to their functions", () => {
    expect(real.stageName).toBe("dev");
    const post = real.match("POST", "/dev/v1/complaints");
    expect(post?.method.integration).toMatchObject({
      kind: "lambda-proxy",
      functionArn: functionArnOf("POST /v1/complaints"),
    });
    expect(post?.method.requestModels).toEqual({ "application/json": "ComplaintSubmissionV1" });
    const get = real.match("GET", "/v1/complaints/c-123");
    expect(get?.pathParameters).toEqual({ id: "c-123" });
    expect(get?.method.integration).toMatchObject({
      kind: "lambda-proxy",
      functionArn: functionArnOf("GET /v1/complaints/{id}"),
    });
    expect(get?.method.requestParameters).toContainEqual(
      expect.objectContaining({ name: "id", required: true }),
    );
  });

  it("validates submissions with the ComplaintSubmissionV1 model", async () => {
    const post = (body: unknown) =>
      fetch(`${realBase}/dev/v1/complaints`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/problem+json" },
        body: JSON.stringify(body),
      });
    const accepted = await post(SUBMISSION);
    expect(accepted.status).toBe(201);
    expect(realCalls.at(-1)?.arn).toBe(functionArnOf("POST /v1/complaints"));

    const refused = await post({ ...SUBMISSION, unexpected: "field" });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(await refused.json()).toMatchObject({ type: "urn:complaint-hub:problem:validation", status: 400 });
    expect(realCalls.length).toBe(1);

    const unknown = await fetch(`${realBase}/dev/v1/nothing`);
    expect(unknown.status).toBe(404);
  });
});

const SUBMISSION = {
  platform: "jd",
  seller: { type: "third_party", shopName: "Kettle World" },
  order: { id: "JD-1001", date: "2024-03-02", item: "Electric kettle", amountFen: 19900, currency: "CNY" },
  incidentDate: "2024-03-05",
  category: { nature: "quality", domain: "home_appliances" },
  title: "Kettle leaks",
  narrative: "The kettle leaks from the base after two uses.",
  demands: ["refund"],
  consumer: { name: "Li Lei", phone: "13800138000", regionCode: "110105" },
  consents: { processing: true, shareWithPlatform: true },
};

function localApiContext() {
  return {
    resourceId: "",
    resourcePath: "",
    httpMethod: "GET",
    extendedRequestId: "x",
    requestTime: "",
    path: "/test/x",
    accountId: ACCOUNT,
    protocol: "HTTP/1.1",
    stage: "test",
    domainPrefix: "localhost",
    requestTimeEpoch: 0,
    requestId: "r",
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: "127.0.0.1",
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: null,
      user: null,
    },
    domainName: "localhost",
    apiId: "api",
  };
}
