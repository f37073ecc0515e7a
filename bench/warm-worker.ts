/**
 * One warm-handler benchmark, in a process of its own (its stdout is discarded: the handlers' log lines and
 * metrics go there as they go to CloudWatch on Lambda). Loads the hub's handler from source and a hand-written
 * baseline doing the same AWS calls with the bare SDK, answers every AWS call and platform POST from memory,
 * and times invocations in alternating blocks so both see the same machine noise.
 *
 *   tsx bench/warm-worker.ts <submit|deliver> <environment json file> <result json file>
 */
import { createSocket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { Context } from "aws-lambda";
import { findPlatform, isPush } from "../infra/platforms";
import { successBody } from "../local/sandbox/sandbox-answers";
import { dynamoItemBytes } from "./dynamo-units";
import { submitEvent as apiEvent, queuedRecord, deliverEvent as sqsEvent } from "./events";
import { type AwsCall, type AwsResponder, callInventory, installInMemoryAws } from "./in-memory-aws";
import { summarize } from "./stats";

export interface WarmSide {
  /** Milliseconds per invocation. */
  samples: number[];
  /** The AWS calls of one invocation (after warm-up). */
  calls: Record<string, number>;
}

export interface WarmWorkerResult {
  handler: "submit" | "deliver";
  iterations: number;
  warmup: number;
  hub: WarmSide;
  baseline: WarmSide;
  /** X-Ray segment datagrams the hub sent per invocation to the (stand-in) daemon. */
  xraySegmentsPerInvocation: number;
  /** The delivery's AWS calls and written item sizes per outcome, for the cost model (deliver only). */
  inventories?: Record<string, { calls: Record<string, number>; putItemBytes: number[] }>;
  /** Bytes of the complaint item as stored (deliver only). */
  complaintItemBytes?: number;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const [kind, envFile, outFile] = process.argv.slice(2) as ["submit" | "deliver", string, string];
const ITERATIONS = Number(process.env.BENCH_WARM_ITERATIONS ?? 3000);
const WARMUP = Number(process.env.BENCH_WARM_WARMUP ?? 300);
const BLOCK = 50;

// A stand-in X-Ray daemon: the Tracer sends segments over UDP as it does to the daemon on Lambda.
const daemon = createSocket("udp4");
let datagrams = 0;
daemon.on("message", () => {
  datagrams++;
});
await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));

// The function's environment from the template, plus what Lambda itself sets.
const environment = JSON.parse(readFileSync(envFile, "utf8")) as Record<string, string>;
Object.assign(process.env, environment, {
  AWS_REGION: "cn-north-1",
  AWS_DEFAULT_REGION: "cn-north-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_SESSION_TOKEN: "bench",
  AWS_LAMBDA_FUNCTION_NAME: `bench-${kind}`,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
  AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
  AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as { port: number }).port}`,
  LAMBDA_TASK_ROOT: "/var/task",
});
delete process.env.AWS_ENDPOINT_URL;

const context = (requestId: string): Context =>
  ({
    awsRequestId: requestId,
    functionName: `bench-${kind}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:cn-north-1:000000000000:function:bench-${kind}`,
    memoryLimitInMB: "512",
    logGroupName: `/aws/lambda/bench-${kind}`,
    logStreamName: "bench",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done() {},
    fail() {},
    succeed() {},
  }) as Context;

/** Lambda sets a new trace header per invocation; sampled, as at low volume where the reservoir takes all. */
let traceSeq = 0;
function nextTrace(): void {
  traceSeq++;
  const hex = traceSeq.toString(16).padStart(24, "0");
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex};Parent=${hex.slice(8)};Sampled=1`;
}

const tokenSecret = "bench-tracking-token-key-0123456789abcdef0123456789abcdef";
const webhookKey = Buffer.alloc(32, 7).toString("base64");

const record = queuedRecord("CHBENCH0000000000000001", process.env.PLATFORM_ID ?? "taobao");
const recordItem = marshall(record, { removeUndefinedValues: true });
const complaintItemBytes = dynamoItemBytes(recordItem);

const responder: AwsResponder = (call: AwsCall) => {
  const key = `${call.service}.${call.operation}`;
  if (key === "secretsmanager.GetSecretValue") {
    const id = String(call.input.SecretId);
    const secret = id.includes("tracking") ? tokenSecret : JSON.stringify({ current: webhookKey });
    return {
      body: {
        ARN: `arn:aws:secretsmanager:cn-north-1:000000000000:secret:${id}`,
        Name: id,
        SecretString: secret,
        VersionId: "v1",
      },
    };
  }
  if (key === "DynamoDB_20120810.GetItem") return { body: { Item: recordItem } };
  return undefined;
};

const platform = findPlatform(process.env.PLATFORM_ID ?? "taobao");
const platformOk = () => ({
  status: 200,
  body: JSON.stringify(
    successBody(
      platform && isPush(platform)
        ? platform.delivery.successRule
        : { statuses: [200], caseRefField: "caseId" },
      "CASE-1",
    ),
  ),
});
const aws = installInMemoryAws(responder, platformOk);

// Imported after the environment and the in-memory AWS are in place: module-scope clients read both.
const hubModule =
  kind === "submit"
    ? await import("../functions/submit-complaint")
    : await import("../functions/deliver-notice");
const baselineModule =
  kind === "submit"
    ? await import("./baselines/submit-baseline")
    : await import("./baselines/deliver-baseline");
const hub = hubModule.handler as unknown as Handler;
const baseline = baselineModule.handler as unknown as Handler;

let seq = 0;
function submitEvent(): unknown {
  seq++;
  return apiEvent(`bench-warm-${kind}-${seq.toString().padStart(8, "0")}`);
}

const queueUrl = process.env.QUEUE_URL ?? "http://127.0.0.1/000000000000/complaint-hub-test-taobao";
function deliverEvent(receiveCount = 1): unknown {
  seq++;
  return sqsEvent(record, queueUrl, `m-${seq}`, receiveCount);
}

const nextEvent = kind === "submit" ? submitEvent : () => deliverEvent(1);

async function timeOne(handler: Handler): Promise<number> {
  const event = nextEvent();
  nextTrace();
  const ctx = context(`r-${seq}`);
  const started = performance.now();
  const result = (await handler(event, ctx)) as { statusCode?: number; batchItemFailures?: unknown[] };
  const elapsed = performance.now() - started;
  if (kind === "submit" && result.statusCode !== 201 && result.statusCode !== 200)
    throw new Error(`submit answered ${result.statusCode}: ${JSON.stringify(result)}`);
  if (kind === "deliver" && (result.batchItemFailures?.length ?? 0) > 0)
    throw new Error(`delivery failed: ${JSON.stringify(result)}`);
  return elapsed;
}

async function callsOfOne(handler: Handler): Promise<Record<string, number>> {
  aws.calls.length = 0;
  await timeOne(handler);
  return callInventory(aws.calls);
}

for (let i = 0; i < WARMUP; i++) {
  await timeOne(hub);
  await timeOne(baseline);
}
const hubCalls = await callsOfOne(hub);
const baselineCalls = await callsOfOne(baseline);

const hubSamples: number[] = [];
const baselineSamples: number[] = [];
datagrams = 0;
let hubInvocations = 0;
for (let done = 0; done < ITERATIONS; done += BLOCK) {
  // Alternate which side goes first, so neither always follows the other's garbage.
  const order: Array<[Handler, number[]]> =
    (done / BLOCK) % 2 === 0
      ? [
          [hub, hubSamples],
          [baseline, baselineSamples],
        ]
      : [
          [baseline, baselineSamples],
          [hub, hubSamples],
        ];
  for (const [handler, samples] of order) {
    for (let i = 0; i < BLOCK; i++) samples.push(await timeOne(handler));
    if (handler === hub) hubInvocations += BLOCK;
  }
}
// Datagrams arrive asynchronously; give the socket a moment to drain.
await new Promise((resolve) => setTimeout(resolve, 200));

let inventories: WarmWorkerResult["inventories"];
if (kind === "deliver") {
  inventories = {};
  const outcomes: Array<[string, number, () => { status: number; body: string }]> = [
    ["delivered", 1, platformOk],
    ["retry", 1, () => ({ status: 503, body: '{"error":"service unavailable"}' })],
    ["lastAttempt", 12, () => ({ status: 503, body: '{"error":"service unavailable"}' })],
  ];
  for (const [name, receiveCount, answer] of outcomes) {
    aws.platform = answer;
    aws.calls.length = 0;
    nextTrace();
    await hub(deliverEvent(receiveCount), context(`inv-${name}`));
    inventories[name] = {
      calls: callInventory(aws.calls),
      putItemBytes: aws.calls
        .filter((c) => c.operation === "PutItem")
        .map((c) => dynamoItemBytes(c.input.Item)),
    };
  }
}

const result: WarmWorkerResult = {
  handler: kind,
  iterations: hubSamples.length,
  warmup: WARMUP,
  hub: { samples: hubSamples, calls: hubCalls },
  baseline: { samples: baselineSamples, calls: baselineCalls },
  xraySegmentsPerInvocation: hubInvocations > 0 ? datagrams / hubInvocations : 0,
  ...(inventories ? { inventories, complaintItemBytes } : {}),
};
writeFileSync(outFile, JSON.stringify(result));
process.stderr.write(
  `${kind}: hub p50 ${summarize(hubSamples).p50.toFixed(3)} ms, baseline p50 ${summarize(baselineSamples).p50.toFixed(3)} ms\n`,
);
aws.restore();
daemon.close();
process.exit(0);
