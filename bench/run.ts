/**
 * `npm run bench`: bundle sizes, cold starts, warm handler overhead, end-to-end throughput through the local
 * cloud and the cost model, each next to its baseline measured in the same run. Writes bench/results.json and
 * docs/BENCHMARKS.md. Take the shared lock when other test runs may be going:
 *
 *   flock /tmp/hub-e2e.lock npm run bench [-- --only bundle,cold,warm,e2e,cost] [--cold-runs 20]
 *     [--warm-iterations 2000] [--complaints 300] [--concurrency 32] [--warmup 150]
 *     [--paced-rates 10,20,30] [--paced-seconds 15]
 *
 * With --only, the parts not run keep their figures from the previous bench/results.json.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { isPush, PLATFORMS } from "../infra/platforms";
import { stageConfig } from "../infra/stages";
import { PROJECT_ROOT, stackModel, submitFunction, synthesize } from "./assembly";
import { type BundleResult, measureBundles } from "./bundles";
import { type ColdResult, measureColdStarts } from "./cold";
import { type CostResult, costModel } from "./cost";
import { type E2eResult, measureEndToEnd } from "./e2e";
import { renderReport } from "./report";
import { measureWarm, type WarmResult } from "./warm";

// The AWS SDK's notice about Node 20 support says nothing about the measurements.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === "string" ? warning : warning.message;
  if (/NodeVersionSupportWarning|require node >=22/.test(`${text} ${String(rest[0] ?? "")}`)) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const PARTS = ["bundle", "cold", "warm", "e2e", "cost"] as const;
type Part = (typeof PARTS)[number];

export interface BenchResults {
  machine: {
    cpu: string;
    cores: number;
    memoryGb: number;
    node: string;
    platform: string;
    date: string;
    command: string;
    wallSeconds: number;
    parts: Part[];
  };
  bundles?: BundleResult;
  cold?: ColdResult;
  warm?: WarmResult;
  e2e?: E2eResult;
  cost?: CostResult;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const onlyIndex = process.argv.indexOf("--only");
const parts: Part[] =
  onlyIndex >= 0 ? (String(process.argv[onlyIndex + 1] ?? "").split(",") as Part[]) : [...PARTS];
for (const part of parts) if (!PARTS.includes(part)) throw new Error(`--only takes ${PARTS.join(",")}`);

const coldRuns = option("cold-runs", 20);
const warmIterations = option("warm-iterations", 2000);
const complaints = option("complaints", 300);
const concurrency = option("concurrency", 32);
const warmup = option("warmup", Math.round(complaints / 2));
// Half the DESIGN's provisioned 20/s, the provisioned rate, and beyond it: where the pipeline's own latency
// shows, and where this machine's local cloud starts to queue.
const pacedRatesIndex = process.argv.indexOf("--paced-rates");
const pacedRates =
  pacedRatesIndex >= 0
    ? String(process.argv[pacedRatesIndex + 1])
        .split(",")
        .map(Number)
    : [10, 20, 30];
if (pacedRates.some((r) => !Number.isFinite(r) || r <= 0))
  throw new Error("--paced-rates takes rates like 10,20");
const pacedSeconds = option("paced-seconds", 15);

const resultsFile = join(PROJECT_ROOT, "bench", "results.json");
const docFile = join(PROJECT_ROOT, "docs", "BENCHMARKS.md");
const previous: Partial<BenchResults> = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, "utf8")) as BenchResults)
  : {};

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const progress = (line: string) => console.log(`[${elapsed()}] ${line}`);

progress(`Complaint Hub benchmarks: ${parts.join(", ")}`);
await synthesize((line) => progress(line));
const model = stackModel();

const results: BenchResults = {
  ...previous,
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    wallSeconds: 0,
    parts,
  },
};

if (parts.includes("bundle") || (parts.includes("cold") && !results.bundles)) {
  progress("1/5 bundle sizes");
  results.bundles = await measureBundles(model, progress);
}
if (parts.includes("cold")) {
  progress(`2/5 cold starts: ${coldRuns} fresh processes each for hello-world, submit, deliver`);
  const bundles = results.bundles as BundleResult;
  const deliverRow = bundles.functions.find((f) => f.functions.some((n) => n.startsWith("Delivery")));
  results.cold = await measureColdStarts(
    bundles.helloFile,
    { "hello-world": bundles.hello.bytes, submit: bundles.submit.bytes, deliver: deliverRow?.bytes ?? 0 },
    coldRuns,
    progress,
  );
}
if (parts.includes("warm")) {
  progress(`3/5 warm handlers: ${warmIterations} invocations each, hub and baseline`);
  results.warm = await measureWarm(model, warmIterations, progress);
}
if (parts.includes("e2e")) {
  progress(
    `4/5 end to end: ${complaints} complaints, ${concurrency} concurrent, after ${warmup} to warm up; then ${pacedSeconds} s at each of ${pacedRates.join(", ")}/s`,
  );
  results.e2e = await measureEndToEnd(
    {
      complaints,
      concurrency,
      warmup,
      platforms: ["taobao", "tmall", "suning", "vip", "amazon-cn", "yhd"],
      failingPlatform: "suning",
      pacedRates,
      pacedSeconds,
      settleTimeoutMs: 90_000,
    },
    progress,
  );
}
if (parts.includes("cost") || parts.includes("e2e")) {
  const normal = results.e2e?.phases.find((p) => p.label === "normal");
  if (!normal) progress("5/5 cost model: skipped (no end-to-end results yet: run --only e2e,cost)");
  else {
    progress("5/5 cost model");
    const outage = results.e2e?.phases.find((p) => p.label === "outage");
    const initMs = results.cold?.rows.find((r) => r.name === "submit")?.init.p50 ?? 0;
    const pushQueues = 2 * PLATFORMS.filter((p) => p.enabled && isPush(p)).length;
    results.cost = costModel(
      normal,
      outage,
      submitFunction(model).memorySize,
      initMs,
      stageConfig("prod").delivery.retry.maxAttempts,
      pushQueues,
    );
  }
}

results.machine.wallSeconds = Math.round((performance.now() - t0) / 1000);
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(docFile, renderReport(results));
progress(`wrote bench/results.json and docs/BENCHMARKS.md in ${results.machine.wallSeconds} s`);
process.exit(0);
