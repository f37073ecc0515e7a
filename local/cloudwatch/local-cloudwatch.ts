/**
 * The local CloudWatch: GetMetricData (AWS JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`,
 * what @aws-sdk/client-cloudwatch sends) for the metrics an operator reads, from what the local cloud has:
 * - `AWS/SQS` ApproximateAgeOfOldestMessage, ApproximateNumberOfMessagesVisible and
 *   ApproximateNumberOfMessagesNotVisible by `QueueName`, measured on the local queues when asked (one datapoint
 *   at the end of the window, as a one-minute metric would have it);
 * - any custom namespace from the embedded metric format (EMF) lines the functions log under
 *   `<stateDir>/logs/` (Powertools Metrics writes them; CloudWatch extracts the same lines on AWS), summed per
 *   period with the statistics Sum, SampleCount, Average, Minimum and Maximum.
 * MetricStat queries only (no metric math, no PutMetricData, no alarms).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type JsonProtocolResponse, jsonProtocolHandler } from "../aws-json-protocol";
import type { SqsEngine } from "../sqs/sqs-engine";

export const CLOUDWATCH_TARGET_PREFIX = "GraniteServiceVersion20100801.";
const CONTENT_TYPE = "application/x-amz-json-1.0";

interface Dimension {
  Name: string;
  Value: string;
}

interface MetricDataQuery {
  Id?: string;
  Label?: string;
  ReturnData?: boolean;
  Expression?: string;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] };
    Period?: number;
    Stat?: string;
  };
}

export interface MetricDataResult {
  Id: string;
  Label: string;
  /** Epoch seconds, newest first (CloudWatch's default TimestampDescending). */
  Timestamps: number[];
  Values: number[];
  StatusCode: "Complete";
}

const SQS_GAUGES = new Set([
  "ApproximateAgeOfOldestMessage",
  "ApproximateNumberOfMessagesVisible",
  "ApproximateNumberOfMessagesNotVisible",
]);
const STATISTICS = new Set(["Sum", "SampleCount", "Average", "Minimum", "Maximum"]);

class CloudWatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalCloudWatch {
  constructor(
    private readonly options: {
      sqs: SqsEngine;
      /** Where the local functions write their logs (EMF lines among them). */
      logDir: string;
      now: () => number;
    },
  ) {}

  getMetricData(input: {
    MetricDataQueries?: MetricDataQuery[];
    StartTime?: number;
    EndTime?: number;
    ScanBy?: string;
  }): { MetricDataResults: MetricDataResult[]; Messages: never[] } {
    const queries = input.MetricDataQueries;
    if (!Array.isArray(queries) || queries.length === 0 || queries.length > 500) {
      throw new CloudWatchError("ValidationError", "MetricDataQueries must hold 1 to 500 queries.");
    }
    if (typeof input.StartTime !== "number" || typeof input.EndTime !== "number") {
      throw new CloudWatchError("ValidationError", "StartTime and EndTime are required.");
    }
    const start = input.StartTime * 1000;
    const end = input.EndTime * 1000;
    if (start >= end)
      throw new CloudWatchError("ValidationError", "The StartTime must be before the EndTime.");
    let emf: EmfPoint[] | undefined;
    const results: MetricDataResult[] = [];
    for (const query of queries) {
      const stat = query.MetricStat;
      const metric = stat?.Metric;
      if (!query.Id || !stat || !metric?.Namespace || !metric.MetricName) {
        throw new CloudWatchError(
          "ValidationError",
          "The local CloudWatch serves MetricStat queries (Id, Namespace, MetricName, Period, Stat) only.",
        );
      }
      const period = stat.Period ?? 60;
      const statistic = stat.Stat ?? "Sum";
      if (!Number.isInteger(period) || period < 1) {
        throw new CloudWatchError("ValidationError", "The Period must be a positive number of seconds.");
      }
      if (!STATISTICS.has(statistic)) {
        throw new CloudWatchError("ValidationError", `The statistic ${statistic} is not served locally.`);
      }
      const dimensions = metric.Dimensions ?? [];
      let points: { time: number; value: number }[];
      if (metric.Namespace === "AWS/SQS") {
        points = this.sqsGauge(metric.MetricName, dimensions, end);
      } else {
        emf ??= readEmf(this.options.logDir);
        points = emf
          .filter((p) => p.namespace === metric.Namespace && p.name === metric.MetricName)
          .filter((p) => sameDimensions(p.dimensions, dimensions))
          .filter((p) => p.time >= start && p.time < end);
      }
      const buckets = new Map<number, number[]>();
      for (const point of points) {
        const bucket = start + Math.floor((point.time - start) / (period * 1000)) * period * 1000;
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), point.value]);
      }
      const ordered = [...buckets.entries()].sort((a, b) => b[0] - a[0]);
      if (query.ReturnData === false) continue;
      results.push({
        Id: query.Id,
        Label: query.Label ?? metric.MetricName,
        Timestamps: ordered.map(([time]) => time / 1000),
        Values: ordered.map(([, values]) => aggregate(statistic, values)),
        StatusCode: "Complete",
      });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  private sqsGauge(name: string, dimensions: Dimension[], end: number): { time: number; value: number }[] {
    const queueName = dimensions.find((d) => d.Name === "QueueName")?.Value;
    if (!SQS_GAUGES.has(name) || !queueName || !this.options.sqs.hasQueue(queueName)) return [];
    // A gauge is measured now; its datapoint falls in the window's last minute (and only when the window is now).
    const now = this.options.now();
    if (now < end - 5 * 60_000 || now > end + 60_000) return [];
    const time = Math.min(now, end - 1);
    if (name === "ApproximateAgeOfOldestMessage") {
      return [{ time, value: this.options.sqs.oldestMessageAgeSeconds(queueName) }];
    }
    const depth = this.options.sqs.queueDepth(queueName);
    return [{ time, value: name === "ApproximateNumberOfMessagesVisible" ? depth.visible : depth.inFlight }];
  }
}

interface EmfPoint {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  time: number;
  value: number;
}

/** Every metric value in the EMF lines of the function logs (one JSON object a line, maybe after a prefix). */
function readEmf(logDir: string): EmfPoint[] {
  let files: string[];
  try {
    files = readdirSync(logDir).filter((file) => file.endsWith(".log"));
  } catch {
    return [];
  }
  const points: EmfPoint[] = [];
  for (const file of files) {
    for (const line of readFileSync(join(logDir, file), "utf8").split("\n")) {
      if (!line.includes('"_aws"')) continue;
      const start = line.indexOf("{");
      let document: Record<string, unknown>;
      try {
        document = JSON.parse(line.slice(start)) as Record<string, unknown>;
      } catch {
        continue;
      }
      points.push(...pointsOf(document));
    }
  }
  return points;
}

function pointsOf(document: Record<string, unknown>): EmfPoint[] {
  const meta = document._aws as
    | {
        Timestamp?: number;
        CloudWatchMetrics?: { Namespace?: string; Dimensions?: string[][]; Metrics?: { Name?: string }[] }[];
      }
    | undefined;
  if (!meta || typeof meta.Timestamp !== "number" || !Array.isArray(meta.CloudWatchMetrics)) return [];
  const points: EmfPoint[] = [];
  for (const directive of meta.CloudWatchMetrics) {
    const sets = directive.Dimensions?.length ? directive.Dimensions : [[]];
    for (const set of sets) {
      const dimensions: Record<string, string> = {};
      for (const key of set) {
        if (typeof document[key] === "string") dimensions[key] = document[key] as string;
      }
      for (const { Name } of directive.Metrics ?? []) {
        if (!Name || !directive.Namespace) continue;
        const raw = document[Name];
        const values = Array.isArray(raw) ? raw : [raw];
        for (const value of values) {
          if (typeof value !== "number") continue;
          points.push({
            namespace: directive.Namespace,
            name: Name,
            dimensions,
            time: meta.Timestamp,
            value,
          });
        }
      }
    }
  }
  return points;
}

/** CloudWatch matches a metric on its exact dimension set. */
function sameDimensions(have: Record<string, string>, want: readonly Dimension[]): boolean {
  return (
    Object.keys(have).length === want.length &&
    want.every((dimension) => have[dimension.Name] === dimension.Value)
  );
}

function aggregate(statistic: string, values: readonly number[]): number {
  switch (statistic) {
    case "SampleCount":
      return values.length;
    case "Average":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "Minimum":
      return Math.min(...values);
    case "Maximum":
      return Math.max(...values);
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

const ACTIONS: Record<string, (cw: LocalCloudWatch, input: Record<string, unknown>) => unknown> = {
  GetMetricData: (cw, input) => cw.getMetricData(input),
};

/** The HTTP side: the shared local endpoint routes `GraniteServiceVersion20100801.*` targets here. */
export function createCloudWatchHttpHandler(cloudWatch: LocalCloudWatch) {
  const answer = (status: number, body: unknown): JsonProtocolResponse => ({
    status,
    headers: { "content-type": CONTENT_TYPE },
    body,
  });
  const failure = (code: string, message: string, status = 400) => answer(status, { __type: code, message });
  return jsonProtocolHandler({
    targetPrefix: CLOUDWATCH_TARGET_PREFIX,
    handle: async (action, input) => {
      const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
      if (!handler)
        return failure("UnknownOperationException", `The local CloudWatch does not implement ${action}.`);
      if (typeof input !== "object" || input === null)
        return failure("SerializationException", "Expected a JSON object.");
      try {
        return answer(200, handler(cloudWatch, input as Record<string, unknown>));
      } catch (error) {
        if (error instanceof CloudWatchError) return failure(error.code, error.message);
        return failure("InternalServiceError", (error as Error).message, 500);
      }
    },
    unknownOperation: () =>
      failure("UnknownOperationException", "Send X-Amz-Target: GraniteServiceVersion20100801.<Action>."),
    malformedBody: () => failure("SerializationException", "The request body is not valid JSON."),
  });
}
