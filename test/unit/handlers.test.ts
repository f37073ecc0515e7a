import { createHash, randomBytes } from "node:crypto";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  DynamoDBStreamEvent,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ComplaintRecord } from "../../shared/complaint/record";
import { noticeFor } from "../../shared/events/notice";
import {
  advanced,
  complaintRecord,
  FIXTURE_CONSUMER_NAME,
  FIXTURE_CONSUMER_PHONE,
  FIXTURE_NOW,
  validSubmission,
  withField,
} from "../helpers/fixtures";
import { sqsRecord, streamRecord } from "../helpers/records";

const ENV = {
  TABLE_NAME: "complaint-hub-test-complaints",
  TRACKING_TOKEN_SECRET_ID: "complaint-hub/test/tracking-token-key",
  EVENT_BUS_NAME: "complaint-hub-test-bus",
  PLATFORM_ID: "suning",
  PLATFORM_ENDPOINT: "https://sandbox.invalid/suning/complaints",
  RETRY_BASE_DELAY_SECONDS: "1",
  RETRY_MAX_DELAY_SECONDS: "2",
  RETRY_MAX_ATTEMPTS: "3",
  QUEUE_URL: "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/complaint-hub-test-suning",
  URGENT_QUEUE_URL: "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/complaint-hub-test-suning-urgent",
  DEAD_LETTER_QUEUE_URL: "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/complaint-hub-test-suning-dlq",
  WEBHOOK_SECRET_ID: "complaint-hub/test/webhook/suning",
  POWERTOOLS_SERVICE_NAME: "complaint-hub-test",
  POWERTOOLS_METRICS_NAMESPACE: "ComplaintHubTest",
};
const TOKEN_KEY = "handler-test-tracking-token-key";
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString("base64")}`;

// Everything the functions print, to prove no personal data reaches a log line.
const printed: string[] = [];
const capture = (chunk: unknown) => {
  printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
  return true;
};
vi.spyOn(process.stdout, "write").mockImplementation(capture);
vi.spyOn(process.stderr, "write").mockImplementation(capture);
for (const method of ["log", "info", "warn", "error", "debug"] as const) {
  vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    printed.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  });
}

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);

/** The complaints table behind the mocked document client. */
const table = new Map<string, Record<string, unknown>>();
const keyOf = (key: Record<string, unknown> | undefined) => `${key?.pk}|${key?.sk}`;

function mockTable() {
  doc
    .on(PutCommand)
    .callsFake(async (input: { Item: Record<string, unknown>; ConditionExpression?: string }) => {
      const key = keyOf(input.Item);
      if (input.ConditionExpression === "attribute_not_exists(pk)" && table.has(key)) {
        throw new ConditionalCheckFailedException({
          message: "The conditional request failed",
          $metadata: {},
        });
      }
      table.set(key, structuredClone(input.Item));
      return {};
    });
  doc.on(GetCommand).callsFake(async (input: { Key: Record<string, unknown> }) => {
    const item = table.get(keyOf(input.Key));
    return { Item: item ? structuredClone(item) : undefined };
  });
  doc.on(UpdateCommand).resolves({});
}

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "complaint-hub-test-fn",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws-cn:lambda:cn-north-1:111111111111:function:complaint-hub-test-fn",
  memoryLimitInMB: "256",
  awsRequestId: "11111111-2222-3333-4444-555555555555",
  logGroupName: "/aws/lambda/complaint-hub-test-fn",
  logStreamName: "2026/03/02/[$LATEST]abc",
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

function apiEvent(options: {
  method: "GET" | "POST";
  path: string;
  body?: string | null;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
}): APIGatewayProxyEvent {
  return {
    httpMethod: options.method,
    path: options.path,
    resource: options.pathParameters ? "/v1/complaints/{id}" : "/v1/complaints",
    body: options.body ?? null,
    headers: options.headers ?? {},
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: "req-1", stage: "test" } as APIGatewayProxyEvent["requestContext"],
  };
}

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
let submit: ApiHandler;
let getComplaint: ApiHandler;
let deliver: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let publish: (event: DynamoDBStreamEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;

const responses: APIGatewayProxyResult[] = [];
const json = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, unknown>;

let keys = 0;
const newKey = () => `handler-key-${++keys}-0123456789`;

async function post(body: string, headers: Record<string, string> = {}): Promise<APIGatewayProxyResult> {
  const response = await submit(
    apiEvent({
      method: "POST",
      path: "/v1/complaints",
      body,
      headers: {
        "content-type": "application/json",
        // A fresh key unless the test brings its own (in whatever case it spells the name).
        ...(Object.keys(headers).some((h) => h.toLowerCase() === "idempotency-key")
          ? {}
          : { "Idempotency-Key": newKey() }),
        ...headers,
      },
    }),
    context,
  );
  responses.push(response);
  return response;
}

async function read(complaintId: string, authorization?: string): Promise<APIGatewayProxyResult> {
  const response = await getComplaint(
    apiEvent({
      method: "GET",
      path: `/v1/complaints/${complaintId}`,
      pathParameters: { id: complaintId },
      headers: authorization ? { Authorization: authorization } : {},
    }),
    context,
  );
  responses.push(response);
  return response;
}

function expectProblem(response: APIGatewayProxyResult, status: number, type: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.["content-type"]).toBe("application/problem+json");
  const problem = json(response);
  expect(problem).toMatchObject({ type: `urn:complaint-hub:problem:${type}`, status });
  expect(typeof problem.title).toBe("string");
  expect(problem).not.toHaveProperty("stack");
  return problem;
}

beforeAll(async () => {
  Object.assign(process.env, ENV);
  submit = (await import("../../functions/submit-complaint")).handler as unknown as ApiHandler;
  getComplaint = (await import("../../functions/get-complaint")).handler as unknown as ApiHandler;
  deliver = (await import("../../functions/deliver-notice")).handler as unknown as typeof deliver;
  publish = (await import("../../functions/publish-events")).handler as unknown as typeof publish;
});

beforeEach(() => {
  for (const mock of [ddb, doc, secrets, sqs, eventBridge]) mock.reset();
  ddb.rejects(new Error("DynamoDBClient must not be called directly"));
  mockTable();
  secrets
    .on(GetSecretValueCommand, { SecretId: ENV.TRACKING_TOKEN_SECRET_ID })
    .resolves({ SecretString: TOKEN_KEY });
  secrets
    .on(GetSecretValueCommand, { SecretId: ENV.WEBHOOK_SECRET_ID })
    .resolves({ SecretString: JSON.stringify({ current: WEBHOOK_SECRET }) });
});

afterAll(() => {
  vi.restoreAllMocks();
  for (const mock of [ddb, doc, secrets, sqs, eventBridge]) mock.restore();
});

describe("POST /v1/complaints", () => {
  it("accepts a complaint: 201 with the receipt and its Location", async () => {
    const response = await post(JSON.stringify(validSubmission()));
    expect(response.statusCode).toBe(201);
    expect(response.headers?.["content-type"]).toBe("application/json");
    const body = json(response);
    expect(Object.keys(body).sort()).toEqual(["complaintId", "deadlines", "status", "trackingToken"]);
    expect(body.status).toBe("ACCEPTED");
    expect(body.complaintId).toMatch(/^CH[0-9A-Z]{20}$/);
    expect(body.trackingToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.deadlines).toMatchObject({ responseWorkingDays: 7, basis: "estimated_from_submission" });
    expect(response.headers?.location).toBe(`/v1/complaints/${body.complaintId}`);

    const [put] = doc.commandCalls(PutCommand);
    expect(put?.args[0].input).toMatchObject({
      TableName: ENV.TABLE_NAME,
      ConditionExpression: "attribute_not_exists(pk)",
    });
    const item = put?.args[0].input.Item as ComplaintRecord;
    expect(item.trackingTokenHash).toBe(
      createHash("sha256").update(String(body.trackingToken)).digest("hex"),
    );
    expect(JSON.stringify(item)).not.toContain(String(body.trackingToken));
    // The token key comes from Secrets Manager (read once, then cached by the function).
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      ENV.TRACKING_TOKEN_SECRET_ID,
    ]);
  });

  it("answers the same Idempotency-Key and body with 200 and the same complaint and token", async () => {
    const key = "idempotent-repeat-0001";
    const first = await post(JSON.stringify(validSubmission()), { "Idempotency-Key": key });
    const again = await post(JSON.stringify(validSubmission()), { "idempotency-key": key });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(json(again)).toEqual(json(first));
    expect(again.headers?.location).toBe(first.headers?.location);
  });

  it("refuses the same Idempotency-Key with another body: 409", async () => {
    const key = "idempotent-conflict-0001";
    const first = await post(JSON.stringify(validSubmission()), { "Idempotency-Key": key });
    const stored = structuredClone(
      [...table.values()].find((i) => i.complaintId === json(first).complaintId),
    );
    const conflict = await post(JSON.stringify(validSubmission({ title: "Something else entirely" })), {
      "Idempotency-Key": key,
    });
    expectProblem(conflict, 409, "idempotency-conflict");
    expect([...table.values()].find((i) => i.complaintId === json(first).complaintId)).toEqual(stored);
  });

  it("refuses a body that is not JSON: 400 malformed-json", async () => {
    const response = await post('{"platform": "suning",');
    expectProblem(response, 400, "malformed-json");
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("refuses another content type: 415", async () => {
    const response = await post(JSON.stringify(validSubmission()), { "content-type": "text/plain" });
    expectProblem(response, 415, "unsupported-media-type");
    const missing = await submit(apiEvent({ method: "POST", path: "/v1/complaints", body: "{}" }), context);
    responses.push(missing);
    expectProblem(missing, 415, "unsupported-media-type");
  });

  it("refuses a body over 64 KiB before parsing it: 413", async () => {
    const huge = JSON.stringify({ ...validSubmission(), narrative: "述".repeat(22_000) });
    expect(Buffer.byteLength(huge)).toBeGreaterThan(64 * 1024);
    expectProblem(await post(huge), 413, "payload-too-large");
    // Not even valid JSON: the size is checked first.
    expectProblem(await post(`{${" ".repeat(64 * 1024)}`), 413, "payload-too-large");
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("answers validation errors with per-field pointers that do not echo the input", async () => {
    let body: object = withField(validSubmission(), ["consumer", "phone"], "12345678901");
    body = withField(body, ["consents", "shareWithPlatform"], false);
    body = withField(body, ["order", "nickname"], FIXTURE_CONSUMER_NAME);
    const response = await post(JSON.stringify(body));
    const problem = expectProblem(response, 400, "validation");
    const errors = problem.errors as { pointer: string; detail: string }[];
    expect(errors.map((e) => e.pointer).sort()).toEqual([
      "/consents/shareWithPlatform",
      "/consumer/phone",
      "/order",
    ]);
    expect(response.body).not.toContain("12345678901");
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("keeps a time-barred complaint as NOT_ACCEPTED with its Art 15 reason, and routes nothing", async () => {
    const response = await post(
      JSON.stringify(
        validSubmission({
          order: { ...validSubmission().order, date: "2020-05-01" },
          incidentDate: "2020-05-03",
        }),
      ),
    );
    expect(response.statusCode).toBe(201);
    expect(json(response)).toMatchObject({ status: "NOT_ACCEPTED", reason: "art15_time_barred" });
    const item = doc.commandCalls(PutCommand)[0]?.args[0].input.Item as ComplaintRecord;
    expect(item.timeline.at(-1)).toMatchObject({
      actor: "hub",
      to: "NOT_ACCEPTED",
      reason: "art15_time_barred",
    });
    expect(item).not.toHaveProperty("gsi2pk");
  });

  it("answers cross-field violations as 400 too", async () => {
    const response = await post(JSON.stringify(validSubmission({ incidentDate: "2099-01-01" })));
    const problem = expectProblem(response, 400, "validation");
    expect(problem.errors).toEqual([
      { pointer: "/incidentDate", detail: "the incident date is in the future" },
    ]);
  });

  it("answers a DynamoDB failure with a bare 500", async () => {
    doc
      .on(PutCommand)
      .rejects(new Error(`ProvisionedThroughputExceededException for ${FIXTURE_CONSUMER_NAME}`));
    const response = await post(JSON.stringify(validSubmission()));
    const problem = expectProblem(response, 500, "internal");
    expect(problem.title).toBe("Something went wrong on our side");
    expect(response.body).not.toMatch(/Provisioned|Exception|at .*\.ts|node_modules/);
    expect(printed.join("\n")).toContain("Unhandled error");
  });
});

describe("GET /v1/complaints/{id}", () => {
  async function filed() {
    const response = await post(JSON.stringify(validSubmission()));
    const { complaintId, trackingToken } = json(response) as { complaintId: string; trackingToken: string };
    return { complaintId, trackingToken };
  }

  it("needs the tracking token: 401", async () => {
    const { complaintId } = await filed();
    const missing = await read(complaintId);
    expectProblem(missing, 401, "unauthorized");
    expect(missing.headers?.["www-authenticate"]).toBe('Bearer realm="complaint-hub"');
    expectProblem(await read(complaintId, "Basic dXNlcjpwYXNz"), 401, "unauthorized");
    expectProblem(await read(complaintId, "Bearer short"), 401, "unauthorized");
  });

  it("answers an unknown id and a wrong token alike: 404", async () => {
    const { complaintId, trackingToken } = await filed();
    const unknown = await read("CH0000000000000000000Z", `Bearer ${trackingToken}`);
    const wrongToken = await read(complaintId, `Bearer ${"A".repeat(43)}`);
    const malformedId = await read("../../etc/passwd", `Bearer ${trackingToken}`);
    expectProblem(unknown, 404, "not-found");
    expect(wrongToken.statusCode).toBe(404);
    expect(wrongToken.body).toBe(unknown.body);
    expect(malformedId.body).toBe(unknown.body);
  });

  it("takes the Bearer scheme in any case, but not the token", async () => {
    const { complaintId, trackingToken } = await filed();
    expect((await read(complaintId, `bearer ${trackingToken}`)).statusCode).toBe(200);
    expect((await read(complaintId, `BEARER  ${trackingToken} `)).statusCode).toBe(200);
    const swapped = trackingToken.replace(/[a-z]/, (c) => c.toUpperCase());
    expect(swapped).not.toBe(trackingToken);
    expect((await read(complaintId, `Bearer ${swapped}`)).statusCode).toBe(404);
  });

  it("shows the consumer their complaint without internals", async () => {
    const { complaintId, trackingToken } = await filed();
    const stored = [...table.values()].find(
      (i) => i.complaintId === complaintId,
    ) as unknown as ComplaintRecord;
    stored.timeline.push(
      {
        at: FIXTURE_NOW.toISOString(),
        actor: "operator",
        from: "ACCEPTED",
        to: "ACCEPTED",
        note: "operator-only note",
        visibility: "internal",
      },
      {
        at: FIXTURE_NOW.toISOString(),
        actor: "platform",
        from: "ACCEPTED",
        to: "ACCEPTED",
        note: "platform-only note",
        visibility: "platform",
      },
    );

    const response = await read(complaintId, `Bearer ${trackingToken}`);
    expect(response.statusCode).toBe(200);
    const view = json(response);
    expect(view).toMatchObject({
      complaintId,
      platform: "suning",
      status: "ACCEPTED",
      title: validSubmission().title,
    });
    expect((view.timeline as { to: string }[]).map((e) => e.to)).toEqual(["SUBMITTED", "ACCEPTED"]);
    for (const hidden of [
      "operator-only note",
      "platform-only note",
      stored.trackingTokenHash,
      stored.requestHash,
      trackingToken,
    ]) {
      expect(response.body).not.toContain(hidden);
    }
    for (const key of [
      "trackingTokenHash",
      "requestHash",
      "version",
      "pk",
      "gsi1pk",
      "submission",
      "routing",
      "consumer",
    ]) {
      expect(view).not.toHaveProperty(key);
    }
  });
});

describe("deliver-notice handler", () => {
  function queuedRecord(n: number): ComplaintRecord {
    const record = complaintRecord({ complaintId: `CH${String(n).padStart(20, "0")}` });
    const queued = advanced(record, {
      to: "QUEUED",
      actor: "hub",
      at: FIXTURE_NOW,
      reason: "routed_to_platform",
    });
    table.set(
      keyOf(queued as unknown as Record<string, unknown>),
      structuredClone(queued) as unknown as Record<string, unknown>,
    );
    return queued;
  }

  /** A message as the event source hands it over from one of the function's two queues. */
  const fromQueue = (queue: "" | "-urgent", r: ComplaintRecord, i: number) => ({
    ...sqsRecord(JSON.stringify(noticeFor(r)), { messageId: `m-${i}`, receiptHandle: `rh-${i}` }),
    eventSourceARN: `arn:aws-cn:sqs:cn-north-1:111111111111:complaint-hub-test-suning${queue}`,
  });

  it("settles each message on its own: delivered, retried later, parked", async () => {
    const [ok, busy, gone] = [queuedRecord(101), queuedRecord(102), queuedRecord(103)];
    const messages = [ok, busy, gone].map((r, i) => fromQueue("", r, i));
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: "parked-1" });

    const requests: { url: string; headers: Record<string, string>; body: string }[] = [];
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const body = String(init?.body);
      requests.push({ url: String(input), headers: init?.headers as Record<string, string>, body });
      const { complaintId } = JSON.parse(body) as { complaintId: string };
      if (complaintId === ok.complaintId) return Response.json({ caseId: "SN-888" }, { status: 201 });
      if (complaintId === busy.complaintId)
        return new Response("busy", { status: 503, headers: { "retry-after": "30" } });
      return new Response("gone", { status: 410 });
    });

    try {
      const result = await deliver({ Records: messages }, context);
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    } finally {
      fetchSpy.mockRestore();
    }

    expect(requests).toHaveLength(3);
    for (const request of requests) {
      expect(request.url).toBe(ENV.PLATFORM_ENDPOINT);
      expect(new Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)).toMatchObject({
        platform: "suning",
      });
    }

    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input);
    expect(visibility).toEqual([{ QueueUrl: ENV.QUEUE_URL, ReceiptHandle: "rh-1", VisibilityTimeout: 30 }]);

    const parked = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({
      QueueUrl: ENV.DEAD_LETTER_QUEUE_URL,
      MessageBody: messages[2]?.body,
      MessageAttributes: {
        parkedReason: { DataType: "String", StringValue: "status 410: the platform's endpoint is gone" },
        complaintId: { DataType: "String", StringValue: gone.complaintId },
      },
    });

    const updates = doc.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    const delivered = updates.find((u) => JSON.stringify(u.Key).includes(ok.complaintId));
    expect(Object.values(delivered?.ExpressionAttributeValues ?? {})).toContain("DELIVERED");
    const attempts = doc
      .commandCalls(PutCommand)
      .map((c) => c.args[0].input.Item as Record<string, unknown>)
      .filter((i) => i.kind === "attempt");
    expect(attempts.map((a) => [a.complaintId, a.outcome]).sort()).toEqual(
      [
        [ok.complaintId, "delivered"],
        [busy.complaintId, "retry"],
        [gone.complaintId, "parked"],
      ].sort(),
    );
  });

  it("backs off an urgent message in the urgent queue and parks it in the shared DLQ", async () => {
    const [busy, gone] = [queuedRecord(201), queuedRecord(202)];
    const messages = [fromQueue("-urgent", busy, 0), fromQueue("-urgent", gone, 1)];
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: "parked-2" });
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      const { complaintId } = JSON.parse(String(init?.body)) as { complaintId: string };
      return complaintId === busy.complaintId
        ? new Response("busy", { status: 503, headers: { "retry-after": "30" } })
        : new Response("gone", { status: 410 });
    });
    try {
      const result = await deliver({ Records: messages }, context);
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
    } finally {
      fetchSpy.mockRestore();
    }
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input);
    expect(visibility).toEqual([
      { QueueUrl: ENV.URGENT_QUEUE_URL, ReceiptHandle: "rh-0", VisibilityTimeout: 30 },
    ]);
    const parked = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked.map((p) => p.QueueUrl)).toEqual([ENV.DEAD_LETTER_QUEUE_URL]);
  });

  it("refuses a message from a queue it was not given, before posting anything", async () => {
    const stray = {
      ...fromQueue("", queuedRecord(301), 0),
      eventSourceARN: "arn:aws-cn:sqs:cn-north-1:111111111111:complaint-hub-test-vip",
    };
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const result = await deliver({ Records: [stray] }, context);
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

describe("publish-events handler", () => {
  it("puts a Complaint Submitted event for an insert and reports no failures", async () => {
    const record = complaintRecord({ complaintId: "CH00000000000000000201" });
    table.set(
      keyOf(record as unknown as Record<string, unknown>),
      structuredClone(record) as unknown as Record<string, unknown>,
    );
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    const result = await publish({ Records: [streamRecord("900", undefined, record)] }, context);
    expect(result).toEqual({ batchItemFailures: [] });
    const [call] = eventBridge.commandCalls(PutEventsCommand);
    expect(call?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: ENV.EVENT_BUS_NAME,
      Source: "complaint-hub",
      DetailType: "Complaint Submitted",
    });
  });

  it("reports the record whose event failed", async () => {
    const record = complaintRecord({ complaintId: "CH00000000000000000202" });
    table.set(
      keyOf(record as unknown as Record<string, unknown>),
      structuredClone(record) as unknown as Record<string, unknown>,
    );
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] });
    const result = await publish({ Records: [streamRecord("901", undefined, record)] }, context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "901" }] });
  });
});

describe("personal data", () => {
  it("never appears in a response or a log line", () => {
    expect(responses.length).toBeGreaterThan(15);
    const output = printed.join("\n");
    // The capture works: the functions' structured logs are in it.
    expect(output).toContain("Complaint accepted");
    expect(output).toContain("Delivery settled");
    for (const secret of [FIXTURE_CONSUMER_NAME, FIXTURE_CONSUMER_PHONE, TOKEN_KEY, WEBHOOK_SECRET]) {
      expect(output).not.toContain(secret);
      for (const response of responses) expect(response.body).not.toContain(secret);
    }
  });
});
