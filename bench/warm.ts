/**
 * Part 3: warm handler overhead. Each handler runs in a process of its own (bench/warm-worker.ts), from
 * source, many times against in-memory AWS (bench/in-memory-aws.ts: the SDK's whole middleware stack runs,
 * only the HTTP exchange is answered from memory), next to a hand-written bare-SDK baseline making the same
 * calls (bench/baselines/).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackModel } from "../local/template/stack-model";
import { BENCH_DIR, deliverFunction, submitFunction } from "./assembly";
import { type ProfileShare, summarizeProfiles } from "./profile";
import { ratio, round, roundSummary, type Summary, summarize } from "./stats";
import type { WarmWorkerResult } from "./warm-worker";

const WORKER = new URL("./warm-worker.ts", import.meta.url).pathname;
export const WARM_GOAL_MS = 1;

export interface WarmRow {
  handler: "submit" | "deliver";
  iterations: number;
  hub: Summary;
  baseline: Summary;
  hubCalls: Record<string, number>;
  baselineCalls: Record<string, number>;
  /** hub p50 − baseline p50, hub p99 − baseline p99 (ms). */
  overheadP50Ms: number;
  overheadP99Ms: number;
  ratioP50?: number;
  ratioP99?: number;
  xraySegmentsPerInvocation: number;
  /** CPU profile of the worker (hub and baseline together), self time by package, module loading left out. */
  profile: ProfileShare[];
  met: boolean;
}

export interface WarmResult {
  rows: WarmRow[];
  goal: string;
  met: boolean;
  /** The delivery's calls per outcome (for the cost model). */
  deliverInventories?: WarmWorkerResult["inventories"];
  complaintItemBytes?: number;
}

function runWorker(kind: "submit" | "deliver", environment: Record<string, string>, iterations: number) {
  const dir = join(BENCH_DIR, "warm");
  mkdirSync(dir, { recursive: true });
  const envFile = join(dir, `${kind}.env.json`);
  const outFile = join(dir, `${kind}.result.json`);
  writeFileSync(envFile, JSON.stringify(environment));
  writeFileSync(outFile, "");
  const profileDir = join(dir, `profile-${kind}`);
  rmSync(profileDir, { recursive: true, force: true });
  return new Promise<{ result: WarmWorkerResult; profile: ProfileShare[] }>((resolve, reject) => {
    const args = [
      "--cpu-prof",
      `--cpu-prof-dir=${profileDir}`,
      "--import",
      "tsx",
      WORKER,
      kind,
      envFile,
      outFile,
    ];
    const child = spawn(process.execPath, args, {
      env: {
        ...process.env,
        BENCH_WARM_ITERATIONS: String(iterations),
        BENCH_WARM_WARMUP: String(Math.max(50, Math.round(iterations / 10))),
      },
      // The handlers' log lines and metrics go to stdout, as to CloudWatch on Lambda: not shown.
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const text = readFileSync(outFile, "utf8");
      if (code !== 0 || !text) reject(new Error(`warm ${kind} exited ${code}: ${stderr.trim().slice(-800)}`));
      else {
        const loading =
          /^(npm: tsx|npm: esbuild|node: modules|node: bootstrap|native: (compileFunction|readFileUtf8|internalModuleStat))$/;
        const main = summarizeProfiles(profileDir)[0];
        const profile = (main?.categories ?? []).filter((c) => !loading.test(c.name)).slice(0, 10);
        resolve({ result: JSON.parse(text) as WarmWorkerResult, profile });
      }
    });
  });
}

export async function measureWarm(
  model: StackModel,
  iterations: number,
  progress: (line: string) => void,
): Promise<WarmResult> {
  const rows: WarmRow[] = [];
  let deliverInventories: WarmWorkerResult["inventories"];
  let complaintItemBytes: number | undefined;
  for (const [kind, spec] of [
    ["submit", submitFunction(model)],
    ["deliver", deliverFunction(model, "taobao")],
  ] as const) {
    const { result, profile } = await runWorker(kind, spec.environment, iterations);
    const hub = summarize(result.hub.samples);
    const baseline = summarize(result.baseline.samples);
    const row: WarmRow = {
      handler: kind,
      iterations: result.iterations,
      hub: roundSummary(hub),
      baseline: roundSummary(baseline),
      hubCalls: result.hub.calls,
      baselineCalls: result.baseline.calls,
      overheadP50Ms: round(hub.p50 - baseline.p50, 3),
      overheadP99Ms: round(hub.p99 - baseline.p99, 3),
      ratioP50: ratio(hub.p50, baseline.p50),
      ratioP99: ratio(hub.p99, baseline.p99),
      xraySegmentsPerInvocation: round(result.xraySegmentsPerInvocation, 2),
      profile,
      met: hub.p99 - baseline.p99 <= WARM_GOAL_MS,
    };
    rows.push(row);
    if (result.inventories) deliverInventories = result.inventories;
    if (result.complaintItemBytes) complaintItemBytes = result.complaintItemBytes;
    progress(
      `warm ${kind}: hub p50 ${row.hub.p50} / p99 ${row.hub.p99} ms, baseline p50 ${row.baseline.p50} / p99 ${row.baseline.p99} ms (${result.iterations} each)`,
    );
  }
  return {
    rows,
    goal: `hub p99 − baseline p99 ≤ ${WARM_GOAL_MS} ms`,
    met: rows.every((r) => r.met),
    ...(deliverInventories ? { deliverInventories } : {}),
    ...(complaintItemBytes ? { complaintItemBytes } : {}),
  };
}
