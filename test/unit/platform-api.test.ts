/**
 * The platform API's handlers (functions/platform-report.ts, functions/platform-inbox.ts) as Lambda runs them,
 * against the local cloud's DynamoDB, with Secrets Manager mocked: every way a signature is refused (401,
 * nothing written), tenancy (403), problem answers, and the inbox's query, pagination and data minimisation.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type ComplaintRecord, replayPk } from "../../shared/complaint/record";
import { signWebhook, type WebhookSecrets } from "../../shared/delivery/signing";
import type { ComplaintStatus } from "../../shared/lifecycle/states";
import { ComplaintStore } from "../../shared/store/complaint-store";
import type { LocalDynamo } from "../helpers/dynalite";
import {
  advanced,
  complaintRecord,
  FIXTURE_CONSUMER_NAME,
  FIXTURE_CONSUMER_PHONE,
  FIXTURE_NOW,
  validSubmission,
} from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";

const key = () => `whsec_${randomBytes(32).toString("base64")}`;
const SECRETS: Record<string, WebhookSecrets> = {
  suning: { current: key() },
  vip: { current: key() },
  jd: { current: key() },
  yhd: { current: key() },
  // In a rotation: both keys are good.
  tmall: { current: key(), previous: key() },
};

// Everything the functions print, to prove no personal data reaches a log line.
const printed: string[] = [];
const capture = (chunk: unknown) => {
  printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
  return true;
};
vi.spyOn(process.stdout, "write").mockImplementation(capture);
vi.spyOn(process.stderr, "write").mockImplementation(capture);

const secretsManager = mockClient(SecretsManagerClient);
let dynamo: LocalDynamo;
let tableName: string;
let store: ComplaintStore;
// biome-ignore lint/suspicious/noExplicitAny: SDK command inputs, inspected freely
type Cfn = any;
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
let reportHandler: Handler;
let inboxHandler: Handler;

const context = {
  awsRequestId: "22222222-3333-4444-5555-666666666666",
  functionName: "complaint-hub-test-platform",
  getRemainingTimeInMillis: () => 10_000,
} as Context;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  tableName = await dynamo.createComplaintTable();
  store = new ComplaintStore(dynamo.doc, tableName);
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    PLATFORM_WEBHOOK_SECRET_ID: "complaint-hub/test/platforms/{platform}/webhook",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_SERVICE_NAME: "platform-api-test",
    POWERTOOLS_METRICS_NAMESPACE: "ComplaintHubTest",
  });
  reportHandler = (await import("../../functions/platform-report")).handler as unknown as Handler;
  inboxHandler = (await import("../../functions/platform-inbox")).handler as unknown as Handler;
});

afterAll(async () => {
  await dynamo?.stop();
});

beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
    const platform = /^complaint-hub\/test\/platforms\/([a-z0-9-]+)\/webhook$/.exec(input.SecretId)?.[1];
    const secret = platform ? SECRETS[platform] : undefined;
    if (!secret) throw new Error(`no secret ${input.SecretId}`);
    return { SecretString: JSON.stringify(secret) };
  });
});

let ids = 0;
const nextId = () => `CHA${String(++ids).padStart(19, "0")}`;

async function complaintFor(platform: string, path: [ComplaintStatus, "hub" | "platform"][] = []) {
  let record = complaintRecord({ complaintId: nextId(), submission: validSubmission({ platform }) });
  for (const [i, [to, actor]] of path.entries()) {
    record = advanced(record, { to, actor, at: new Date(FIXTURE_NOW.getTime() + (i + 1) * 60_000) });
    if (to === "DELIVERED") record.delivery = { state: "delivered", attempts: 1, caseRef: `${platform}-1` };
  }
  await store.create(record);
  return record;
}
const delivered = (platform: string) =>
  complaintFor(platform, [
    ["QUEUED", "hub"],
    ["DELIVERED", "hub"],
  ]);

interface Signing {
  platformId?: string | null;
  secrets?: WebhookSecrets;
  webhookId?: string;
  at?: Date;
  /** Header names to leave out. */
  omit?: string[];
  /** The body the signature is computed over, when it differs from the one sent. */
  signedBody?: string;
}

function signedHeaders(body: string, options: Signing = {}): Record<string, string> {
  const platformId = options.platformId === undefined ? "suning" : options.platformId;
  const secrets = options.secrets ?? SECRETS[platformId ?? "suning"] ?? (SECRETS.suning as WebhookSecrets);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    ...signWebhook(
      secrets,
      options.webhookId ?? `msg_${randomUUID()}`,
      options.at ?? new Date(),
      options.signedBody ?? body,
    ),
    ...(platformId ? { "Platform-Id": platformId } : {}),
  };
  for (const name of options.omit ?? []) {
    for (const h of Object.keys(headers)) if (h.toLowerCase() === name) delete headers[h];
  }
  return headers;
}

function event(
  method: "GET" | "POST",
  path: string,
  body: string | null,
  headers: Record<string, string>,
  extra: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    body,
    headers,
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: "req-2", stage: "test" } as APIGatewayProxyEvent["requestContext"],
    ...extra,
  };
}

let eventIds = 0;
const ackBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventId: `e-${++eventIds}`, type: "ACK", occurredAt: new Date().toISOString(), ...extra });

async function postReport(complaintId: string, body: string, signing: Signing = {}) {
  return reportHandler(
    event("POST", `/platform/v1/complaints/${complaintId}/events`, body, signedHeaders(body, signing), {
      pathParameters: { id: complaintId },
    }),
    context,
  );
}

async function getInbox(query: Record<string, string> | null, signing: Signing = {}) {
  return inboxHandler(
    event("GET", "/platform/v1/complaints", null, signedHeaders("", signing), {
      queryStringParameters: query,
    }),
    context,
  );
}

const json = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, unknown>;

function expectProblem(response: APIGatewayProxyResult, status: number, type: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers?.["content-type"]).toBe("application/problem+json");
  expect(json(response)).toMatchObject({ type: `urn:complaint-hub:problem:${type}`, status });
  expect(response.body).not.toContain("stack");
}

async function storedItem(complaintId: string) {
  return (await store.get(complaintId)) as ComplaintRecord;
}

async function replayItem(platform: string, webhookId: string) {
  const { Item } = await dynamo.doc.send(
    new GetCommand({ TableName: tableName, Key: { pk: replayPk(platform, webhookId), sk: "REPLAY" } }),
  );
  return Item;
}

describe("POST /platform/v1/complaints/{id}/events", () => {
  it("accepts a report signed with the platform's secret", async () => {
    const complaint = await delivered("suning");
    const response = await postReport(complaint.complaintId, ackBody({ eventId: "first-ack" }));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers?.["content-type"]).toBe("application/json");
    expect(json(response)).toEqual({
      complaintId: complaint.complaintId,
      eventId: "first-ack",
      type: "ACK",
      status: "ACKNOWLEDGED",
      receivedAt: expect.any(String),
    });
    expect((await storedItem(complaint.complaintId)).status).toBe("ACKNOWLEDGED");
  });

  it("answers a repeated eventId with the same outcome, marked as a replay", async () => {
    const complaint = await delivered("suning");
    const body = ackBody();
    const first = await postReport(complaint.complaintId, body);
    const second = await postReport(complaint.complaintId, body);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers?.["idempotent-replayed"]).toBe("true");
    expect(first.headers?.["idempotent-replayed"]).toBeUndefined();
  });

  it("accepts the previous secret during a rotation, and a signature list with one good signature", async () => {
    const complaint = await delivered("tmall");
    const tmall = SECRETS.tmall as Required<WebhookSecrets>;
    const old = await postReport(complaint.complaintId, ackBody(), {
      platformId: "tmall",
      secrets: { current: tmall.previous },
    });
    expect(old.statusCode, old.body).toBe(200);
    const body = JSON.stringify({
      eventId: "c-1",
      type: "CONTACTED_CONSUMER",
      occurredAt: new Date().toISOString(),
    });
    const headers = signedHeaders(body, { platformId: "tmall" });
    const wrong = signWebhook({ current: key() }, headers["webhook-id"] as string, new Date(), body);
    headers["webhook-signature"] = `${wrong["webhook-signature"]} ${headers["webhook-signature"]}`;
    const response = await reportHandler(
      event("POST", "/x", body, headers, { pathParameters: { id: complaint.complaintId } }),
      context,
    );
    expect(response.statusCode, response.body).toBe(200);
  });

  describe("refuses a signature with 401 and changes nothing", () => {
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    it.each<[string, Signing]>([
      ["a wrong secret", { secrets: { current: key() } }],
      ["another platform's secret", { secrets: SECRETS.jd }],
      ["a timestamp 6 minutes old", { at: minutes(-6) }],
      ["a timestamp 6 minutes ahead", { at: minutes(6) }],
      ["a tampered body", { signedBody: ackBody() }],
      ["no platform-id", { platformId: null }],
      ["an unknown platform-id", { platformId: "pinduoduo", secrets: SECRETS.suning }],
      ["no webhook-id", { omit: ["webhook-id"] }],
      ["no webhook-timestamp", { omit: ["webhook-timestamp"] }],
      ["no webhook-signature", { omit: ["webhook-signature"] }],
    ])("%s", async (_name, signing) => {
      const complaint = await delivered("suning");
      const webhookId = `msg_${randomUUID()}`;
      const response = await postReport(complaint.complaintId, ackBody(), { webhookId, ...signing });
      expectProblem(response, 401, "signature-refused");
      expect(response.headers?.["www-authenticate"]).toContain("StandardWebhooks");
      expect(await storedItem(complaint.complaintId)).toEqual(complaint);
      expect(await replayItem("suning", webhookId)).toBeUndefined();
    });

    it("a replayed webhook-id, even with a fresh timestamp and another body", async () => {
      const complaint = await delivered("suning");
      const webhookId = `msg_${randomUUID()}`;
      expect((await postReport(complaint.complaintId, ackBody(), { webhookId })).statusCode).toBe(200);
      const after = await storedItem(complaint.complaintId);
      expect(await replayItem("suning", webhookId)).toMatchObject({ kind: "replay", platform: "suning" });

      const replay = await postReport(
        complaint.complaintId,
        JSON.stringify({
          eventId: "other",
          type: "CONTACTED_CONSUMER",
          occurredAt: new Date().toISOString(),
        }),
        { webhookId },
      );
      expectProblem(replay, 401, "signature-refused");
      expect(json(replay).detail).toContain("webhook-id was used before");
      expect(await storedItem(complaint.complaintId)).toEqual(after);
    });

    it("keeps seen webhook-ids until their timestamp could no longer pass (TTL)", async () => {
      const webhookId = `msg_${randomUUID()}`;
      const complaint = await delivered("suning");
      const signedAt = Math.floor(Date.now() / 1000);
      await postReport(complaint.complaintId, ackBody(), { webhookId });
      const item = await replayItem("suning", webhookId);
      expect(item?.expiresAt).toBeGreaterThanOrEqual(signedAt + 300);
      expect(item?.expiresAt).toBeLessThan(signedAt + 3600);
    });
  });

  it("refuses a report on another platform's complaint with 403 problem+json", async () => {
    const complaint = await delivered("suning");
    const response = await postReport(complaint.complaintId, ackBody(), { platformId: "vip" });
    expectProblem(response, 403, "forbidden");
    expect(await storedItem(complaint.complaintId)).toEqual(complaint);
  });

  it("answers an unknown complaint with 404", async () => {
    expectProblem(await postReport("CH0000000000000000ZZZZ", ackBody()), 404, "not-found");
  });

  it("answers a report the lifecycle does not allow with 409 illegal-transition", async () => {
    const complaint = await complaintFor("suning", [["QUEUED", "hub"]]);
    const body = JSON.stringify({
      eventId: "r-1",
      type: "RESOLVED",
      occurredAt: new Date().toISOString(),
      relief: { type: "refund", amountFen: 100 },
    });
    expectProblem(await postReport(complaint.complaintId, body), 409, "illegal-transition");
    expect(await storedItem(complaint.complaintId)).toEqual(complaint);
  });

  it("answers a bad body with 400 and field pointers, a huge one with 413", async () => {
    const complaint = await delivered("suning");
    const bad = await postReport(complaint.complaintId, JSON.stringify({ eventId: "x", type: "RESOLVED" }));
    expectProblem(bad, 400, "validation");
    expect(JSON.stringify(json(bad).errors)).toContain("/relief");
    expectProblem(await postReport(complaint.complaintId, "{oops"), 400, "malformed-json");
    const huge = ackBody({ note: "x".repeat(20_000) });
    expectProblem(await postReport(complaint.complaintId, huge), 413, "payload-too-large");
  });

  it("verifies a base64-encoded body as the bytes that were signed", async () => {
    const complaint = await delivered("suning");
    const body = ackBody({ note: "已联系消费者" });
    const response = await reportHandler(
      event("POST", "/x", Buffer.from(body).toString("base64"), signedHeaders(body), {
        isBase64Encoded: true,
        pathParameters: { id: complaint.complaintId },
      }),
      context,
    );
    expect(response.statusCode, response.body).toBe(200);
  });

  it("logs no note and no personal data", async () => {
    const complaint = await delivered("suning");
    printed.length = 0;
    await postReport(complaint.complaintId, ackBody({ note: `Spoke to ${FIXTURE_CONSUMER_NAME}` }));
    const text = printed.join("\n");
    expect(text).toContain(complaint.complaintId);
    expect(text).not.toContain(FIXTURE_CONSUMER_NAME);
    expect(text).not.toContain(FIXTURE_CONSUMER_PHONE);
  });
});

describe("GET /platform/v1/complaints", () => {
  const yhd: ComplaintRecord[] = [];
  let other: ComplaintRecord;

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) yhd.push(await delivered("yhd"));
    yhd.push(await complaintFor("yhd", [["QUEUED", "hub"]]));
    other = await delivered("vip");
  });

  const page = (response: APIGatewayProxyResult) =>
    json(response) as { items: { complaintId: string; status: string }[]; cursor?: string };

  it("lists the calling platform's own complaints and nobody else's", async () => {
    const response = await getInbox(null, { platformId: "yhd" });
    expect(response.statusCode, response.body).toBe(200);
    const ids = page(response).items.map((i) => i.complaintId);
    expect(ids.sort()).toEqual(yhd.map((c) => c.complaintId).sort());
    expect(ids).not.toContain(other.complaintId);
  });

  it("gives state and clock only: no consumer contact, no submission content", async () => {
    const response = await getInbox(null, { platformId: "yhd" });
    expect(response.body).not.toContain(FIXTURE_CONSUMER_NAME);
    expect(response.body).not.toContain(FIXTURE_CONSUMER_PHONE);
    expect(response.body).not.toContain("trackingTokenHash");
    const [item] = page(response).items;
    expect(Object.keys(item as object).sort()).toEqual(
      ["complaintId", "deadlines", "delivery", "status", "statusSince", "updatedAt", "urgent"].sort(),
    );
  });

  it("filters by status through the index key", async () => {
    const queued = page(await getInbox({ status: "QUEUED" }, { platformId: "yhd" })).items;
    expect(queued.map((i) => i.complaintId)).toEqual([yhd[5]?.complaintId]);
    expect(queued[0]?.status).toBe("QUEUED");
  });

  it("filters by the time of the last change", async () => {
    const late = { ...(yhd[0] as ComplaintRecord) };
    await store.updateDelivery(late, { lastError: "none" }, new Date("2030-01-01T00:00:00Z"));
    const since = page(await getInbox({ since: "2029-12-31T00:00:00+08:00" }, { platformId: "yhd" })).items;
    expect(since.map((i) => i.complaintId)).toEqual([late.complaintId]);
  });

  it("pages with an opaque cursor until the end", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await getInbox({ limit: "2", ...(cursor ? { cursor } : {}) }, { platformId: "yhd" });
      expect(response.statusCode, response.body).toBe(200);
      const body = page(response);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((i) => i.complaintId));
      cursor = body.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.sort()).toEqual(yhd.map((c) => c.complaintId).sort());
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it("refuses another platform's cursor, a cursor of another query and a made-up one", async () => {
    const vipCursor = page(await getInbox({ limit: "1" }, { platformId: "vip" })).cursor;
    const yhdCursor = page(await getInbox({ limit: "1" }, { platformId: "yhd" })).cursor as string;
    const forged = Buffer.from(
      JSON.stringify({
        v: 1,
        k: { gsi1pk: "P#vip", gsi1sk: "x", pk: "C#x", sk: "META" },
        q: { status: "", since: "" },
      }),
    ).toString("base64url");
    for (const [cursor, query] of [
      [vipCursor, {}],
      [yhdCursor, { status: "DELIVERED" }],
      [forged, {}],
      ["not-a-cursor", {}],
    ] as const) {
      if (!cursor) continue;
      expectProblem(await getInbox({ ...query, cursor }, { platformId: "yhd" }), 400, "validation");
    }
  });

  it("refuses bad query parameters with 400", async () => {
    for (const query of <Record<string, string>[]>[
      { status: "LOST" },
      { limit: "0" },
      { limit: "101" },
      { since: "monday" },
      { sort: "x" },
    ]) {
      expectProblem(await getInbox(query, { platformId: "yhd" }), 400, "validation");
    }
  });

  it("is signed like the reports: unsigned, or signed by someone else, is 401", async () => {
    expectProblem(
      await getInbox(null, { platformId: "yhd", omit: ["webhook-signature"] }),
      401,
      "signature-refused",
    );
    expectProblem(
      await getInbox(null, { platformId: "yhd", secrets: SECRETS.vip }),
      401,
      "signature-refused",
    );
  });

  it("queries the byPlatformStatus index on the caller's partition and never scans", async () => {
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, "send");
    try {
      await getInbox({ status: "DELIVERED" }, { platformId: "yhd" });
      const commands = send.mock.calls.map(
        ([command]) => command as { constructor: { name: string }; input: Cfn },
      );
      const names = commands.map((c) => c.constructor.name);
      expect(names).not.toContain("ScanCommand");
      const query = commands.find((c) => c.constructor.name === "QueryCommand");
      expect(query?.input).toMatchObject({
        IndexName: "byPlatformStatus",
        KeyConditionExpression: "gsi1pk = :p AND begins_with(gsi1sk, :s)",
        ExpressionAttributeValues: { ":p": "P#yhd", ":s": "DELIVERED#" },
      });
    } finally {
      send.mockRestore();
    }
  });
});
