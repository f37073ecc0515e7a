/**
 * Part 5: the cost model. Per complaint, what the measured end-to-end run used (requests, invocations and
 * their measured durations, DynamoDB request units, events, log bytes), priced with bench/prices.ts. The
 * outage scenario adds what one failed delivery attempt costs (the outage run minus the normal run, per failed
 * attempt) times the production retry schedule's attempts, and a redrive.
 */
import type { PhaseResult } from "./e2e-worker";
import { PRICES } from "./prices";
import { round } from "./stats";

export interface CostLine {
  item: string;
  /** Quantity per complaint, as measured or assumed. */
  perComplaint: number;
  unit: string;
  /** Price per unit (USD). */
  unitPrice: number;
  /** USD per million complaints. */
  perMillion: number;
  /** How the quantity was found and the arithmetic. */
  arithmetic: string;
}

export interface CostScenario {
  name: string;
  description: string;
  lines: CostLine[];
  totalPerMillion: number;
}

export interface CostResult {
  region: string;
  currency: string;
  memoryMb: number;
  scenarios: CostScenario[];
  fixedMonthly: CostLine[];
  assumptions: string[];
}

/** Per-complaint quantities the prices apply to. */
interface Usage {
  apiRequests: number;
  /** Function group → invocations per complaint and the measured p50 duration. */
  lambda: Record<string, { invocations: number; durationMs: number }>;
  writeUnits: number;
  /** Of writeUnits: the GSI share (estimated). */
  indexWriteUnits: number;
  readUnits: number;
  eventEntries: number;
  eventBytes: number;
  sqsRequests: number;
  secretsCalls: number;
  logBytes: number;
  traces: number;
  transferBytes: number;
}

const group = (role: string) => (role.startsWith("Delivery") ? "Delivery (push)" : role);

/** Lambda bills per 1 ms; a cold start's Init is billed too (since August 2025), taken as COLD_SHARE of invocations. */
const COLD_SHARE = 0.01;
/** API Gateway access log line (JSON) per request, bytes (not written by the local cloud). */
const ACCESS_LOG_BYTES = 400;
/** X-Ray default sampling: the first request each second and 5 % of the rest; at volume ≈ 5 %. */
const XRAY_SAMPLED = 0.05;
/** Traces per complaint: the API request, the stream batch, the delivery (each starts its own trace). */
const TRACES_PER_COMPLAINT = 3;

function usageOf(phase: PhaseResult, per: number): Usage {
  const lambda: Usage["lambda"] = {};
  for (const [role, count] of Object.entries(phase.invocations)) {
    const g = group(role);
    const duration = phase.durations[role]?.p50 ?? 0;
    const entry = lambda[g] ?? { invocations: 0, durationMs: 0 };
    // Weighted mean of the p50 durations of the functions in the group.
    entry.durationMs =
      (entry.durationMs * entry.invocations + duration * (count / per)) /
      (entry.invocations + count / per || 1);
    entry.invocations += count / per;
    lambda[g] = entry;
  }
  const requests = phase.meter.requests;
  const sum = (prefix: string) =>
    Object.entries(requests)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((t, [, v]) => t + v, 0);
  const deliveries = Object.entries(phase.invocations)
    .filter(([role]) => role.startsWith("Delivery"))
    .reduce((t, [, v]) => t + v, 0);
  return {
    apiRequests: phase.accepted / per,
    lambda,
    writeUnits: phase.meter.writeUnits / per,
    indexWriteUnits: phase.meter.indexWriteUnits / per,
    readUnits: phase.meter.readUnits / per,
    eventEntries: phase.meter.eventEntries / per,
    eventBytes: phase.meter.eventBytes / per,
    // EventBridge → SQS (one SendMessage per notice routed), the event source's ReceiveMessage and
    // DeleteMessageBatch per delivery invocation, and the functions' own SQS calls.
    sqsRequests: (phase.accepted + 2 * deliveries) / per + sum("AmazonSQS.") / per,
    secretsCalls: sum("secretsmanager.") / per,
    logBytes: (phase.logBytes + phase.accepted * ACCESS_LOG_BYTES) / per,
    traces: (TRACES_PER_COMPLAINT * phase.accepted * XRAY_SAMPLED) / per,
    transferBytes: phase.platformRequestBytes / per,
  };
}

function lines(u: Usage, memoryMb: number, initMs: number): CostLine[] {
  const P = PRICES;
  const gb = memoryMb / 1024;
  const out: CostLine[] = [];
  const add = (item: string, perComplaint: number, unit: string, unitPrice: number, arithmetic: string) =>
    out.push({
      item,
      perComplaint: round(perComplaint, 4),
      unit,
      unitPrice,
      perMillion: round(perComplaint * unitPrice * 1e6, 2),
      arithmetic,
    });
  add(
    "API Gateway REST requests",
    u.apiRequests,
    "request",
    P.apiGatewayRestPerMillionRequests / 1e6,
    `${round(u.apiRequests, 3)} × $${P.apiGatewayRestPerMillionRequests}/M`,
  );
  const invocations = Object.values(u.lambda).reduce((t, l) => t + l.invocations, 0);
  add(
    "Lambda requests",
    invocations,
    "invocation",
    P.lambdaPerMillionRequests / 1e6,
    `${Object.entries(u.lambda)
      .map(([g, l]) => `${g} ${round(l.invocations, 3)}`)
      .join(" + ")} = ${round(invocations, 3)} × $${P.lambdaPerMillionRequests}/M`,
  );
  for (const [g, l] of Object.entries(u.lambda)) {
    const gbs = l.invocations * (l.durationMs / 1000) * gb;
    add(
      `Lambda compute: ${g}`,
      gbs,
      "GB-s",
      P.lambdaArmPerGbSecond,
      `${round(l.invocations, 3)} inv × ${round(l.durationMs, 1)} ms (p50 measured) × ${gb} GB = ${round(gbs, 5)} GB-s × $${P.lambdaArmPerGbSecond}`,
    );
  }
  const initGbs = invocations * COLD_SHARE * (initMs / 1000) * gb;
  add(
    "Lambda compute: cold-start Init",
    initGbs,
    "GB-s",
    P.lambdaArmPerGbSecond,
    `${round(invocations, 3)} inv × ${COLD_SHARE * 100} % cold × ${round(initMs, 0)} ms init (measured p50) × ${gb} GB`,
  );
  add(
    "DynamoDB write request units",
    u.writeUnits,
    "WRU",
    P.dynamoDbPerMillionWriteUnits / 1e6,
    `${round(u.writeUnits, 2)} WRU (metered per request; ${round(u.indexWriteUnits, 2)} of them GSI writes, estimated) × $${P.dynamoDbPerMillionWriteUnits}/M`,
  );
  add(
    "DynamoDB read request units",
    u.readUnits,
    "RRU",
    P.dynamoDbPerMillionReadUnits / 1e6,
    `${round(u.readUnits, 2)} RRU × $${P.dynamoDbPerMillionReadUnits}/M`,
  );
  add(
    "DynamoDB Streams (read by Lambda)",
    0,
    "read",
    0,
    "GetRecords by a Lambda event source mapping is free",
  );
  add(
    "EventBridge events",
    u.eventEntries,
    "event",
    P.eventBridgePerMillionEvents / 1e6,
    `${round(u.eventEntries, 2)} PutEvents entries × $${P.eventBridgePerMillionEvents}/M`,
  );
  add(
    "EventBridge archive",
    u.eventBytes / 1e9,
    "GB",
    P.eventBridgeArchivePerGb,
    `${round(u.eventBytes, 0)} B of events × $${P.eventBridgeArchivePerGb}/GB`,
  );
  add(
    "SQS requests",
    u.sqsRequests,
    "request",
    P.sqsPerMillionRequests / 1e6,
    `${round(u.sqsRequests, 2)} (routing send + event-source receive/delete + functions' own) × $${P.sqsPerMillionRequests}/M`,
  );
  add(
    "Secrets Manager API calls",
    u.secretsCalls,
    "call",
    P.secretsManagerPer10kCalls / 1e4,
    `${round(u.secretsCalls, 4)} (cached 5 min per environment) × $${P.secretsManagerPer10kCalls}/10k`,
  );
  add(
    "KMS requests",
    u.secretsCalls,
    "request",
    P.kmsPer10kRequests / 1e4,
    `one Decrypt per secret read; DynamoDB and SQS reuse data keys (≈ 0 per complaint) × $${P.kmsPer10kRequests}/10k`,
  );
  add(
    "CloudWatch Logs ingestion",
    u.logBytes / 1e9,
    "GB",
    P.cloudWatchLogsPerGbIngested,
    `${round(u.logBytes, 0)} B (function logs measured + ${ACCESS_LOG_BYTES} B access log) × $${P.cloudWatchLogsPerGbIngested}/GB`,
  );
  add(
    "X-Ray traces recorded",
    u.traces,
    "trace",
    P.xrayPerMillionTracesRecorded / 1e6,
    `${TRACES_PER_COMPLAINT} traces × ${XRAY_SAMPLED * 100} % sampled × $${P.xrayPerMillionTracesRecorded}/M`,
  );
  add(
    "Data transfer out (to platforms)",
    u.transferBytes / 1e9,
    "GB",
    P.dataTransferOutPerGb,
    `${round(u.transferBytes, 0)} B of signed notices × $${P.dataTransferOutPerGb}/GB`,
  );
  return out;
}

function scale(u: Usage, k: number): Usage {
  const lambda: Usage["lambda"] = {};
  for (const [g, l] of Object.entries(u.lambda))
    lambda[g] = { invocations: l.invocations * k, durationMs: l.durationMs };
  return {
    apiRequests: u.apiRequests * k,
    lambda,
    writeUnits: u.writeUnits * k,
    indexWriteUnits: u.indexWriteUnits * k,
    readUnits: u.readUnits * k,
    eventEntries: u.eventEntries * k,
    eventBytes: u.eventBytes * k,
    sqsRequests: u.sqsRequests * k,
    secretsCalls: u.secretsCalls * k,
    logBytes: u.logBytes * k,
    traces: u.traces * k,
    transferBytes: u.transferBytes * k,
  };
}

function add(a: Usage, b: Usage): Usage {
  const lambda: Usage["lambda"] = { ...a.lambda };
  for (const [g, l] of Object.entries(b.lambda)) {
    const e = lambda[g] ?? { invocations: 0, durationMs: 0 };
    const total = e.invocations + l.invocations;
    lambda[g] = {
      invocations: total,
      durationMs: total > 0 ? (e.invocations * e.durationMs + l.invocations * l.durationMs) / total : 0,
    };
  }
  const sum = (k: keyof Omit<Usage, "lambda">) => a[k] + b[k];
  return {
    apiRequests: sum("apiRequests"),
    lambda,
    writeUnits: sum("writeUnits"),
    indexWriteUnits: sum("indexWriteUnits"),
    readUnits: sum("readUnits"),
    eventEntries: sum("eventEntries"),
    eventBytes: sum("eventBytes"),
    sqsRequests: sum("sqsRequests"),
    secretsCalls: sum("secretsCalls"),
    logBytes: sum("logBytes"),
    traces: sum("traces"),
    transferBytes: sum("transferBytes"),
  };
}

/** What one failed attempt adds: (outage − normal) over the failed attempts, never negative. */
function perFailedAttempt(normal: PhaseResult, outage: PhaseResult, failedAttempts: number): Usage {
  const n = usageOf(normal, failedAttempts);
  const o = usageOf(outage, failedAttempts);
  const lambda: Usage["lambda"] = {};
  for (const [g, l] of Object.entries(o.lambda)) {
    const extra = l.invocations - (n.lambda[g]?.invocations ?? 0);
    if (extra > 0) lambda[g] = { invocations: extra, durationMs: l.durationMs };
  }
  const d = (k: keyof Omit<Usage, "lambda">) => Math.max(0, o[k] - n[k]);
  return {
    apiRequests: 0,
    lambda,
    writeUnits: d("writeUnits"),
    indexWriteUnits: d("indexWriteUnits"),
    readUnits: d("readUnits"),
    eventEntries: d("eventEntries"),
    eventBytes: d("eventBytes"),
    // Each failed attempt: a receive and the function's ChangeMessageVisibility (metered), no delete.
    sqsRequests: d("sqsRequests"),
    secretsCalls: d("secretsCalls"),
    logBytes: d("logBytes"),
    traces: 0,
    transferBytes: d("transferBytes"),
  };
}

export function costModel(
  normal: PhaseResult,
  outage: PhaseResult | undefined,
  memoryMb: number,
  initMs: number,
  productionMaxAttempts: number,
  pushQueues: number,
): CostResult {
  const base = usageOf(normal, normal.accepted);
  const scenarios: CostScenario[] = [];
  const normalLines = lines(base, memoryMb, initMs);
  scenarios.push({
    name: "normal",
    description: `every complaint delivered at the first attempt (measured: the end-to-end run's ${normal.accepted} complaints)`,
    lines: normalLines,
    totalPerMillion: round(
      normalLines.reduce((t, l) => t + l.perMillion, 0),
      2,
    ),
  });
  const assumptions = [
    `Prices: ${PRICES.region} on-demand list prices in ${PRICES.currency} (bench/prices.ts); the hub's default region cn-north-1 is priced in CNY by Sinnet: replace the file's values to price it.`,
    `Lambda: arm64, ${memoryMb} MB (the template's memorySize); durations are the p50 invocation times measured in the local cloud under the end-to-end load on this 2-core machine (they include waiting for local DynamoDB and the sandbox, and CPU contention), so an upper bound for AWS.`,
    `Cold starts: ${COLD_SHARE * 100} % of invocations pay the measured Init (billed since August 2025).`,
    "DynamoDB: request units metered from every request the functions sent (item sizes as DynamoDB counts them; updates and reads of a complaint at its last written size; a Query as one 4 KB page; transactions ×2; GSI writes estimated from the template's projections).",
    "SQS: per notice one send by EventBridge, one receive and one delete by the event source; idle long polling of the event sources is a fixed monthly cost.",
    "KMS: DynamoDB and SQS cache data keys (≈ 0 requests per complaint); Secrets Manager reads decrypt once each.",
    `X-Ray: ${TRACES_PER_COMPLAINT} traces per complaint, ${XRAY_SAMPLED * 100} % sampled (default rule at volume).`,
    `Logs: the functions' log bytes measured in the local cloud plus an API access log line of ${ACCESS_LOG_BYTES} B.`,
  ];
  if (outage?.failingPlatform) {
    const failing = outage.failingPlatform;
    const failedAttempts = outage.perPlatform[failing]?.failedRequests ?? 0;
    if (failedAttempts > 0) {
      const attempt = perFailedAttempt(normal, outage, failedAttempts);
      // Redrive after the outage: a message move (≈ 3 SQS requests) and the delivery a normal complaint has.
      const redrive: Usage = { ...scale(attempt, 0), lambda: {}, sqsRequests: 3 };
      const total = add(add(base, scale(attempt, productionMaxAttempts)), redrive);
      const outageLines = lines(total, memoryMb, initMs);
      scenarios.push({
        name: "platform outage",
        description: `every complaint addressed to a platform that is down: ${productionMaxAttempts} failed attempts (the production retry schedule), parked in the DLQ, redriven and delivered once; one failed attempt costs the outage run minus the normal run over its ${failedAttempts} failed attempts (a little low: the normal run also delivered the complaints that failed in the outage run, and that delivery is subtracted; the final delivery after the redrive is the normal scenario's)`,
        lines: outageLines,
        totalPerMillion: round(
          outageLines.reduce((t, l) => t + l.perMillion, 0),
          2,
        ),
      });
    }
  }
  const queues = pushQueues;
  const pollRequestsPerMonth = queues * 5 * 3 * 60 * 24 * 30;
  const fixedMonthly: CostLine[] = [
    {
      item: "SQS event-source long polling while idle",
      perComplaint: 0,
      unit: "month",
      unitPrice: 0,
      perMillion: round((pollRequestsPerMonth * PRICES.sqsPerMillionRequests) / 1e6, 2),
      arithmetic: `${queues} push queues × 5 pollers × 3 polls/min × 43,200 min = ${pollRequestsPerMonth.toLocaleString("en")} requests × $${PRICES.sqsPerMillionRequests}/M`,
    },
    {
      item: "KMS customer managed key",
      perComplaint: 0,
      unit: "month",
      unitPrice: PRICES.kmsPerKeyMonth,
      perMillion: PRICES.kmsPerKeyMonth,
      arithmetic: `1 key × $${PRICES.kmsPerKeyMonth}`,
    },
    {
      item: "Secrets Manager secrets",
      perComplaint: 0,
      unit: "month",
      unitPrice: PRICES.secretsManagerPerSecretMonth,
      perMillion: round(19 * PRICES.secretsManagerPerSecretMonth, 2),
      arithmetic: `19 secrets (18 platforms + tracking-token key) × $${PRICES.secretsManagerPerSecretMonth}`,
    },
  ];
  return { region: PRICES.region, currency: PRICES.currency, memoryMb, scenarios, fixedMonthly, assumptions };
}
