/**
 * The local CloudWatch (GetMetricData) through the real @aws-sdk/client-cloudwatch: queue gauges measured on the
 * local SQS, and custom metrics summed from the embedded-metric-format lines the functions log.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsEndpoint } from "../../local/aws-endpoint";
import {
  CLOUDWATCH_TARGET_PREFIX,
  createCloudWatchHttpHandler,
  LocalCloudWatch,
} from "../../local/cloudwatch/local-cloudwatch";
import { SqsEngine } from "../../local/sqs/sqs-engine";

const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
let stateDir: string;
let logDir: string;
let sqs: SqsEngine;
let server: Server;
let client: CloudWatchClient;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "cloudwatch-"));
  logDir = join(stateDir, "logs");
  mkdirSync(logDir);
  sqs = await SqsEngine.open({
    stateDir,
    baseUrl: "http://127.0.0.1:4566",
    region: "cn-north-1",
    fsync: false,
    clock,
  });
  await sqs.createQueue("complaint-hub-test-jd");
  server = createAwsEndpoint([
    {
      targetPrefix: CLOUDWATCH_TARGET_PREFIX,
      handle: createCloudWatchHttpHandler(new LocalCloudWatch({ sqs, logDir, now: clock.now })),
    },
  ]);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  client = new CloudWatchClient({
    endpoint: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    region: "cn-north-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await sqs?.close();
  await rm(stateDir, { recursive: true, force: true });
});

const queueMetric = (id: string, name: string, stat = "Maximum"): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: "AWS/SQS",
      MetricName: name,
      Dimensions: [{ Name: "QueueName", Value: "complaint-hub-test-jd" }],
    },
    Period: 60,
    Stat: stat,
  },
});

const hubMetric = (
  id: string,
  name: string,
  service: string,
  period: number,
  stat = "Sum",
): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: "ComplaintHub",
      MetricName: name,
      Dimensions: [{ Name: "service", Value: service }],
    },
    Period: period,
    Stat: stat,
  },
});

describe("GetMetricData", () => {
  it("measures a queue's oldest message and depth now", async () => {
    const now = clock.now();
    const window = { StartTime: new Date(now - 300_000), EndTime: new Date(now + 60_000) };
    const empty = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: [queueMetric("age", "ApproximateAgeOfOldestMessage")],
        ...window,
      }),
    );
    expect(empty.MetricDataResults?.[0]?.Values).toEqual([0]);

    await sqs.sendMessage("complaint-hub-test-jd", "first");
    clock.offsetMs += 95_000;
    await sqs.sendMessage("complaint-hub-test-jd", "second");
    const later = clock.now();
    const result = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          queueMetric("age", "ApproximateAgeOfOldestMessage"),
          queueMetric("visible", "ApproximateNumberOfMessagesVisible"),
          queueMetric("gone", "ApproximateAgeOfOldestMessage", "Maximum"),
        ].map((q, i) =>
          i === 2
            ? {
                ...q,
                MetricStat: {
                  ...q.MetricStat,
                  Metric: { ...q.MetricStat?.Metric, Dimensions: [{ Name: "QueueName", Value: "nope" }] },
                },
              }
            : q,
        ) as MetricDataQuery[],
        StartTime: new Date(later - 300_000),
        EndTime: new Date(later + 60_000),
      }),
    );
    const [age, visible, gone] = result.MetricDataResults ?? [];
    expect(age).toMatchObject({ Id: "age", StatusCode: "Complete" });
    expect(age?.Values?.[0]).toBeGreaterThanOrEqual(95);
    expect(age?.Timestamps?.[0]).toBeInstanceOf(Date);
    expect(visible?.Values).toEqual([2]);
    expect(gone?.Values).toEqual([]);
    // A window in the past has no gauge datapoint.
    const past = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: [queueMetric("age", "ApproximateAgeOfOldestMessage")],
        StartTime: new Date(later - 7_200_000),
        EndTime: new Date(later - 3_600_000),
      }),
    );
    expect(past.MetricDataResults?.[0]?.Values).toEqual([]);
  });

  it("sums the functions' EMF metrics per period, on their exact dimensions", async () => {
    const t0 = Date.UTC(2026, 10, 28, 8, 0, 0);
    const emf = (at: number, service: string, metrics: Record<string, number>) =>
      `2026-11-28T08:00:00.000Z\t${JSON.stringify({
        _aws: {
          Timestamp: at,
          CloudWatchMetrics: [
            {
              Namespace: "ComplaintHub",
              Dimensions: [["service"]],
              Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: "Count" })),
            },
          ],
        },
        service,
        ...metrics,
      })}`;
    writeFileSync(
      join(logDir, "deliver-jd.log"),
      [
        "START RequestId: 1 Version: $LATEST",
        emf(t0 + 1_000, "deliver-taobao", { Delivery_delivered: 1 }),
        emf(t0 + 2_000, "deliver-taobao", { Delivery_delivered: 1, Delivery_retry: 1 }),
        emf(t0 + 61_000, "deliver-taobao", { Delivery_delivered: 1 }),
        emf(t0 + 3_000, "deliver-tmall", { Delivery_delivered: 5 }),
        emf(t0 + 7_200_000, "deliver-taobao", { Delivery_delivered: 9 }),
        '{not json but "_aws"',
        "",
      ].join("\n"),
    );
    const result = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          hubMetric("hour", "Delivery_delivered", "deliver-taobao", 3600),
          hubMetric("minutes", "Delivery_delivered", "deliver-taobao", 60),
          hubMetric("retries", "Delivery_retry", "deliver-taobao", 3600),
          hubMetric("count", "Delivery_delivered", "deliver-taobao", 3600, "SampleCount"),
          hubMetric("tmall", "Delivery_delivered", "deliver-tmall", 3600, "Maximum"),
          hubMetric("none", "Delivery_parked", "deliver-taobao", 3600),
        ],
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 3_600_000),
      }),
    );
    const byId = Object.fromEntries((result.MetricDataResults ?? []).map((r) => [r.Id, r.Values]));
    expect(byId).toEqual({ hour: [3], minutes: [1, 2], retries: [1], count: [3], tmall: [5], none: [] });
  });

  it("refuses what it does not serve, as CloudWatch refuses bad requests", async () => {
    const error = await client
      .send(
        new GetMetricDataCommand({
          MetricDataQueries: [{ Id: "e", Expression: "SUM(METRICS())" }],
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(),
        }),
      )
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("MetricStat queries");
  });
});
