/**
 * The local EventBridge driven by the real @aws-sdk/client-eventbridge over HTTP, delivering into a real
 * local SQS engine: routing as the hub's rules do it, PutEvents validation, TestEventPattern, input
 * transformers, retries and dead-lettering, archives and replay.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListEventBusesCommand,
  ListReplaysCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  StartReplayCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsEndpoint } from "../../local/aws-endpoint.js";
import {
  createEventBridgeHttpHandler,
  EVENTBRIDGE_TARGET_PREFIX,
} from "../../local/eventbridge/eventbridge-json-protocol.js";
import {
  InvalidEventPatternError,
  LocalEventBridge,
  TargetDeliveryError,
} from "../../local/eventbridge/local-event-bridge.js";
import type { ReceivedMessage } from "../../local/sqs/sqs-engine.js";
import { SqsEngine } from "../../local/sqs/sqs-engine.js";

const REGION = "cn-north-1";
const ACCOUNT = "000000000000";
const BUS = "complaint-hub-test";
const BUS_ARN = `arn:aws-cn:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`;
const MEMBERS = ["taobao", "jd"];
const QUEUES = [
  "taobao",
  "jd",
  "triage",
  "routing-dlq",
  "whole",
  "transform",
  "text",
  "constant",
  "replayed",
];

const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
const warnings: string[] = [];
const lambdaCalls: { arn: string; event: unknown }[] = [];
/** What each call of a Lambda target does, by function name: throw the error, or succeed (null). */
const lambdaScript = new Map<string, (Error | null | (() => Error))[]>();

let stateDir: string;
let sqs: SqsEngine;
let bridge: LocalEventBridge;
let server: Server;
let client: EventBridgeClient;
let endpoint: string;

const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const lambdaArn = (name: string) => `arn:aws-cn:lambda:${REGION}:${ACCOUNT}:function:${name}`;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "eventbridge-"));
  sqs = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:4566", region: REGION, fsync: false });
  for (const name of QUEUES) await sqs.createQueue(name);
  bridge = newBridge();
  bridge.addBus(BUS);
  // The hub's routing (infra/constructs/platform-channel.ts and triage-channel.ts), two members.
  const routing = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };
  for (const platform of MEMBERS) {
    bridge.addRule({
      name: `route-${platform}`,
      busName: BUS,
      eventPattern: {
        source: ["complaint-hub"],
        "detail-type": ["Complaint Submitted"],
        detail: { platform: [platform] },
      },
      state: "ENABLED",
      targets: [
        {
          id: "Target0",
          arn: queueArn(platform),
          inputPath: "$.detail",
          retryPolicy: routing,
          deadLetterArn: queueArn("routing-dlq"),
        },
      ],
    });
  }
  bridge.addRule({
    name: "route-triage",
    busName: BUS,
    eventPattern: JSON.stringify({
      source: ["complaint-hub"],
      "detail-type": ["Complaint Submitted"],
      detail: { platform: [{ "anything-but": MEMBERS }] },
    }),
    state: "ENABLED",
    targets: [
      {
        id: "Target0",
        arn: queueArn("triage"),
        inputPath: "$.detail",
        retryPolicy: routing,
        deadLetterArn: queueArn("routing-dlq"),
      },
    ],
  });
  await bridge.addArchive({
    name: "hub-archive",
    busName: BUS_ARN,
    eventPattern: { source: ["complaint-hub"] },
    retentionDays: 30,
  });

  server = createAwsEndpoint([
    { targetPrefix: EVENTBRIDGE_TARGET_PREFIX, handle: createEventBridgeHttpHandler(bridge) },
  ]);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  endpoint = `http://127.0.0.1:${port}`;
  client = new EventBridgeClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await bridge?.close();
  await sqs?.close();
  await rm(stateDir, { recursive: true, force: true });
});

function newBridge(): LocalEventBridge {
  return new LocalEventBridge({
    stateDir,
    region: REGION,
    accountId: ACCOUNT,
    sqs,
    clock,
    fsync: false,
    retryBaseDelayMs: 5,
    logger: { warn: (message) => warnings.push(message) },
    invokeLambda: async (arn, event) => {
      lambdaCalls.push({ arn, event });
      const next = lambdaScript.get(arn.split(":").pop() as string)?.shift();
      if (next) throw typeof next === "function" ? next() : next;
    },
  });
}

/** Receives and deletes everything in a queue. */
async function takeAll(queue: string): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (;;) {
    const batch = await sqs.receiveMessages(queue, {
      max: 10,
      waitTimeSeconds: 0,
      messageAttributeNames: ["All"],
    });
    if (batch.length === 0) return all;
    for (const message of batch) await sqs.deleteMessage(queue, message.ReceiptHandle);
    all.push(...batch);
  }
}

async function put(entries: PutEventsRequestEntry[]) {
  const result = await client.send(new PutEventsCommand({ Entries: entries }));
  await bridge.drain();
  return result;
}

async function sdkError(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

const complaint = (platform: string, id = "c-1") => ({
  Source: "complaint-hub",
  DetailType: "Complaint Submitted",
  EventBusName: BUS,
  Detail: JSON.stringify({ schemaVersion: 1, complaintId: id, platform, title: "退货不退款" }),
});

const attributes = (message: ReceivedMessage) =>
  Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
  );

describe("routing", () => {
  it("routes complaints by detail.platform and sends the rest to triage, the body being the detail", async () => {
    const exact =
      '{"platform": "jd", "amountFen": 1.50, "orderNo": 12345678901234567890, "note": "a\\u00e9"}';
    const result = await put([
      complaint("taobao", "c-1"),
      { ...complaint("jd"), Detail: exact },
      complaint("pinduoduo", "c-3"),
      { ...complaint("taobao"), DetailType: "Complaint Status Changed" },
    ]);
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.every((entry) => typeof entry.EventId === "string")).toBe(true);

    const taobao = await takeAll("taobao");
    expect(taobao.map((message) => message.Body)).toEqual([complaint("taobao", "c-1").Detail]);
    // Numbers keep the text they were written with; the JSON is minified.
    expect((await takeAll("jd")).map((message) => message.Body)).toEqual([
      '{"platform":"jd","amountFen":1.50,"orderNo":12345678901234567890,"note":"aé"}',
    ]);
    expect((await takeAll("triage")).map((message) => JSON.parse(message.Body).complaintId)).toEqual(["c-3"]);
    expect(await takeAll("routing-dlq")).toEqual([]);

    const stats = bridge.ruleStats("route-taobao", BUS);
    expect(stats?.matched).toBe(1);
    expect(stats?.targets[0]).toMatchObject({
      targetId: "Target0",
      invocations: 1,
      delivered: 1,
      retried: 0,
    });
    expect(bridge.ruleStats("route-triage", BUS)?.matched).toBe(1);
  });

  it("accepts the bus by ARN and builds the event envelope as EventBridge does", async () => {
    bridge.addRule({
      name: "whole-event",
      eventPattern: { source: ["envelope-test"] },
      targets: [{ id: "whole", arn: queueArn("whole") }],
    });
    const time = new Date("2025-03-15T08:30:45.678Z");
    const result = await put([
      {
        Source: "envelope-test",
        DetailType: "Checked",
        Detail: '{"a":1}',
        Resources: ["arn:aws-cn:s3:::b"],
        Time: time,
      },
      {
        Source: "envelope-test",
        DetailType: "Checked",
        Detail: "{}",
        EventBusName: `arn:aws-cn:events:${REGION}:${ACCOUNT}:event-bus/default`,
      },
    ]);
    const bodies = (await takeAll("whole")).map((message) => JSON.parse(message.Body));
    expect(bodies).toHaveLength(2);
    const first = bodies.find((body) => body.detail.a === 1);
    expect(first).toEqual({
      version: "0",
      id: result.Entries?.[0]?.EventId,
      "detail-type": "Checked",
      source: "envelope-test",
      account: ACCOUNT,
      time: "2025-03-15T08:30:45Z",
      region: REGION,
      resources: ["arn:aws-cn:s3:::b"],
      detail: { a: 1 },
    });
    expect(Object.keys(first)).toEqual([
      "version",
      "id",
      "detail-type",
      "source",
      "account",
      "time",
      "region",
      "resources",
      "detail",
    ]);
    const second = bodies.find((body) => body.id === result.Entries?.[1]?.EventId);
    expect(second.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(second.resources).toEqual([]);
  });
});

describe("PutEvents validation", () => {
  it("fails bad entries one by one, with EventBridge's codes and messages, and accepts the rest", async () => {
    const good = complaint("taobao", "c-ok");
    const result = await put([
      { ...good, Source: undefined },
      { ...good, DetailType: undefined },
      { ...good, Detail: undefined },
      { ...good, Detail: "{not json" },
      { ...good, Detail: "[1, 2]" },
      { ...good, Detail: '"a string"' },
      { ...good, Source: "aws.s3" },
      { ...good, EventBusName: "no-such-bus" },
      good,
    ]);
    expect(result.FailedEntryCount).toBe(8);
    const entries = result.Entries ?? [];
    expect(entries.slice(0, 8).map(({ ErrorCode, ErrorMessage }) => ({ ErrorCode, ErrorMessage }))).toEqual([
      {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument.",
      },
      {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
      },
      {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument.",
      },
      { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
      { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
      { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
      { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." },
      { ErrorCode: "ResourceNotFoundException", ErrorMessage: "Event bus no-such-bus does not exist." },
    ]);
    expect(entries[8]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await takeAll("taobao")).map((message) => JSON.parse(message.Body).complaintId)).toEqual([
      "c-ok",
    ]);
  });

  it("refuses more than 10 entries, no entries, and more than 256 KiB as ValidationException", async () => {
    const eleven = await sdkError(
      client.send(new PutEventsCommand({ Entries: Array(11).fill(complaint("jd")) })),
    );
    expect(eleven.name).toBe("ValidationException");
    expect(eleven.$metadata?.httpStatusCode).toBe(400);
    expect(eleven.message).toMatch(
      /^1 validation error detected: Value '\[PutEventsRequestEntry\(time=null, source=complaint-hub,/,
    );
    expect(eleven.message).toMatch(
      /' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );

    const none = await sdkError(client.send(new PutEventsCommand({ Entries: [] })));
    expect(none.name).toBe("ValidationException");
    expect(none.message).toContain("Member must have length greater than or equal to 1");

    // Size as EventBridge counts it: Time 14 bytes + Source + DetailType + Detail + Resources, in UTF-8.
    const base = {
      Source: "complaint-hub",
      DetailType: "Complaint Submitted",
      EventBusName: BUS,
      Time: new Date(),
    };
    const fixed = 14 + "complaint-hub".length + "Complaint Submitted".length;
    const shell = '{"platform":"jd","pad":""}';
    const padding = (bytes: number) => "好".repeat(Math.floor(bytes / 3)) + "x".repeat(bytes % 3);
    const detailOf = (bytes: number) => `{"platform":"jd","pad":"${padding(bytes - shell.length)}"}`;
    const atLimit = detailOf(256 * 1024 - fixed);
    expect(Buffer.byteLength(atLimit)).toBe(256 * 1024 - fixed);
    const ok = await put([{ ...base, Detail: atLimit }]);
    expect(ok.FailedEntryCount).toBe(0);
    expect(await takeAll("jd")).toHaveLength(1);

    const over = await sdkError(
      client.send(new PutEventsCommand({ Entries: [{ ...base, Detail: atLimit, Resources: ["r"] }] })),
    );
    expect(over.name).toBe("ValidationException");
    expect(over.message).toBe("Total size of the entries in the request is over the limit.");
    await bridge.drain();
    expect(await takeAll("jd")).toHaveLength(0);
  });
});

describe("TestEventPattern", () => {
  const event = JSON.stringify({
    id: "e-1",
    account: ACCOUNT,
    source: "complaint-hub",
    time: "2025-03-15T08:30:45Z",
    region: REGION,
    "detail-type": "Complaint Submitted",
    resources: [],
    detail: { platform: "suning" },
  });

  it("answers true and false like the bus routes", async () => {
    const triage = JSON.stringify({ detail: { platform: [{ "anything-but": MEMBERS }] } });
    expect(
      (await client.send(new TestEventPatternCommand({ EventPattern: triage, Event: event }))).Result,
    ).toBe(true);
    const jd = JSON.stringify({ detail: { platform: ["jd"] } });
    expect((await client.send(new TestEventPatternCommand({ EventPattern: jd, Event: event }))).Result).toBe(
      false,
    );
    expect(bridge.testEventPattern({ detail: { platform: [{ prefix: "su" }] } }, event)).toBe(true);
  });

  it("rejects an invalid pattern with InvalidEventPatternException and EventBridge's reason", async () => {
    const error = await sdkError(
      client.send(new TestEventPatternCommand({ EventPattern: '{"source": "complaint-hub"}', Event: event })),
    );
    expect(error.name).toBe("InvalidEventPatternException");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe('Event pattern is not valid. Reason: "source" must be an object or an array');
  });

  it("rejects an event without the envelope fields", async () => {
    const error = await sdkError(
      client.send(
        new TestEventPatternCommand({ EventPattern: '{"source": ["x"]}', Event: '{"source": "x"}' }),
      ),
    );
    expect(error.name).toBe("ValidationException");
    expect(error.message).toBe("Parameter Event is not valid.");
  });
});

describe("target input", () => {
  it("fills input transformer templates with AWS's quoting rules, and passes constant input", async () => {
    bridge.addBus("transform-bus");
    bridge.addRule({
      name: "transform",
      busName: "transform-bus",
      eventPattern: { source: ["complaint-hub"] },
      targets: [
        {
          id: "json",
          arn: queueArn("transform"),
          inputTransformer: {
            inputPathsMap: {
              platform: "$.detail.platform",
              id: "$.detail.complaintId",
              amount: "$.detail.amount",
              missing: "$.detail.nope",
              tags: "$.detail.tags",
            },
            inputTemplate:
              '{"platform": <platform>, "line": "complaint <id> for \\"<platform>\\" (<amount> fen)", ' +
              '"amount": <amount>, "missing": <missing>, "alsoMissing": "[<missing>]", "tags": <tags>, ' +
              '"rule": <aws.events.rule-name>, "ruleArn": <aws.events.rule-arn>, "event": <aws.events.event>, ' +
              '"full": <aws.events.event.json>, "at": <aws.events.event.ingestion-time>}',
          },
        },
        {
          id: "text",
          arn: queueArn("text"),
          inputTransformer: {
            inputPathsMap: { id: "$.detail.complaintId" },
            inputTemplate: '"Complaint <id> for <aws.events.rule-name>"',
          },
        },
        { id: "constant", arn: queueArn("constant"), input: '{"kind": "ping"}' },
      ],
    });
    const result = await put([
      {
        Source: "complaint-hub",
        DetailType: "Complaint Submitted",
        EventBusName: "transform-bus",
        Detail: '{"platform": "jd", "complaintId": "c-9", "amount": 150, "tags": ["a", "b"]}',
      },
    ]);
    const eventId = result.Entries?.[0]?.EventId;
    const ruleArn = `arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/transform-bus/transform`;

    const [json] = await takeAll("transform");
    const body = json?.Body ?? "";
    expect(body).toContain('"line":"complaint c-9 for \\"jd\\" (150 fen)"');
    const parsed = JSON.parse(body);
    expect(parsed).toMatchObject({
      platform: "jd",
      amount: 150,
      missing: "",
      alsoMissing: "[]",
      tags: ["a", "b"],
      rule: "transform",
      ruleArn,
    });
    expect(parsed.line).toBe('complaint c-9 for "jd" (150 fen)');
    expect(parsed.event).toMatchObject({
      version: "0",
      id: eventId,
      detailType: "Complaint Submitted",
      source: "complaint-hub",
    });
    expect(parsed.event.detail).toBeUndefined();
    expect(parsed.full).toMatchObject({
      id: eventId,
      "detail-type": "Complaint Submitted",
      detail: { complaintId: "c-9" },
    });
    expect(parsed.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body).toBe(JSON.stringify(parsed)); // minified

    expect((await takeAll("text")).map((message) => message.Body)).toEqual(['"Complaint c-9 for transform"']);
    expect((await takeAll("constant")).map((message) => message.Body)).toEqual(['{"kind": "ping"}']);
  });

  it("refuses templates with undefined placeholders and targets with two kinds of input", () => {
    expect(() =>
      bridge.addRule({
        name: "bad-template",
        eventPattern: { source: ["x"] },
        targets: [{ id: "t", arn: queueArn("text"), inputTransformer: { inputTemplate: '"<nope>"' } }],
      }),
    ).toThrow("InputTemplate for target t contains invalid placeholder nope.");
    expect(() =>
      bridge.addRule({
        name: "bad-inputs",
        eventPattern: { source: ["x"] },
        targets: [{ id: "t", arn: queueArn("text"), input: "{}", inputPath: "$.detail" }],
      }),
    ).toThrow("Only one of Input, InputPath, or InputTransformer must be provided for target t.");
  });
});

describe("failed deliveries", () => {
  it("sends events for a queue that does not exist straight to the DLQ (no retries, as AWS does)", async () => {
    bridge.addRule({
      name: "to-missing-queue",
      busName: BUS,
      eventPattern: { source: ["missing-test"] },
      targets: [
        {
          id: "gone",
          arn: queueArn("does-not-exist"),
          inputPath: "$.detail",
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 60 },
          deadLetterArn: queueArn("routing-dlq"),
        },
      ],
    });
    const result = await put([
      { Source: "missing-test", DetailType: "T", Detail: '{"n":1}', EventBusName: BUS },
    ]);
    const [dead, ...more] = await takeAll("routing-dlq");
    expect(more).toEqual([]);
    expect(attributes(dead as ReceivedMessage)).toEqual({
      RULE_ARN: `arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/${BUS}/to-missing-queue`,
      TARGET_ARN: queueArn("does-not-exist"),
      ERROR_CODE: "NO_RESOURCE",
      ERROR_MESSAGE: "The specified queue does not exist.",
      RETRY_ATTEMPTS: "0",
    });
    // The DLQ gets the original event, not the target's input.
    expect(JSON.parse(dead?.Body ?? "")).toMatchObject({
      id: result.Entries?.[0]?.EventId,
      source: "missing-test",
      detail: { n: 1 },
    });
    expect(bridge.ruleStats("to-missing-queue", BUS)?.targets[0]).toMatchObject({
      retried: 0,
      deadLettered: 1,
      delivered: 0,
    });
  });

  it("retries retryable failures with back-off, then dead-letters with the exhausted condition", async () => {
    const failure = () => new Error("Lambda is unavailable");
    lambdaScript.set("flaky", [failure(), failure(), null]);
    lambdaScript.set("broken", [failure(), failure(), failure(), failure()]);
    const retry = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 };
    bridge.addRule({
      name: "to-lambdas",
      busName: BUS,
      eventPattern: { source: ["lambda-test"] },
      targets: [
        {
          id: "flaky",
          arn: lambdaArn("flaky"),
          inputPath: "$.detail",
          retryPolicy: retry,
          deadLetterArn: queueArn("routing-dlq"),
        },
        {
          id: "broken",
          arn: lambdaArn("broken"),
          retryPolicy: retry,
          deadLetterArn: queueArn("routing-dlq"),
        },
      ],
    });
    lambdaCalls.length = 0;
    await put([{ Source: "lambda-test", DetailType: "T", Detail: '{"n":2}', EventBusName: BUS }]);

    const calls = (name: string) => lambdaCalls.filter((call) => call.arn === lambdaArn(name));
    expect(calls("flaky")).toHaveLength(3);
    expect(calls("flaky")[2]?.event).toEqual({ n: 2 });
    expect(calls("broken")).toHaveLength(3);
    const targets = bridge.ruleStats("to-lambdas", BUS)?.targets;
    expect(targets?.[0]).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0 });
    expect(targets?.[1]).toMatchObject({ delivered: 0, retried: 2, deadLettered: 1 });

    const [dead] = await takeAll("routing-dlq");
    expect(attributes(dead as ReceivedMessage)).toEqual({
      RULE_ARN: `arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/${BUS}/to-lambdas`,
      TARGET_ARN: lambdaArn("broken"),
      ERROR_CODE: "SDK_CLIENT_ERROR",
      ERROR_MESSAGE: "Lambda is unavailable",
      EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
      RETRY_ATTEMPTS: "2",
    });
  });

  it("stops retrying when the event is older than MaximumEventAgeInSeconds", async () => {
    // The first attempt fails a minute after the event arrived.
    lambdaScript.set("slow", [
      () => {
        clock.offsetMs = 61_000;
        return new TargetDeliveryError("THROTTLING", "Rate exceeded", true);
      },
    ]);
    bridge.addRule({
      name: "to-slow",
      busName: BUS,
      eventPattern: { source: ["age-test"] },
      targets: [
        {
          id: "slow",
          arn: lambdaArn("slow"),
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 60 },
          deadLetterArn: queueArn("routing-dlq"),
        },
      ],
    });
    try {
      await put([{ Source: "age-test", DetailType: "T", Detail: "{}", EventBusName: BUS }]);
    } finally {
      clock.offsetMs = 0;
    }
    const [dead] = await takeAll("routing-dlq");
    expect(attributes(dead as ReceivedMessage)).toMatchObject({
      ERROR_CODE: "THROTTLING",
      EXHAUSTED_RETRY_CONDITION: "MaximumEventAgeInSeconds",
      RETRY_ATTEMPTS: "0",
    });
  });

  it("drops the event with a warning when the target has no DLQ", async () => {
    bridge.addRule({
      name: "no-dlq",
      busName: BUS,
      eventPattern: { source: ["drop-test"] },
      targets: [{ id: "gone", arn: queueArn("also-missing") }],
    });
    warnings.length = 0;
    const result = await put([{ Source: "drop-test", DetailType: "T", Detail: "{}", EventBusName: BUS }]);
    expect(bridge.ruleStats("no-dlq", BUS)?.targets[0]).toMatchObject({ dropped: 1, deadLettered: 0 });
    expect(warnings).toEqual([
      `dropped event ${result.Entries?.[0]?.EventId} for rule no-dlq, target gone (NO_RESOURCE, 0 retries): no dead-letter queue`,
    ]);
  });
});

describe("archives and replay", () => {
  it("archives matching events on disk and replays them to the bus's rules with replay-name", async () => {
    bridge.addBus("replay-bus");
    await bridge.addArchive({ name: "replay-archive", busName: "replay-bus" });
    const ruleArn = bridge.addRule({
      name: "replay-rule",
      busName: "replay-bus",
      eventPattern: { source: ["complaint-hub"] },
      targets: [{ id: "q", arn: queueArn("replayed") }],
    });
    const put1 = await put([
      { ...complaint("jd", "r-1"), EventBusName: "replay-bus" },
      { ...complaint("taobao", "r-2"), EventBusName: "replay-bus" },
    ]);
    const ids = put1.Entries?.map((entry) => entry.EventId);
    expect(await takeAll("replayed")).toHaveLength(2);

    const file = join(stateDir, "eventbridge", "archives", "replay-archive.jsonl");
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((event) => event.id)).toEqual(ids);
    expect(lines[0]).toMatchObject({ source: "complaint-hub", detail: { complaintId: "r-1" } });

    const archiveArn = `arn:aws-cn:events:${REGION}:${ACCOUNT}:archive/replay-archive`;
    const described = await client.send(new DescribeArchiveCommand({ ArchiveName: "replay-archive" }));
    expect(described).toMatchObject({
      ArchiveArn: archiveArn,
      EventCount: 2,
      State: "ENABLED",
      RetentionDays: 0,
    });

    const now = new Date();
    const started = await client.send(
      new StartReplayCommand({
        ReplayName: "replay-1",
        EventSourceArn: archiveArn,
        EventStartTime: new Date(now.getTime() - 3_600_000),
        EventEndTime: now,
        Destination: {
          Arn: `arn:aws-cn:events:${REGION}:${ACCOUNT}:event-bus/replay-bus`,
          FilterArns: [ruleArn],
        },
      }),
    );
    expect(started.State).toBe("STARTING");
    expect(started.ReplayArn).toBe(`arn:aws-cn:events:${REGION}:${ACCOUNT}:replay/replay-1`);
    await bridge.drain();
    const replay = await client.send(new DescribeReplayCommand({ ReplayName: "replay-1" }));
    expect(replay.State).toBe("COMPLETED");
    expect(replay.ReplayEndTime).toBeInstanceOf(Date);

    const replayed = (await takeAll("replayed")).map((message) => JSON.parse(message.Body));
    expect(replayed.map((event) => event.id)).toEqual(ids);
    expect(replayed.every((event) => event["replay-name"] === "replay-1")).toBe(true);
    // Replayed events are not archived again.
    expect(bridge.describeArchive("replay-archive").eventCount).toBe(2);

    // The in-process API, used by operator tooling: a window with nothing in it replays nothing.
    const empty = await bridge.replay({
      archiveName: "replay-archive",
      from: new Date(now.getTime() - 7_200_000),
      to: new Date(now.getTime() - 3_600_000),
    });
    expect(empty).toMatchObject({ state: "COMPLETED", replayedEvents: 0 });
    const again = await bridge.replay({
      archiveName: "replay-archive",
      from: new Date(0),
      to: new Date(),
      replayName: "replay-2",
    });
    await bridge.drain();
    expect(again.replayedEvents).toBe(2);
    expect((await takeAll("replayed")).map((message) => JSON.parse(message.Body)["replay-name"])).toEqual([
      "replay-2",
      "replay-2",
    ]);
  });

  it("lists replays (ListReplays) and cancels one that has not finished (CancelReplay)", async () => {
    const archiveArn = `arn:aws-cn:events:${REGION}:${ACCOUNT}:archive/replay-archive`;
    // Cancelled before it sends anything: CANCELLING at once, CANCELLED once it stops, nothing replayed.
    bridge.startReplay({
      archiveName: "replay-archive",
      from: new Date(0),
      to: new Date(),
      replayName: "ops-cancel-1",
    });
    expect(bridge.cancelReplay("ops-cancel-1").state).toBe("CANCELLING");
    await bridge.drain();
    expect(bridge.describeReplay("ops-cancel-1")).toMatchObject({ state: "CANCELLED", replayedEvents: 0 });
    expect(await takeAll("replayed")).toEqual([]);

    const all = await client.send(new ListReplaysCommand({}));
    const names = all.Replays?.map((replay) => replay.ReplayName) ?? [];
    expect(names).toEqual(expect.arrayContaining(["ops-cancel-1", "replay-1", "replay-2"]));
    expect(names).toEqual([...names].sort());
    const cancelled = await client.send(new ListReplaysCommand({ NamePrefix: "ops-", State: "CANCELLED" }));
    expect(cancelled.Replays).toHaveLength(1);
    expect(cancelled.Replays?.[0]).toMatchObject({
      ReplayName: "ops-cancel-1",
      EventSourceArn: archiveArn,
      State: "CANCELLED",
    });
    expect(cancelled.Replays?.[0]?.EventStartTime).toBeInstanceOf(Date);
    const paged = await client.send(new ListReplaysCommand({ Limit: 2 }));
    expect(paged.Replays).toHaveLength(2);
    const rest = await client.send(new ListReplaysCommand({ Limit: 2, NextToken: paged.NextToken }));
    expect(rest.Replays?.map((replay) => replay.ReplayName)).toEqual(names.slice(2));
    expect(
      (await client.send(new ListReplaysCommand({ EventSourceArn: "arn:aws-cn:events:x" }))).Replays,
    ).toEqual([]);
    const badState = await sdkError(client.send(new ListReplaysCommand({ State: "DONE" as "COMPLETED" })));
    expect(badState.name).toBe("ValidationException");

    // Through the SDK: a finished replay cannot be cancelled, an unknown one is not found.
    const finished = await sdkError(client.send(new CancelReplayCommand({ ReplayName: "replay-1" })));
    expect(finished.name).toBe("IllegalStatusException");
    const unknown = await sdkError(client.send(new CancelReplayCommand({ ReplayName: "nope" })));
    expect(unknown.name).toBe("ResourceNotFoundException");
    bridge.startReplay({
      archiveName: "replay-archive",
      from: new Date(0),
      to: new Date(),
      replayName: "ops-cancel-2",
    });
    const answer = await client.send(new CancelReplayCommand({ ReplayName: "ops-cancel-2" }));
    expect(answer.ReplayArn).toBe(`arn:aws-cn:events:${REGION}:${ACCOUNT}:replay/ops-cancel-2`);
    expect(["CANCELLING"]).toContain(answer.State);
    await bridge.drain();
    expect(bridge.describeReplay("ops-cancel-2").state).toBe("CANCELLED");
    await takeAll("replayed");
  });

  it("keeps archives across restarts", async () => {
    const hubArchive = join(stateDir, "eventbridge", "archives", "hub-archive.jsonl");
    expect(existsSync(hubArchive)).toBe(true);
    const before = bridge.describeArchive("hub-archive").eventCount;
    expect(before).toBeGreaterThan(0);
    const restarted = newBridge();
    try {
      restarted.addBus(BUS);
      await restarted.addArchive({
        name: "hub-archive",
        busName: BUS,
        eventPattern: { source: ["complaint-hub"] },
        retentionDays: 30,
      });
      expect(restarted.describeArchive("hub-archive").eventCount).toBe(before);
    } finally {
      await restarted.close();
    }
  });
});

describe("resources", () => {
  it("refuses a rule with an invalid pattern, with EventBridge's text", () => {
    let error: unknown;
    try {
      bridge.addRule({
        name: "broken",
        busName: BUS,
        eventPattern: { detail: { platform: [{ prefix: 1 }] } },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect((error as Error).message).toBe(
      "Event pattern is not valid. Reason: prefix match pattern must be a string",
    );
    expect(bridge.listRules(BUS).map((rule) => rule.name)).not.toContain("broken");
  });

  it("describes buses, rules, targets and archives through the SDK", async () => {
    const buses = await client.send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((bus) => bus.Name)).toEqual(expect.arrayContaining(["default", BUS]));
    const bus = await client.send(new DescribeEventBusCommand({ Name: BUS_ARN }));
    expect(bus).toMatchObject({ Name: BUS, Arn: BUS_ARN });
    expect(bus.CreationTime).toBeInstanceOf(Date);
    const missingBus = await sdkError(client.send(new DescribeEventBusCommand({ Name: "nope" })));
    expect(missingBus.name).toBe("ResourceNotFoundException");
    expect(missingBus.message).toBe("Event bus nope does not exist.");

    const page = await client.send(
      new ListRulesCommand({ EventBusName: BUS, NamePrefix: "route-", Limit: 2 }),
    );
    expect(page.Rules?.map((rule) => rule.Name)).toEqual(["route-jd", "route-taobao"]);
    const rest = await client.send(
      new ListRulesCommand({ EventBusName: BUS, NamePrefix: "route-", NextToken: page.NextToken }),
    );
    expect(rest.Rules?.map((rule) => rule.Name)).toEqual(["route-triage"]);

    const rule = await client.send(new DescribeRuleCommand({ Name: "route-jd", EventBusName: BUS }));
    expect(rule).toMatchObject({
      Name: "route-jd",
      Arn: `arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/${BUS}/route-jd`,
      State: "ENABLED",
      EventBusName: BUS,
      CreatedBy: ACCOUNT,
    });
    expect(JSON.parse(rule.EventPattern ?? "")).toEqual({
      source: ["complaint-hub"],
      "detail-type": ["Complaint Submitted"],
      detail: { platform: ["jd"] },
    });
    const missingRule = await sdkError(client.send(new DescribeRuleCommand({ Name: "nope" })));
    expect(missingRule.message).toBe("Rule nope does not exist on EventBus default.");

    const targets = await client.send(new ListTargetsByRuleCommand({ Rule: "route-jd", EventBusName: BUS }));
    expect(targets.Targets).toEqual([
      {
        Id: "Target0",
        Arn: queueArn("jd"),
        InputPath: "$.detail",
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: queueArn("routing-dlq") },
      },
    ]);

    const archives = await client.send(new ListArchivesCommand({ EventSourceArn: BUS_ARN }));
    expect(archives.Archives?.map((archive) => archive.ArchiveName)).toEqual(["hub-archive"]);
    const missingArchive = await sdkError(client.send(new DescribeArchiveCommand({ ArchiveName: "nope" })));
    expect(missingArchive.name).toBe("ResourceNotFoundException");

    // Rules come from the template: the write actions are not served.
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "x-amz-target": "AWSEvents.PutRule", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: "UnknownOperationException",
      message: "The local EventBridge does not implement PutRule.",
    });
  });
});
