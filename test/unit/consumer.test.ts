/**
 * The consumer's actions on their complaint (feedback, withdraw, messages) through their Lambda handlers, against
 * the local cloud's DynamoDB (conditional updates and transactions for real): each success, and each refusal
 * (no token 401, wrong token 404, wrong state 409, bad body 400, too large 413, concurrent change 409), with
 * nothing written by a refusal.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type ComplaintRecord,
  complaintPk,
  deadlineShard,
  type MessageRecord,
} from "../../shared/complaint/record";
import { decideFeedback } from "../../shared/consumer/feedback";
import { decideMessage } from "../../shared/consumer/message";
import { canRecordProgress } from "../../shared/lifecycle/state-machine";
import {
  type Actor,
  COMPLAINT_STATUSES,
  type ComplaintStatus,
  TERMINAL_STATUSES,
} from "../../shared/lifecycle/states";
import { ComplaintStore } from "../../shared/store/complaint-store";
import type { LocalDynamo } from "../helpers/dynalite";
import { advanced, complaintRecord, FIXTURE_CONSUMER_NAME, FIXTURE_NOW } from "../helpers/fixtures";
import { startLocalDynamoDb } from "../helpers/local-dynamodb";

const TOKEN = "fixture-tracking-token-0123456789";
/** Distinctive free text: a log line that contains it has leaked what the consumer wrote. */
const SECRET_TEXT = `My neighbour ${FIXTURE_CONSUMER_NAME} saw the parcel arrive open`;

// Everything the functions print, to prove the consumer's words never reach a log line.
const printed: string[] = [];
const capture = (chunk: unknown) => {
  printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
  return true;
};
vi.spyOn(process.stdout, "write").mockImplementation(capture);
vi.spyOn(process.stderr, "write").mockImplementation(capture);

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
const handlers = {} as Record<"feedback" | "withdraw" | "messages" | "get", ApiHandler>;
let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  tableName = await dynamo.createComplaintTable();
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_SERVICE_NAME: "complaint-hub-test",
    POWERTOOLS_METRICS_NAMESPACE: "ComplaintHubTest",
  });
  handlers.feedback = (await import("../../functions/consumer-feedback")).handler as unknown as ApiHandler;
  handlers.withdraw = (await import("../../functions/consumer-withdraw")).handler as unknown as ApiHandler;
  handlers.messages = (await import("../../functions/consumer-message")).handler as unknown as ApiHandler;
  handlers.get = (await import("../../functions/get-complaint")).handler as unknown as ApiHandler;
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  vi.restoreAllMocks();
  await dynamo?.stop();
});

const context = {
  functionName: "complaint-hub-test-fn",
  awsRequestId: "11111111-2222-3333-4444-555555555555",
  invokedFunctionArn: "arn:aws-cn:lambda:cn-north-1:111111111111:function:complaint-hub-test-fn",
  getRemainingTimeInMillis: () => 10_000,
} as Context;

interface Call {
  body?: unknown;
  authorization?: string | null;
  contentType?: string | null;
}

async function call(route: keyof typeof handlers, complaintId: string, options: Call = {}) {
  const headers: Record<string, string> = {};
  const authorization = options.authorization === undefined ? `Bearer ${TOKEN}` : options.authorization;
  if (authorization !== null) headers.Authorization = authorization;
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  if (contentType !== null && route !== "get") headers["Content-Type"] = contentType;
  const body =
    options.body === undefined
      ? null
      : typeof options.body === "string"
        ? options.body
        : JSON.stringify(options.body);
  const path = route === "get" ? `/v1/complaints/${complaintId}` : `/v1/complaints/${complaintId}/${route}`;
  const response = await handlers[route](
    {
      httpMethod: route === "get" ? "GET" : "POST",
      path,
      resource: route === "get" ? "/v1/complaints/{id}" : `/v1/complaints/{id}/${route}`,
      body,
      headers,
      multiValueHeaders: {},
      isBase64Encoded: false,
      pathParameters: { id: complaintId },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: { requestId: "req-1", stage: "test" } as APIGatewayProxyEvent["requestContext"],
    },
    context,
  );
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
}

function expectProblem(response: APIGatewayProxyResult, status: number, type: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.["content-type"]).toBe("application/problem+json");
  const problem = JSON.parse(response.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: `urn:complaint-hub:problem:${type}`, status });
  return problem;
}

let ids = 0;
const nextId = () => `CH${String(++ids).padStart(20, "0")}`;
const minutes = (n: number) => new Date(FIXTURE_NOW.getTime() + n * 60_000);

/** The way a complaint gets to each status, as the hub, the platform and the consumer move it. */
const PATH: readonly [ComplaintStatus, Actor][] = [
  ["QUEUED", "hub"],
  ["DELIVERED", "hub"],
  ["ACKNOWLEDGED", "platform"],
  ["IN_PROGRESS", "platform"],
  ["AWAITING_CONSUMER_CONFIRMATION", "platform"],
];

/** A complaint stored in `status`, delivered with a running deadline once past QUEUED. */
async function seeded(
  status: ComplaintStatus,
  changes: Partial<ComplaintRecord> = {},
): Promise<ComplaintRecord> {
  let record = complaintRecord({ complaintId: nextId(), token: TOKEN });
  const terminal: Partial<Record<ComplaintStatus, [ComplaintStatus, Actor]>> = {
    WITHDRAWN: ["ACCEPTED", "consumer"],
    CLOSED: ["AWAITING_CONSUMER_CONFIRMATION", "consumer"],
  };
  const target = terminal[status]?.[0] ?? status;
  for (const [to, actor] of PATH) {
    if (record.status === target) break;
    record = advanced(record, { to, actor, at: minutes(record.version) });
    if (to === "DELIVERED") {
      record.deadlines = { ...record.deadlines, basis: "from_delivery" };
      record.gsi2pk = deadlineShard(record.complaintId);
      record.gsi2sk = record.deadlines.platformResponseDueBy;
    }
  }
  const last = terminal[status];
  if (last) record = advanced(record, { to: status, actor: last[1], at: minutes(record.version) });
  expect(record.status).toBe(status);
  record = { ...record, ...changes };
  await dynamo.doc.send(new PutCommand({ TableName: tableName, Item: record }));
  return record;
}

async function stored(complaintId: string): Promise<ComplaintRecord> {
  const { Item } = await dynamo.doc.send(
    new GetCommand({
      TableName: tableName,
      Key: { pk: complaintPk(complaintId), sk: "META" },
      ConsistentRead: true,
    }),
  );
  return Item as ComplaintRecord;
}

async function messages(complaintId: string): Promise<MessageRecord[]> {
  const { Items } = await dynamo.doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :msg)",
      ExpressionAttributeValues: { ":pk": complaintPk(complaintId), ":msg": "MSG#" },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []) as MessageRecord[];
}

/** Another writer (the delivery function, a platform report) changes the complaint right after the handler read it. */
function concurrentWriteAfterRead() {
  const read = ComplaintStore.prototype.get;
  return vi.spyOn(ComplaintStore.prototype, "get").mockImplementationOnce(async function (
    this: ComplaintStore,
    id,
  ) {
    const current = await read.call(this, id);
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: complaintPk(id), sk: "META" },
        UpdateExpression: "SET #version = #version + :one, #updatedAt = :now",
        ExpressionAttributeNames: { "#version": "version", "#updatedAt": "updatedAt" },
        ExpressionAttributeValues: { ":one": 1, ":now": minutes(500).toISOString() },
      }),
    );
    return current;
  });
}

const lastEntry = (view: Record<string, unknown>) => (view.timeline as Record<string, unknown>[]).at(-1);

/** Every route answers the same refusals the same way; `valid` is a body the route would accept. */
describe.each([
  ["feedback", "AWAITING_CONSUMER_CONFIRMATION", { decision: "accept" }, { decision: "maybe" }, 8 * 1024],
  ["withdraw", "IN_PROGRESS", { reason: "Sorted it out with the seller" }, { reason: 42 }, 8 * 1024],
  ["messages", "IN_PROGRESS", { text: "The seller called me today." }, { text: "" }, 32 * 1024],
] as const)("POST /v1/complaints/{id}/%s refuses", (route, status, valid, invalid, maxBytes) => {
  it("a request without the tracking token: 401, nothing written", async () => {
    const record = await seeded(status);
    const missing = await call(route, record.complaintId, { body: valid, authorization: null });
    expectProblem(missing, 401, "unauthorized");
    expect(missing.headers?.["www-authenticate"]).toBe('Bearer realm="complaint-hub"');
    expectProblem(
      await call(route, record.complaintId, { body: valid, authorization: `Basic ${TOKEN}` }),
      401,
      "unauthorized",
    );
    expect(await stored(record.complaintId)).toEqual(record);
  });

  it("a wrong token and an unknown or malformed id alike: 404, nothing written", async () => {
    const record = await seeded(status);
    const wrong = await call(route, record.complaintId, {
      body: valid,
      authorization: `Bearer ${"A".repeat(43)}`,
    });
    const unknown = await call(route, "CH0000000000000000000Z", { body: valid });
    const malformed = await call(route, "../../etc/passwd", { body: valid });
    expectProblem(wrong, 404, "not-found");
    expect(unknown.body).toBe(wrong.body);
    expect(malformed.body).toBe(wrong.body);
    expect(await stored(record.complaintId)).toEqual(record);
  });

  it("a body that does not match the schema: 400 with pointers, nothing written", async () => {
    const record = await seeded(status);
    const problem = expectProblem(
      await call(route, record.complaintId, { body: invalid }),
      400,
      "validation",
    );
    expect((problem.errors as { pointer: string }[]).length).toBeGreaterThan(0);
    const unknownField = expectProblem(
      await call(route, record.complaintId, { body: { ...valid, complaintId: "x" } }),
      400,
      "validation",
    );
    expect(unknownField.errors).toEqual([{ pointer: "", detail: "unknown field: complaintId" }]);
    expectProblem(await call(route, record.complaintId, { body: "{not json" }), 400, "malformed-json");
    expect(await stored(record.complaintId)).toEqual(record);
  });

  it(`a body over ${maxBytes} bytes before reading it: 413`, async () => {
    const record = await seeded(status);
    const padded = `${JSON.stringify(valid).slice(0, -1)}${" ".repeat(maxBytes)}}`;
    expectProblem(await call(route, record.complaintId, { body: padded }), 413, "payload-too-large");
    expect(await stored(record.complaintId)).toEqual(record);
  });

  it("a change that lost the race to a concurrent one: 409 concurrent-change, the other write stands", async () => {
    const record = await seeded(status);
    const spy = concurrentWriteAfterRead();
    try {
      const response = await call(route, record.complaintId, { body: valid });
      expectProblem(response, 409, "concurrent-change");
    } finally {
      spy.mockRestore();
    }
    const after = await stored(record.complaintId);
    expect(after).toEqual({ ...record, version: record.version + 1, updatedAt: minutes(500).toISOString() });
    expect(await messages(record.complaintId)).toEqual([]);
  });
});

describe("POST /v1/complaints/{id}/feedback", () => {
  it("accepting the resolution closes the complaint (resolved_accepted) and ends its deadline", async () => {
    const record = await seeded("AWAITING_CONSUMER_CONFIRMATION");
    expect(record.gsi2pk).toBeDefined();
    const response = await call("feedback", record.complaintId, {
      body: { decision: "accept", comment: "Refund received, thank you" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers?.["content-type"]).toBe("application/json");
    expect(response.json).toMatchObject({ complaintId: record.complaintId, status: "CLOSED" });
    expect(lastEntry(response.json)).toMatchObject({
      from: "AWAITING_CONSUMER_CONFIRMATION",
      to: "CLOSED",
      reason: "resolved_accepted",
      note: "Refund received, thank you",
    });
    const after = await stored(record.complaintId);
    expect(after).toMatchObject({ status: "CLOSED", version: record.version + 1 });
    expect(after.timeline.at(-1)).toMatchObject({ actor: "consumer", visibility: "consumer" });
    expect(after).not.toHaveProperty("gsi2pk");
    expect(after).not.toHaveProperty("gsi2sk");
    // The view is what GET shows now.
    expect((await call("get", record.complaintId)).json).toEqual(response.json);
  });

  it("a first rejection sends the complaint back to the platform; a second goes to mediation", async () => {
    const record = await seeded("AWAITING_CONSUMER_CONFIRMATION");
    const first = await call("feedback", record.complaintId, {
      body: { decision: "reject", comment: "Only half the amount was refunded" },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json.status).toBe("IN_PROGRESS");
    expect(lastEntry(first.json)).toMatchObject({ to: "IN_PROGRESS", reason: "resolution_rejected" });
    expect((await stored(record.complaintId)).consumerRejections).toBe(1);

    // The platform proposes again.
    const reproposed = advanced(await stored(record.complaintId), {
      to: "AWAITING_CONSUMER_CONFIRMATION",
      actor: "platform",
      at: minutes(100),
    });
    await dynamo.doc.send(new PutCommand({ TableName: tableName, Item: reproposed }));

    const second = await call("feedback", record.complaintId, { body: { decision: "reject" } });
    expect(second.statusCode).toBe(200);
    expect(second.json.status).toBe("ASSOCIATION_MEDIATION");
    expect(lastEntry(second.json)).toEqual(
      expect.objectContaining({ to: "ASSOCIATION_MEDIATION", reason: "second_rejection" }),
    );
    expect(lastEntry(second.json)).not.toHaveProperty("note");
    const after = await stored(record.complaintId);
    expect(after.consumerRejections).toBe(2);
    expect(after.timeline.map((e) => e.to).slice(-4)).toEqual([
      "AWAITING_CONSUMER_CONFIRMATION",
      "IN_PROGRESS",
      "AWAITING_CONSUMER_CONFIRMATION",
      "ASSOCIATION_MEDIATION",
    ]);
  });

  it.each(["DELIVERED", "IN_PROGRESS", "SUPERVISED", "CLOSED", "WITHDRAWN"] as const)(
    "is refused while the complaint is %s: 409 illegal-transition, nothing written",
    async (status) => {
      const record = await seeded(status === "SUPERVISED" ? "IN_PROGRESS" : status);
      let current = record;
      if (status === "SUPERVISED") {
        current = advanced(record, { to: "OVERDUE", actor: "schedule", at: minutes(50) });
        current = advanced(current, { to: "SUPERVISED", actor: "schedule", at: minutes(51) });
        await dynamo.doc.send(new PutCommand({ TableName: tableName, Item: current }));
      }
      for (const decision of ["accept", "reject"]) {
        const problem = expectProblem(
          await call("feedback", record.complaintId, { body: { decision } }),
          409,
          "illegal-transition",
        );
        expect(problem.detail).toBe(`Not possible while the complaint is ${status}`);
      }
      expect(await stored(record.complaintId)).toEqual(current);
    },
  );
});

describe("POST /v1/complaints/{id}/withdraw", () => {
  it.each(["ACCEPTED", "QUEUED", "DELIVERED", "IN_PROGRESS", "AWAITING_CONSUMER_CONFIRMATION"] as const)(
    "withdraws a complaint that is %s, with the consumer's reason",
    async (status) => {
      const record = await seeded(status, {
        awaitingConsumerInfo: true,
        clockPausedAt: minutes(5).toISOString(),
      });
      const response = await call("withdraw", record.complaintId, {
        body: { reason: "Settled with the seller" },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json.status).toBe("WITHDRAWN");
      expect(response.json.awaitingConsumerInfo).toBe(false);
      expect(lastEntry(response.json)).toMatchObject({
        from: status,
        to: "WITHDRAWN",
        reason: "consumer_withdrew",
        note: "Settled with the seller",
      });
      const after = await stored(record.complaintId);
      expect(after.version).toBe(record.version + 1);
      for (const gone of ["gsi2pk", "gsi2sk", "awaitingConsumerInfo", "clockPausedAt"]) {
        expect(after).not.toHaveProperty(gone);
      }
    },
  );

  it("needs no body at all", async () => {
    const record = await seeded("DELIVERED");
    const response = await call("withdraw", record.complaintId, { contentType: null });
    expect(response.statusCode).toBe(200);
    expect(response.json.status).toBe("WITHDRAWN");
    expect(lastEntry(response.json)).not.toHaveProperty("note");
  });

  it("a second withdrawal, or one of a closed complaint, is refused: 409 illegal-transition", async () => {
    const record = await seeded("DELIVERED");
    expect((await call("withdraw", record.complaintId, { body: {} })).statusCode).toBe(200);
    const withdrawn = await stored(record.complaintId);
    const again = expectProblem(
      await call("withdraw", record.complaintId, { body: {} }),
      409,
      "illegal-transition",
    );
    expect(again.detail).toBe("Not possible while the complaint is WITHDRAWN");
    expect(await stored(record.complaintId)).toEqual(withdrawn);

    const closed = await seeded("CLOSED");
    expectProblem(await call("withdraw", closed.complaintId), 409, "illegal-transition");
    expect(await stored(closed.complaintId)).toEqual(closed);
  });
});

describe("POST /v1/complaints/{id}/messages", () => {
  it("adds the consumer's information beside the complaint, with a timeline entry and no status change", async () => {
    const record = await seeded("DELIVERED");
    const evidence = [{ url: "https://evidence.example.com/box.jpg", description: "The box as delivered" }];
    const response = await call("messages", record.complaintId, { body: { text: SECRET_TEXT, evidence } });
    expect(response.statusCode).toBe(200);
    expect(response.json.status).toBe("DELIVERED");
    expect(lastEntry(response.json)).toEqual({
      at: expect.any(String),
      from: "DELIVERED",
      to: "DELIVERED",
      reason: "consumer_added_information",
    });
    // The text is kept in its own item, not copied into the timeline.
    expect(response.body).not.toContain(SECRET_TEXT);

    const after = await stored(record.complaintId);
    expect(after).toMatchObject({ status: "DELIVERED", version: record.version + 1, consumerMessages: 1 });
    expect(after.timeline.at(-1)).toMatchObject({ actor: "consumer", visibility: "consumer" });
    expect(after.deadlines).toEqual(record.deadlines);

    const second = await call("messages", record.complaintId, { body: { text: "One more thing." } });
    expect(second.statusCode).toBe(200);
    const items = await messages(record.complaintId);
    expect(items.map((m) => [m.seq, m.text, m.evidence, m.answersInfoRequest])).toEqual([
      [1, SECRET_TEXT, evidence, false],
      [2, "One more thing.", undefined, false],
    ]);
    for (const item of items) {
      expect(item).toMatchObject({
        pk: complaintPk(record.complaintId),
        kind: "message",
        complaintId: record.complaintId,
      });
      expect(item.sk).toBe(`MSG#${item.at}#${String(item.seq).padStart(3, "0")}`);
    }
    expect((await stored(record.complaintId)).consumerMessages).toBe(2);
  });

  it("answers the platform's request for information: stops waiting and resumes the clock, due date pushed out", async () => {
    // Asked on Monday 2 March 2026, answered on Thursday 5 March: Tue, Wed, Thu were spent waiting.
    const pausedAt = new Date("2026-03-02T03:00:00Z");
    const record = await seeded("IN_PROGRESS", {
      awaitingConsumerInfo: true,
      clockPausedAt: pausedAt.toISOString(),
    });
    delete record.gsi2pk;
    delete record.gsi2sk;
    await dynamo.doc.send(new PutCommand({ TableName: tableName, Item: record }));
    expect((await call("get", record.complaintId)).json.awaitingConsumerInfo).toBe(true);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-05T06:00:00Z"));
    const response = await call("messages", record.complaintId, {
      body: { text: "Here is the courier's note." },
    });
    vi.useRealTimers();

    expect(response.statusCode).toBe(200);
    expect(response.json.status).toBe("IN_PROGRESS");
    expect(response.json.awaitingConsumerInfo).toBe(false);
    // Due at the end of Wednesday 11 March; three working days more: Thu 12, Fri 13, Mon 16.
    expect(record.deadlines.platformResponseDueBy).toBe("2026-03-11T15:59:59.999Z");
    expect(response.json.deadlines).toEqual({
      ...record.deadlines,
      platformResponseDueBy: "2026-03-16T15:59:59.999Z",
      pausedWorkingDays: 3,
    });
    expect(lastEntry(response.json)).toMatchObject({
      reason: "consumer_added_information",
      note: "Answers the platform's request for information; its response deadline moves out by 3 working days",
    });
    const after = await stored(record.complaintId);
    expect(after).not.toHaveProperty("awaitingConsumerInfo");
    expect(after).not.toHaveProperty("clockPausedAt");
    expect(after.gsi2pk).toBe(deadlineShard(record.complaintId));
    expect(after.gsi2sk).toBe(after.deadlines.platformResponseDueBy);
    expect((await messages(record.complaintId)).map((m) => m.answersInfoRequest)).toEqual([true]);
  });

  it.each(["WITHDRAWN", "CLOSED"] as const)(
    "is refused once the complaint is %s: 409 illegal-transition, no message kept",
    async (status) => {
      const record = await seeded(status);
      expectProblem(
        await call("messages", record.complaintId, { body: { text: "Hello?" } }),
        409,
        "illegal-transition",
      );
      expect(await stored(record.complaintId)).toEqual(record);
      expect(await messages(record.complaintId)).toEqual([]);
    },
  );

  it.each([
    ["text over 2000 characters", { text: "x".repeat(2001) }, "/text"],
    ["control characters in the text", { text: "bell \u0007 rings" }, "/text"],
    [
      "more than 5 evidence links",
      { text: "Photos", evidence: Array(6).fill({ url: "https://e.example.com/a.jpg" }) },
      "/evidence",
    ],
    [
      "an evidence link that is not https",
      { text: "Photo", evidence: [{ url: "http://e.example.com/a.jpg" }] },
      "/evidence/0/url",
    ],
    ["no text", { evidence: [{ url: "https://e.example.com/a.jpg" }] }, "/text"],
  ])("refuses %s: 400", async (_, body, pointer) => {
    const record = await seeded("DELIVERED");
    const problem = expectProblem(await call("messages", record.complaintId, { body }), 400, "validation");
    expect((problem.errors as { pointer: string }[]).map((e) => e.pointer)).toContain(pointer);
    expect(await messages(record.complaintId)).toEqual([]);
  });

  it("takes exactly 2000 characters and 5 evidence links", async () => {
    const record = await seeded("DELIVERED");
    const evidence = Array.from({ length: 5 }, (_, i) => ({ url: `https://e.example.com/${i}.jpg` }));
    const response = await call("messages", record.complaintId, {
      body: { text: "述".repeat(2000), evidence },
    });
    expect(response.statusCode).toBe(200);
  });
});

describe("the decisions, without a table", () => {
  it("lets a consumer add information to every open complaint and to no settled one", () => {
    for (const status of COMPLAINT_STATUSES) {
      expect(canRecordProgress(status, "consumer"), status).toBe(!TERMINAL_STATUSES.has(status));
    }
  });

  it("counts rejections from what the complaint says, not from the request", () => {
    const base = complaintRecord();
    const awaiting = { ...base, status: "AWAITING_CONSUMER_CONFIRMATION" as const };
    expect(decideFeedback(awaiting, "reject")).toMatchObject({
      to: "IN_PROGRESS",
      effects: { set: { consumerRejections: 1 } },
    });
    expect(decideFeedback({ ...awaiting, consumerRejections: 1 }, "reject")).toMatchObject({
      to: "ASSOCIATION_MEDIATION",
      effects: { set: { consumerRejections: 2 } },
    });
    expect(decideFeedback({ ...awaiting, consumerRejections: 1 }, "accept").to).toBe("CLOSED");
  });

  it("numbers messages after the ones the complaint has", () => {
    const record = { ...complaintRecord(), consumerMessages: 4 };
    const { message, effects, note } = decideMessage(record, { text: "hi" }, FIXTURE_NOW);
    expect(message.seq).toBe(5);
    expect(message.sk).toBe(`MSG#${FIXTURE_NOW.toISOString()}#005`);
    expect(effects).toEqual({ set: { consumerMessages: 5 } });
    expect(note).toBeUndefined();
  });
});

describe("personal data", () => {
  it("what the consumer wrote never reaches a log line", () => {
    const output = printed.join("\n");
    expect(output).toContain("Consumer information added");
    expect(output).not.toContain(SECRET_TEXT);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain("Only half the amount was refunded");
  });
});
