/**
 * The end-to-end benchmark, in a process of its own (run with --cpu-prof: this process is the whole local
 * cloud, so its profile is where the time goes): a test-stage local cloud, complaints filed concurrently over
 * HTTP to several sandbox push platforms, each followed to the platform's receipt; then the same with one
 * platform failing.
 *
 *   node --import tsx bench/e2e-worker.ts <config json file> <result json file>
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { LocalCloud } from "../local/local-cloud";
import { COMPLAINT_SK, complaintPk } from "../shared/complaint/record";
import { startTestCloud } from "../test/e2e/harness";
import { functionRole } from "./assembly";
import { AwsMeter, indexModels, type MeterSnapshot } from "./aws-meter";
import { exampleComplaint } from "./events";
import {
  type AcceptedComplaint,
  checkLedger,
  type LedgerResult,
  type PlatformReceipt,
  type TableView,
} from "./ledger";
import { roundSummary, type Summary, summarize, sustainedRate } from "./stats";

export interface E2eConfig {
  complaints: number;
  concurrency: number;
  warmup: number;
  platforms: string[];
  failingPlatform: string;
  /** The paced runs: complaints filed at each of these steady rates (per second) for pacedSeconds. */
  pacedRates: number[];
  pacedSeconds: number;
  /** A last run, not reported, with every function execution environment profiled: the profiles go here. */
  functionProfileDir: string;
  /** Longest wait for deliveries after the last submission. */
  settleTimeoutMs: number;
}

export interface PhaseResult {
  label: string;
  failingPlatform?: string;
  /** Filed at this steady rate (per second) rather than as fast as the API answers. */
  pacedRate?: number;
  submitted: number;
  accepted: number;
  rejected: Record<string, number>;
  throttledRetries: number;
  submitSeconds: number;
  /** Accepted complaints per second over the submission phase. */
  submitRate: number;
  /** Complaints delivered to healthy platforms. */
  delivered: number;
  /** First submission → last platform receipt, healthy platforms. */
  deliverySeconds: number;
  /** delivered / deliverySeconds. */
  throughput: number;
  /** Receipts per second over the middle 80 % of receipts. */
  sustainedThroughput: number;
  /** Submission (request sent) → platform receipt, ms, healthy platforms. */
  latency?: Summary;
  /** Submission → 201, ms. */
  submitLatency: Summary;
  perPlatform: Record<
    string,
    {
      accepted: number;
      delivered: number;
      p50?: number;
      p99?: number;
      requests: number;
      failedRequests: number;
    }
  >;
  ledger: LedgerResult;
  meter: MeterSnapshot;
  invocations: Record<string, number>;
  /** Invocation durations (the local runtime's invoke, environment wait included), ms. */
  durations: Record<string, Summary>;
  logBytes: number;
  /** Bytes of the requests the platforms received (body + headers), all attempts. */
  platformRequestBytes: number;
  cpuSeconds: number;
  wallSeconds: number;
  timedOut: boolean;
}

export interface E2eWorkerResult {
  config: E2eConfig;
  startSeconds: number;
  phases: PhaseResult[];
  maxAttempts: number;
}

const [configFile, outFile] = process.argv.slice(2) as [string, string];
const config = JSON.parse(readFileSync(configFile, "utf8")) as E2eConfig;
const say = (line: string) => process.stderr.write(`${line}\n`);

const meter = new AwsMeter();
const started = performance.now();
const hub = await startTestCloud({ pullClients: false, schedules: "manual" });
const cloud: LocalCloud = hub.cloud;
const startSeconds = (performance.now() - started) / 1000;
meter.indexes = indexModels(cloud.model.tables[0]?.globalSecondaryIndexes ?? []);

// Time every invocation as the event sources and the API see it.
const durations = new Map<string, number[]>();
for (const [name, fn] of cloud.functions) {
  const invoke = fn.invoke.bind(fn);
  const role = functionRole(fn.spec);
  fn.invoke = async (event: unknown) => {
    const t = performance.now();
    try {
      return await invoke(event);
    } finally {
      const list = durations.get(role) ?? [];
      list.push(performance.now() - t);
      durations.set(role, list);
    }
  };
  void name;
}

const tableName = cloud.model.tables[0]?.name as string;
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: cloud.awsEndpoint,
    region: cloud.region,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  }),
);
const deliverSpec = [...cloud.functions.values()].find((f) => /Delivery/.test(f.spec.name))?.spec;
const maxAttempts = Number(deliverSpec?.environment.RETRY_MAX_ATTEMPTS ?? 3);
const example = exampleComplaint();
const logDir = join(cloud.stateDir, "logs");

function logBytes(): number {
  let total = 0;
  try {
    for (const file of readdirSync(logDir)) total += statSync(join(logDir, file)).size;
  } catch {
    // no logs yet
  }
  return total;
}

interface Filed extends AcceptedComplaint {
  sentAt: number;
}

/** Files n complaints, `concurrency` at a time; with a rate, each one no earlier than its slot (open loop). */
async function submitAll(label: string, n: number, platforms: string[], rate?: number) {
  const accepted: Filed[] = [];
  const rejected: Record<string, number> = {};
  const submitLatencies: number[] = [];
  let throttled = 0;
  let next = 0;
  const runId = `${label}-${Date.now().toString(36)}`;
  const start = performance.now();
  async function worker() {
    while (next < n) {
      const i = next++;
      if (rate) {
        const wait = start + (i * 1000) / rate - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const platform = platforms[i % platforms.length] as string;
      const sentAt = Date.now();
      const t = performance.now();
      for (;;) {
        const response = await fetch(`${cloud.apiUrl}/v1/complaints`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": `bench-${runId}-${i}` },
          body: JSON.stringify({ ...example, platform }),
        });
        const text = await response.text();
        if (response.status === 429) {
          throttled++;
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        submitLatencies.push(performance.now() - t);
        if (response.status === 201) {
          const body = JSON.parse(text) as { complaintId: string };
          accepted.push({ complaintId: body.complaintId, platform, sentAt });
        } else rejected[String(response.status)] = (rejected[String(response.status)] ?? 0) + 1;
        break;
      }
    }
  }
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  return { accepted, rejected, submitLatencies, throttled };
}

function successReceipts(platform: string) {
  return cloud.sandbox.received(platform).filter((r) => r.status >= 200 && r.status < 300 && r.caseRef);
}

async function waitForDeliveries(
  accepted: Filed[],
  failing: string | undefined,
  sinceMs: number,
): Promise<boolean> {
  const healthy = new Set(accepted.filter((c) => c.platform !== failing).map((c) => c.complaintId));
  const failingCount = accepted.filter((c) => c.platform === failing).length;
  const deadline = performance.now() + config.settleTimeoutMs;
  let lastReport = performance.now();
  while (performance.now() < deadline) {
    const delivered = new Set<string>();
    for (const platform of config.platforms) {
      if (platform === failing) continue;
      for (const r of successReceipts(platform))
        if (healthy.has(r.body?.complaintId)) delivered.add(r.body.complaintId);
    }
    const failedAttempts = failing
      ? cloud.sandbox.received(failing).filter((r) => r.status >= 500).length
      : 0;
    const healthyDone = delivered.size >= healthy.size;
    const failingDone = !failing || failedAttempts >= failingCount * maxAttempts;
    if (healthyDone && failingDone) return false;
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      say(
        `  … ${delivered.size}/${healthy.size} delivered${failing ? `, ${failedAttempts}/${failingCount * maxAttempts} failed attempts at ${failing}` : ""} (${Math.round((Date.now() - sinceMs) / 1000)} s)`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function tableView(accepted: Filed[]): Promise<Map<string, TableView>> {
  const view = new Map<string, TableView>();
  let next = 0;
  async function worker() {
    while (next < accepted.length) {
      const c = accepted[next++] as Filed;
      const { Item } = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: complaintPk(c.complaintId), sk: COMPLAINT_SK },
          ConsistentRead: true,
        }),
      );
      if (Item)
        view.set(c.complaintId, {
          status: String(Item.status),
          deliveryState: String(Item.delivery?.state ?? "none"),
          ...(Item.delivery?.caseRef ? { caseRef: String(Item.delivery.caseRef) } : {}),
          attempts: Number(Item.delivery?.attempts ?? 0),
        });
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  return view;
}

function counts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fn of cloud.functions.values()) out[functionRole(fn.spec)] = fn.invocations;
  return out;
}

async function phase(label: string, n: number, failing?: string, rate?: number): Promise<PhaseResult> {
  await cloud.sandbox.reset();
  if (failing) cloud.sandbox.setMode(failing, "fail");
  meter.reset();
  durations.clear();
  const invocationsBefore = counts();
  const logsBefore = logBytes();
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const firstSent = Date.now();
  say(
    `${label}: filing ${n} complaints, ${rate ? `${rate}/s` : `${config.concurrency} at a time`}, to ${config.platforms.join(", ")}${failing ? ` (${failing} failing)` : ""}`,
  );
  const { accepted, rejected, submitLatencies, throttled } = await submitAll(
    label,
    n,
    config.platforms,
    rate,
  );
  const submitSeconds = (performance.now() - t0) / 1000;
  say(
    `  filed ${accepted.length} in ${submitSeconds.toFixed(1)} s (${(accepted.length / submitSeconds).toFixed(1)}/s)`,
  );
  const timedOut = await waitForDeliveries(accepted, failing, firstSent);
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // The work after a platform's receipt (the DELIVERED write, its stream record, events and statistics)
  // belongs to the complaint too: count until no AWS request arrives for 1.5 s (at most 20 s).
  const totalRequests = () => Object.values(meter.snapshot().requests).reduce((t, v) => t + v, 0);
  let quiet = 0;
  let last = totalRequests();
  for (let i = 0; i < 40 && quiet < 3; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = totalRequests();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
  const meterSnapshot = meter.snapshot();
  const invocationsAfter = counts();
  const logs = logBytes() - logsBefore;
  if (failing) cloud.sandbox.setMode(failing, "ok");

  const byId = new Map(accepted.map((c) => [c.complaintId, c]));
  const receipts: PlatformReceipt[] = [];
  const receiptAt = new Map<string, number>();
  const perPlatform: PhaseResult["perPlatform"] = {};
  let platformRequestBytes = 0;
  for (const platform of config.platforms) {
    const records = cloud.sandbox.received(platform);
    const latencies: number[] = [];
    for (const r of records) {
      platformRequestBytes += JSON.stringify(r.body ?? "").length + JSON.stringify(r.headers).length;
      const complaintId = r.body?.complaintId as string | undefined;
      receipts.push({
        platform,
        ...(complaintId ? { complaintId } : {}),
        ...(r.webhookId ? { webhookId: r.webhookId } : {}),
        ...(r.caseRef ? { caseRef: r.caseRef } : {}),
        status: r.status,
      });
      const filed = complaintId ? byId.get(complaintId) : undefined;
      if (filed && r.caseRef && r.status < 300 && !receiptAt.has(filed.complaintId)) {
        const at = Date.parse(r.at);
        receiptAt.set(filed.complaintId, at);
        latencies.push(at - filed.sentAt);
      }
    }
    const own = accepted.filter((c) => c.platform === platform).length;
    const summary = latencies.length ? summarize(latencies) : undefined;
    perPlatform[platform] = {
      accepted: own,
      delivered: latencies.length,
      ...(summary ? { p50: Math.round(summary.p50), p99: Math.round(summary.p99) } : {}),
      requests: records.length,
      failedRequests: records.filter((r) => r.status >= 300 || r.status === 0).length,
    };
  }
  const healthy = accepted.filter((c) => c.platform !== failing);
  const healthyLatencies = healthy.flatMap((c) => {
    const at = receiptAt.get(c.complaintId);
    return at === undefined ? [] : [at - c.sentAt];
  });
  const receiptTimes = healthy.flatMap((c) => {
    const at = receiptAt.get(c.complaintId);
    return at === undefined ? [] : [at];
  });
  const lastReceipt = receiptTimes.length ? Math.max(...receiptTimes) : Date.now();
  const deliverySeconds = (lastReceipt - firstSent) / 1000;
  // The table records a delivery just after the platform answered: give the last ones a moment.
  let view = await tableView(accepted);
  for (let i = 0; i < 40; i++) {
    const settled = accepted.every((c) => {
      const row = view.get(c.complaintId);
      if (c.platform === failing)
        return (row?.attempts ?? 0) >= maxAttempts || row?.deliveryState !== "pending";
      return !receiptAt.has(c.complaintId) || row?.caseRef !== undefined;
    });
    if (settled) break;
    await new Promise((r) => setTimeout(r, 250));
    view = await tableView(accepted);
  }
  const ledger = checkLedger(accepted, receipts, view);
  const invocations: Record<string, number> = {};
  for (const [role, count] of Object.entries(invocationsAfter)) {
    const delta = count - (invocationsBefore[role] ?? 0);
    if (delta > 0) invocations[role] = delta;
  }
  const durationSummaries: Record<string, Summary> = {};
  for (const [role, list] of durations)
    if (list.length) durationSummaries[role] = roundSummary(summarize(list), 1);
  const result: PhaseResult = {
    label,
    ...(failing ? { failingPlatform: failing } : {}),
    ...(rate ? { pacedRate: rate } : {}),
    submitted: n,
    accepted: accepted.length,
    rejected,
    throttledRetries: throttled,
    submitSeconds,
    submitRate: accepted.length / submitSeconds,
    delivered: healthyLatencies.length,
    deliverySeconds,
    throughput: deliverySeconds > 0 ? healthyLatencies.length / deliverySeconds : 0,
    sustainedThroughput: sustainedRate(receiptTimes),
    ...(healthyLatencies.length ? { latency: roundSummary(summarize(healthyLatencies), 0) } : {}),
    submitLatency: roundSummary(summarize(submitLatencies.length ? submitLatencies : [0]), 0),
    perPlatform,
    ledger,
    meter: meterSnapshot,
    invocations,
    durations: durationSummaries,
    logBytes: logs,
    platformRequestBytes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds,
    timedOut,
  };
  say(
    `  ${label}: ${result.delivered} delivered in ${deliverySeconds.toFixed(1)} s (${result.throughput.toFixed(1)}/s), latency p50 ${result.latency?.p50} p99 ${result.latency?.p99} ms; ledger ${ledger.ok ? "ok" : "NOT ok"} (lost ${ledger.lost.length}, duplicated ${ledger.duplicated.length}, held ${ledger.heldForRetry}, parked ${ledger.parked})`,
  );
  return result;
}

const phases: PhaseResult[] = [];
try {
  if (config.warmup > 0) {
    const warm = await phase("warm-up", config.warmup);
    say(`  (warm-up: ${warm.delivered} delivered; not reported)`);
  }
  phases.push(await phase("normal", config.complaints));
  for (const rate of config.pacedRates)
    phases.push(await phase("paced", Math.round(rate * config.pacedSeconds), undefined, rate));
  phases.push(await phase("outage", config.complaints, config.failingPlatform));
  // Where the functions' time goes, in a run of its own: sampling in every worker thread slows the machine.
  for (const fn of cloud.functions.values()) fn.startProfiling(config.functionProfileDir);
  const profiled = await phase("profiled", Math.round(config.complaints / 2));
  for (const fn of cloud.functions.values()) await fn.stopProfiling();
  say(`  (profiled: ${profiled.delivered} delivered; not reported)`);
} finally {
  const result: E2eWorkerResult = { config, startSeconds, phases, maxAttempts };
  writeFileSync(outFile, JSON.stringify(result));
  meter.stop();
  await hub.stop();
}
process.exit(0);
