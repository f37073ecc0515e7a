/**
 * The two statistics functions as Lambda runs them, against the local cloud's DynamoDB: the stream consumer
 * counts once however often a batch comes, and GET /v1/stats answers from the counters with caching headers,
 * 304 for a current ETag, and problem+json when the table fails. Nothing personal reaches a log line.
 */
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { statsReportSchema } from "../../shared/stats/report-schema";
import type { LocalDynamo } from "../helpers/dynalite";
import { FIXTURE_CONSUMER_NAME, FIXTURE_CONSUMER_PHONE } from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";
import { streamRecord } from "../helpers/records";
import { lifecycle } from "./stats-fixtures";

const printed: string[] = [];
const capture = (chunk: unknown) => {
  printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
  return true;
};

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "complaint-hub-test-stats",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws-cn:lambda:cn-north-1:111111111111:function:complaint-hub-test-stats",
  memoryLimitInMB: "512",
  awsRequestId: "11111111-2222-3333-4444-555555555555",
  logGroupName: "/aws/lambda/complaint-hub-test-stats",
  logStreamName: "2026/03/02/[$LATEST]abc",
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const getEvent = (headers: Record<string, string> = {}): APIGatewayProxyEvent => ({
  httpMethod: "GET",
  path: "/v1/stats",
  resource: "/v1/stats",
  body: null,
  headers,
  multiValueHeaders: {},
  isBase64Encoded: false,
  pathParameters: null,
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  stageVariables: null,
  requestContext: { requestId: "req-1", stage: "test" } as APIGatewayProxyEvent["requestContext"],
});

let dynamo: LocalDynamo;
let tableName: string;
let updateStats: (event: DynamoDBStreamEvent, context: Context) => Promise<{ batchItemFailures: unknown[] }>;
let getStats: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Five complaints about JD (quality) through their whole life, as one stream batch. */
function batch(): DynamoDBStreamEvent {
  const Records = [1, 2, 3, 4, 5].flatMap((n) => {
    const complaintId = `CH0000000000000000000${n}`;
    const life = lifecycle({ complaintId, platform: "jd" });
    const images = [
      undefined,
      life.c0,
      life.queued,
      life.delivered,
      life.acknowledged,
      life.answered,
      life.closed,
    ];
    return images
      .slice(1)
      .map((image, i) => streamRecord(`${n}${String(i).padStart(3, "0")}`, images[i], image));
  });
  return { Records };
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  tableName = await dynamo.createComplaintTable();
  vi.stubEnv("TABLE_NAME", tableName);
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
  vi.stubEnv("POWERTOOLS_SERVICE_NAME", "complaint-hub-test");
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  updateStats = (await import("../../functions/update-stats")).handler as unknown as typeof updateStats;
  getStats = (await import("../../functions/get-stats")).handler as unknown as typeof getStats;
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.useRealTimers();
  await dynamo?.stop();
});

describe("the statistics functions", () => {
  it("update-stats counts a batch, and counts nothing when the same batch comes again", async () => {
    expect(await updateStats(batch(), context)).toEqual({ batchItemFailures: [] });
    expect(await updateStats(batch(), context)).toEqual({ batchItemFailures: [] });
  });

  let etag: string;
  it("get-stats answers 200 with the figures, public caching and an ETag", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const response = await getStats(getEvent(), context);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      "content-type": "application/json",
      "cache-control": "public, max-age=300",
    });
    etag = String(response.headers?.etag);
    const report = statsReportSchema.parse(JSON.parse(response.body));
    const jd = report.platforms.find((p) => p.platform === "jd");
    expect(jd?.names).toEqual({ zh: "京东", en: "JD.com" });
    // Five complaints, though update-stats saw their batch twice.
    expect(jd?.categories.find((c) => c.category === "quality")).toEqual({
      category: "quality",
      suppressed: false,
      received: 5,
      delivered: 5,
      onTimeResponseRate: 1,
      settlementRate: 1,
      medianFirstResponseHours: 5,
    });
  });

  it("get-stats answers 304 when If-None-Match names the current ETag (header names in any case)", async () => {
    const response = await getStats(getEvent({ "If-None-Match": etag }), context);
    expect(response.statusCode).toBe(304);
    expect(response.body).toBe("");
    expect(response.headers).toMatchObject({ etag });
  });

  it("get-stats serves a burst from memory, then answers problem+json when the table fails", async () => {
    await dynamo.client.send(new DeleteTableCommand({ TableName: tableName }));
    // Within the minute: still the cached figures, though the table is gone.
    expect((await getStats(getEvent(), context)).statusCode).toBe(200);
    vi.setSystemTime(Date.now() + 61_000);
    const response = await getStats(getEvent(), context);
    expect(response.statusCode).toBe(500);
    expect(response.headers?.["content-type"]).toBe("application/problem+json");
    expect(response.headers?.["cache-control"]).toBe("no-store");
    expect(JSON.parse(response.body)).toMatchObject({ type: "urn:complaint-hub:problem:internal" });
  });

  it("update-stats reports the record it could not count, and logs ids only", async () => {
    const event = batch();
    const result = await updateStats(event, context);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: event.Records[0]?.dynamodb?.SequenceNumber },
    ]);
    const log = printed.join("\n");
    expect(log).toContain("CH00000000000000000001");
    expect(log).not.toContain(FIXTURE_CONSUMER_NAME);
    expect(log).not.toContain(FIXTURE_CONSUMER_PHONE);
  });
});
