/**
 * `status`: one screen per stage: per platform its queue depth (normal + urgent), parked (DLQ depth), the oldest
 * message's age, deliveries and failed attempts in the last hour (push platforms: the delivery function's
 * metrics), and overdue complaints; then the association's own queues.
 */
import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { isPush, type PlatformEntry } from "../../infra/platforms";
import { countByPlatform, overdueComplaints } from "../../shared/operator/overdue";
import { enabledPlatform, enabledPlatforms, type OpsContext } from "../context";
import { duration } from "../output";
import { platformQueues, queueNameOf, type Target } from "../target";

export interface PlatformStatus {
  platform: string;
  mode: "push" | "pull";
  /** Messages waiting or in flight, normal and urgent queue together. */
  queued: number;
  urgentQueued: number;
  inFlight: number;
  parked: number;
  /** Seconds; undefined when no metric came (an empty queue on AWS reports none either). */
  oldestAgeSeconds?: number;
  /** Push platforms only: the delivery function's outcomes in the last hour. */
  deliveredLastHour?: number;
  failedLastHour?: number;
  overdue: number;
}

export interface StatusReport {
  stage: string;
  target: "local" | "aws";
  at: string;
  platforms: PlatformStatus[];
  queues: { name: string; depth: number; inFlight: number }[];
  /** Overdue complaints in all (each once). */
  overdue: number;
}

const HOUR_S = 3600;
/** Delivery outcomes that are failures (RetryLaterError counts as Delivery_retry, dead-lettering included). */
const FAILURE_METRICS = ["Delivery_retry", "Delivery_parked", "DeliveryErrors"];

export async function statusCommand(context: OpsContext, options: { platform?: string[] }): Promise<number> {
  const platforms = options.platform?.length ? options.platform.map(enabledPlatform) : enabledPlatforms();
  const target = await context.target();
  const now = context.now();
  const [depths, metrics, overdue] = await Promise.all([
    Promise.all(platforms.map((p) => platformDepths(target, p))),
    platformMetrics(target, platforms, now),
    context.store().then((store) =>
      overdueComplaints(
        store,
        platforms.map((p) => p.id),
        now,
      ),
    ),
  ]);
  const overdueCounts = countByPlatform(
    overdue,
    platforms.map((p) => p.id),
  );
  const rows: PlatformStatus[] = platforms.map((platform, i) => {
    const depth = depths[i] as Awaited<ReturnType<typeof platformDepths>>;
    const m = metrics.get(platform.id);
    return {
      platform: platform.id,
      mode: platform.delivery.mode,
      ...depth,
      ...(m?.oldestAgeSeconds !== undefined ? { oldestAgeSeconds: m.oldestAgeSeconds } : {}),
      ...(isPush(platform) ? { deliveredLastHour: m?.delivered ?? 0, failedLastHour: m?.failed ?? 0 } : {}),
      overdue: overdueCounts.get(platform.id) ?? 0,
    };
  });
  const queues = await hubQueues(target);
  const report: StatusReport = {
    stage: target.stage,
    target: target.kind,
    at: now.toISOString(),
    platforms: rows,
    queues,
    overdue: overdue.length,
  };
  const out = context.out;
  const c = out.colors;
  out.result(report, () => {
    out.line(c.bold(`Complaint Hub ${target.stage} (${target.kind}) at ${report.at}`));
    out.line();
    out.table(rows, [
      { header: "PLATFORM", value: (r) => r.platform },
      { header: "MODE", value: (r) => r.mode, color: (t) => c.dim(t) },
      { header: "QUEUED", value: (r) => r.queued, align: "right" },
      {
        header: "URGENT",
        value: (r) => r.urgentQueued,
        align: "right",
        color: (t, r) => (r.urgentQueued > 0 ? c.yellow(t) : t),
      },
      { header: "IN FLIGHT", value: (r) => r.inFlight, align: "right" },
      {
        header: "PARKED",
        value: (r) => r.parked,
        align: "right",
        color: (t, r) => (r.parked > 0 ? c.red(t) : t),
      },
      { header: "OLDEST", value: (r) => duration(r.oldestAgeSeconds), align: "right" },
      { header: "DELIVERED 1H", value: (r) => r.deliveredLastHour, align: "right" },
      {
        header: "FAILED 1H",
        value: (r) => r.failedLastHour,
        align: "right",
        color: (t, r) => ((r.failedLastHour ?? 0) > 0 ? c.yellow(t) : t),
      },
      {
        header: "OVERDUE",
        value: (r) => r.overdue,
        align: "right",
        color: (t, r) => (r.overdue > 0 ? c.red(t) : t),
      },
    ]);
    out.line();
    out.table(queues, [
      { header: "HUB QUEUE", value: (q) => q.name },
      {
        header: "DEPTH",
        value: (q) => q.depth,
        align: "right",
        color: (t, q) => (q.depth > 0 ? c.yellow(t) : t),
      },
      { header: "IN FLIGHT", value: (q) => q.inFlight, align: "right" },
    ]);
    const parked = rows.reduce((sum, r) => sum + r.parked, 0);
    out.line();
    out.line(
      `${parked > 0 ? c.red(`${parked} parked`) : c.green("Nothing parked")}, ${
        report.overdue > 0 ? c.red(`${report.overdue} overdue`) : c.green("nothing overdue")
      }. Deliveries and failures are the push delivery functions' metrics; pull platforms acknowledge by report.`,
    );
  });
  return 0;
}

async function depthOf(target: Target, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await target.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function platformDepths(target: Target, platform: PlatformEntry) {
  const queues = platformQueues(target, platform.id);
  const [normal, urgent, dlq] = await Promise.all([
    depthOf(target, queues.queueUrl),
    queues.urgentQueueUrl ? depthOf(target, queues.urgentQueueUrl) : { visible: 0, inFlight: 0 },
    depthOf(target, queues.deadLetterQueueUrl),
  ]);
  return {
    queued: normal.visible + urgent.visible,
    urgentQueued: urgent.visible,
    inFlight: normal.inFlight + urgent.inFlight,
    parked: dlq.visible + dlq.inFlight,
  };
}

async function hubQueues(target: Target) {
  const named = [
    ["triage", target.outputs.TriageQueueUrl],
    ["routing DLQ", target.outputs.RoutingDeadLetterQueueUrl],
  ].filter((entry): entry is [string, string] => Boolean(entry[1]));
  return Promise.all(
    named.map(async ([name, url]) => {
      const depth = await depthOf(target, url);
      return { name, depth: depth.visible, inFlight: depth.inFlight };
    }),
  );
}

/** One GetMetricData call for every platform: oldest age (queues), deliveries and failures (push functions). */
async function platformMetrics(
  target: Target,
  platforms: readonly PlatformEntry[],
  now: Date,
): Promise<Map<string, { oldestAgeSeconds?: number; delivered: number; failed: number }>> {
  const queries: MetricDataQuery[] = [];
  const meaning = new Map<string, { platform: string; kind: "age" | "delivered" | "failed" }>();
  const add = (
    platform: string,
    kind: "age" | "delivered" | "failed",
    query: Omit<MetricDataQuery, "Id">,
  ) => {
    const id = `q${queries.length}`;
    queries.push({ Id: id, ...query });
    meaning.set(id, { platform, kind });
  };
  for (const platform of platforms) {
    const queues = platformQueues(target, platform.id);
    for (const url of [queues.queueUrl, queues.urgentQueueUrl].filter((u): u is string => Boolean(u))) {
      add(platform.id, "age", {
        MetricStat: {
          Metric: {
            Namespace: "AWS/SQS",
            MetricName: "ApproximateAgeOfOldestMessage",
            Dimensions: [{ Name: "QueueName", Value: queueNameOf(url) }],
          },
          Period: 60,
          Stat: "Maximum",
        },
      });
    }
    if (!isPush(platform)) continue;
    const metric = (name: string) => ({
      MetricStat: {
        Metric: {
          Namespace: "ComplaintHub",
          MetricName: name,
          Dimensions: [{ Name: "service", Value: `deliver-${platform.id}` }],
        },
        Period: HOUR_S,
        Stat: "Sum",
      },
    });
    add(platform.id, "delivered", metric("Delivery_delivered"));
    for (const name of FAILURE_METRICS) add(platform.id, "failed", metric(name));
  }
  const results = new Map<string, { oldestAgeSeconds?: number; delivered: number; failed: number }>();
  if (queries.length === 0) return results;
  const end = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
  const response = await target.cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      // Deliveries: the hour before now; ages: the latest minute with a datapoint in the last five.
      StartTime: new Date(end.getTime() - HOUR_S * 1000),
      EndTime: end,
      ScanBy: "TimestampDescending",
    }),
  );
  const recentAgeFrom = end.getTime() - 5 * 60_000;
  for (const result of response.MetricDataResults ?? []) {
    const what = result.Id ? meaning.get(result.Id) : undefined;
    if (!what) continue;
    const row = results.get(what.platform) ?? { delivered: 0, failed: 0 };
    const values = result.Values ?? [];
    const times = result.Timestamps ?? [];
    if (what.kind === "age") {
      const recent = values.filter((_, i) => (times[i]?.getTime() ?? 0) >= recentAgeFrom);
      if (recent.length > 0) row.oldestAgeSeconds = Math.max(row.oldestAgeSeconds ?? 0, recent[0] as number);
    } else {
      row[what.kind] += values.reduce((sum, v) => sum + v, 0);
    }
    results.set(what.platform, row);
  }
  return results;
}
