/**
 * Part 2: cold starts. A fresh `node` process per run loads a function bundle and handles one realistic event
 * against local endpoints (bench/local-endpoints.ts): hello-world, submit and a push delivery, interleaved
 * run by run so all three see the same machine.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { FunctionSpec } from "../local/lambda/local-function";
import { BENCH_DIR, deliverFunction, submitFunction } from "./assembly";
import { deliverEvent, queuedRecord, submitEvent } from "./events";
import { startLocalEndpoints } from "./local-endpoints";
import { ratio, round, roundSummary, type Summary, summarize } from "./stats";

const RUNNER = new URL("./cold-runner.mjs", import.meta.url).pathname;

interface RunResult {
  bootMs: number;
  importMs: number;
  initMs: number;
  firstInvokeMs: number;
  // biome-ignore lint/suspicious/noExplicitAny: the handler's answer
  result: any;
}

export interface ColdRow {
  name: string;
  bundleBytes: number;
  runs: number;
  /** Process start → handler ready (Node's start + the bundle's import): Lambda's Init Duration. */
  init: Summary;
  /** The bundle's import alone. */
  import: Summary;
  firstInvoke: Summary;
  /** Spawn → exit, as the parent saw it. */
  processWall: Summary;
  initRatioToHello?: { p50?: number; p90?: number };
  firstInvokeRatioToHello?: { p50?: number; p90?: number };
}

export interface ColdResult {
  runs: number;
  nodeOptions: string;
  rows: ColdRow[];
  goal: string;
  met: boolean;
}

function lambdaEnvironment(spec: FunctionSpec | undefined, awsEndpoint: string, region: string, seq: number) {
  const hex = seq.toString(16).padStart(24, "0");
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...(spec?.environment ?? { NODE_OPTIONS: "--enable-source-maps" }),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_SESSION_TOKEN: "local",
    AWS_LAMBDA_FUNCTION_NAME: spec?.name ?? "hello-world",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec?.memorySize ?? 512),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    AWS_XRAY_DAEMON_ADDRESS: "127.0.0.1:2000",
    // Sampled, as Lambda samples the first request of each second.
    _X_AMZN_TRACE_ID: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex};Parent=${hex.slice(8)};Sampled=1`,
    LAMBDA_TASK_ROOT: "/var/task",
    TZ: ":UTC",
  };
}

function runOnce(
  bundle: string,
  event: object,
  env: Record<string, string>,
  tag: string,
): Promise<RunResult & { wallMs: number }> {
  const dir = join(BENCH_DIR, "cold");
  mkdirSync(dir, { recursive: true });
  const eventFile = join(dir, `${tag}.event.json`);
  const resultFile = join(dir, `${tag}.result.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  writeFileSync(resultFile, "");
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, bundle, eventFile, resultFile], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const wallMs = performance.now() - started;
      const text = readFileSync(resultFile, "utf8");
      if (code !== 0 || !text) {
        reject(
          new Error(`cold run ${tag} exited ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`),
        );
        return;
      }
      resolve({ ...(JSON.parse(text) as RunResult), wallMs });
    });
  });
}

export async function measureColdStarts(
  helloBundle: string,
  bundleBytes: Record<string, number>,
  runs: number,
  progress: (line: string) => void,
): Promise<ColdResult> {
  const endpoints = await startLocalEndpoints();
  try {
    const { model, awsEndpoint } = endpoints;
    const region = model.identity.region;
    const submit = submitFunction(model);
    const deliver = deliverFunction(model, "taobao");
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: awsEndpoint,
        region,
        credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const queueUrl = deliver.environment.QUEUE_URL as string;

    type Target = {
      name: string;
      bundle: string;
      spec?: FunctionSpec;
      event: (i: number) => Promise<object>;
      check: (r: RunResult, i: number) => void;
    };
    const targets: Target[] = [
      {
        name: "hello-world",
        bundle: helloBundle,
        event: async (i) => submitEvent(`bench-cold-hello-${i}`),
        check: (r) => {
          if (r.result?.statusCode !== 200)
            throw new Error(`hello-world answered ${JSON.stringify(r.result)}`);
        },
      },
      {
        name: "submit",
        bundle: submit.handlerFile,
        spec: submit,
        event: async (i) => submitEvent(`bench-cold-submit-${Date.now()}-${i}`),
        check: (r) => {
          if (r.result?.statusCode !== 201)
            throw new Error(`submit answered ${JSON.stringify(r.result).slice(0, 300)}`);
        },
      },
      {
        name: "deliver",
        bundle: deliver.handlerFile,
        spec: deliver,
        event: async (i) => {
          const record = queuedRecord(`CHBENCHCOLD${Date.now().toString(36).toUpperCase()}${i}`, "taobao");
          await doc.send(new PutCommand({ TableName: deliver.environment.TABLE_NAME, Item: record }));
          return deliverEvent(record, queueUrl, `cold-${i}`);
        },
        check: (r, i) => {
          if ((r.result?.batchItemFailures?.length ?? 1) !== 0)
            throw new Error(`deliver failed: ${JSON.stringify(r.result)}`);
          const got = endpoints.sandbox.received("taobao").filter((x) => x.status === 200).length;
          if (got !== i + 1) throw new Error(`the platform has ${got} deliveries after ${i + 1} cold runs`);
        },
      },
    ];
    const samples = new Map<string, { init: number[]; imp: number[]; first: number[]; wall: number[] }>();
    for (const t of targets) samples.set(t.name, { init: [], imp: [], first: [], wall: [] });
    let seq = 0;
    // One unrecorded round first: the OS file cache and the endpoints warm up.
    for (let i = -1; i < runs; i++) {
      for (const target of targets) {
        seq++;
        const event = await target.event(i + 1);
        const run = await runOnce(
          target.bundle,
          event,
          lambdaEnvironment(target.spec, awsEndpoint, region, seq),
          target.name,
        );
        target.check(run, i + 1);
        if (i < 0) continue;
        const s = samples.get(target.name);
        s?.init.push(run.initMs);
        s?.imp.push(run.importMs);
        s?.first.push(run.firstInvokeMs);
        s?.wall.push(run.wallMs);
      }
      if (i >= 0 && (i + 1) % 5 === 0) progress(`cold starts: ${i + 1}/${runs} rounds`);
    }
    const rows: ColdRow[] = targets.map((t) => {
      const s = samples.get(t.name) as { init: number[]; imp: number[]; first: number[]; wall: number[] };
      return {
        name: t.name,
        bundleBytes: bundleBytes[t.name] ?? 0,
        runs: s.init.length,
        init: roundSummary(summarize(s.init), 1),
        import: roundSummary(summarize(s.imp), 1),
        firstInvoke: roundSummary(summarize(s.first), 1),
        processWall: roundSummary(summarize(s.wall), 1),
      };
    });
    const hello = rows[0] as ColdRow;
    for (const row of rows) {
      row.initRatioToHello = {
        p50: ratio(row.init.p50, hello.init.p50),
        p90: ratio(row.init.p90, hello.init.p90),
      };
      row.firstInvokeRatioToHello = {
        p50: ratio(row.firstInvoke.p50, hello.firstInvoke.p50),
        p90: ratio(row.firstInvoke.p90, hello.firstInvoke.p90),
      };
    }
    const submitRow = rows.find((r) => r.name === "submit") as ColdRow;
    return {
      runs,
      nodeOptions: submit.environment.NODE_OPTIONS ?? "",
      rows,
      goal: "submit init p50 ≤ 2 × hello-world init p50",
      met: round(submitRow.init.p50 / hello.init.p50, 3) <= 2,
    };
  } finally {
    await endpoints.stop();
  }
}
