/**
 * Operators are told when anything is parked, waits too long, fails to deliver or fails to publish: every
 * alarm goes to the (encrypted) topic, and a dashboard shows the queues.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORMS } from "../../infra/platforms";
import { STAGES } from "../../infra/stages";
import {
  arnOf,
  type Cfn,
  functionByService,
  keyId,
  onlyOne,
  PULL_PLATFORMS,
  PUSH_PLATFORMS,
  platformQueues,
  queueIdByName,
  resourcesOfType,
  synthHub,
} from "./hub-template";

const dev = STAGES.dev as NonNullable<(typeof STAGES)["dev"]>;

let json: Cfn;
let alarms: [string, Cfn][];
let topic: string;

beforeAll(() => {
  json = synthHub().json;
  alarms = resourcesOfType(json, "AWS::CloudWatch::Alarm");
  topic = onlyOne(resourcesOfType(json, "AWS::SNS::Topic"), "alarm topic")[0];
});

/** Alarms on a queue metric (by the queue's logical id in the QueueName dimension). */
const queueAlarms = (queue: string, metricName: string) =>
  alarms.filter(
    ([, a]) =>
      a.Properties.Namespace === "AWS/SQS" &&
      a.Properties.MetricName === metricName &&
      JSON.stringify(a.Properties.Dimensions) ===
        JSON.stringify([{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }]),
  );

const anyMessageAlarm = (queue: string) => {
  const [, alarm] = onlyOne(
    queueAlarms(queue, "ApproximateNumberOfMessagesVisible"),
    `DLQ alarm on ${queue}`,
  );
  expect(alarm.Properties).toMatchObject({
    Threshold: 1,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    EvaluationPeriods: 1,
    Statistic: "Maximum",
    TreatMissingData: "notBreaching",
  });
};

/** Metric-math alarms reading the delivery metrics of one service. */
const errorRateAlarms = (service: string) =>
  alarms.filter(([, a]) =>
    (a.Properties.Metrics ?? []).some((m: Cfn) =>
      (m.MetricStat?.Metric?.Dimensions ?? []).some((d: Cfn) => d.Name === "service" && d.Value === service),
    ),
  );

describe("per platform", () => {
  it.each(PLATFORMS.map((p) => p.id))("%s: alarms on any message in its DLQ", (id) => {
    anyMessageAlarm(platformQueues(json, id).dlq);
  });

  it.each(PLATFORMS.map((p) => p.id))("%s: alarms when its oldest complaint waits too long", (id) => {
    const { queue } = platformQueues(json, id);
    const [, alarm] = onlyOne(queueAlarms(queue, "ApproximateAgeOfOldestMessage"), `age alarm of ${id}`);
    expect(alarm.Properties).toMatchObject({
      Threshold: dev.oldestMessageAlarmSeconds,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Statistic: "Maximum",
    });
  });

  it.each(PLATFORMS.map((p) => p.id))("%s: alarms sooner when an urgent complaint waits", (id) => {
    const { urgent } = platformQueues(json, id);
    const [, alarm] = onlyOne(
      queueAlarms(urgent, "ApproximateAgeOfOldestMessage"),
      `urgent age alarm of ${id}`,
    );
    expect(alarm.Properties).toMatchObject({
      Threshold: Math.ceil(dev.oldestMessageAlarmSeconds / 4),
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Statistic: "Maximum",
      Period: 60,
    });
    expect(alarm.Properties.Threshold).toBeLessThan(dev.oldestMessageAlarmSeconds);
    expect(alarm.Properties.AlarmDescription).toContain("urgent");
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: alarms on its delivery error rate", (id) => {
    const [, alarm] = onlyOne(errorRateAlarms(`deliver-${id}`), `error rate alarm of ${id}`);
    const metrics = alarm.Properties.Metrics as Cfn[];
    const expression = onlyOne(
      metrics.filter((m) => m.Expression),
      "expression",
    );
    expect(expression.ReturnData).toBe(true);
    const inputs = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);
    expect(inputs.map((m) => m.MetricName).sort()).toEqual([
      "Delivery_delivered",
      "Delivery_parked",
      "Delivery_retry",
    ]);
    for (const m of inputs) expect(m.Namespace).toBe("ComplaintHub");
    expect(alarm.Properties.Threshold).toBeGreaterThan(0);
    expect(alarm.Properties.Threshold).toBeLessThanOrEqual(100);
  });

  it.each(PULL_PLATFORMS.map((p) => p.id))(
    "%s: has no delivery error rate alarm (nothing delivers)",
    (id) => {
      expect(errorRateAlarms(`deliver-${id}`)).toEqual([]);
    },
  );
});

describe("hub-wide", () => {
  it("alarms on any message parked in triage, routing or publish failures", () => {
    anyMessageAlarm(queueIdByName(json, "complaint-hub-dev-triage-dlq"));
    anyMessageAlarm(queueIdByName(json, "complaint-hub-dev-routing-dlq"));
    anyMessageAlarm(queueIdByName(json, "complaint-hub-dev-publish-failures"));
  });

  it("alarms when the publish function fails and when the bus refuses events", () => {
    const [publisher] = functionByService(json, "publish-events");
    const errors = alarms.filter(
      ([, a]) =>
        a.Properties.Namespace === "AWS/Lambda" &&
        a.Properties.MetricName === "Errors" &&
        JSON.stringify(a.Properties.Dimensions) ===
          JSON.stringify([{ Name: "FunctionName", Value: { Ref: publisher } }]),
    );
    expect(errors).toHaveLength(1);
    const refused = alarms.filter(
      ([, a]) =>
        a.Properties.Namespace === "ComplaintHub" &&
        a.Properties.MetricName === "PublishFailures" &&
        JSON.stringify(a.Properties.Dimensions) ===
          JSON.stringify([{ Name: "service", Value: "publish-events" }]),
    );
    expect(refused).toHaveLength(1);
  });

  it("alarms on records the statistics gave up on", () => {
    anyMessageAlarm(queueIdByName(json, "complaint-hub-dev-stats-dlq"));
  });

  it("alarms when the chase fails, and when it has stopped running", () => {
    const [chase] = functionByService(json, "chase-deadlines");
    const onChase = (metricName: string) =>
      alarms.filter(
        ([, a]) =>
          a.Properties.Namespace === "AWS/Lambda" &&
          a.Properties.MetricName === metricName &&
          JSON.stringify(a.Properties.Dimensions) ===
            JSON.stringify([{ Name: "FunctionName", Value: { Ref: chase } }]),
      );
    expect(onChase("Errors")).toHaveLength(1);
    const [, silence] = onlyOne(onChase("Invocations"), "chase silence alarm");
    expect(silence.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
      Period: 900,
    });
  });

  it("has nothing but these alarms", () => {
    // per platform: DLQ + age + urgent age; per push platform: error rate; triage, routing, publish failures,
    // errors, refusals, statistics failures, chase errors and chase silence
    expect(alarms).toHaveLength(3 * PLATFORMS.length + PUSH_PLATFORMS.length + 8);
  });
});

describe("alarm delivery", () => {
  it("sends every alarm to the topic, and only there", () => {
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.ActionsEnabled, id).not.toBe(false);
    }
  });

  it("encrypts the topic with the hub key, which CloudWatch may use", () => {
    expect(json.Resources[topic].Properties.KmsMasterKeyId).toEqual(arnOf(keyId(json)));
    const statements = json.Resources[keyId(json)].Properties.KeyPolicy.Statement as Cfn[];
    const forCloudWatch = statements.filter((s) =>
      JSON.stringify(s.Principal?.Service ?? "").includes("cloudwatch.amazonaws.com"),
    );
    expect(forCloudWatch.flatMap((s) => s.Action)).toEqual(
      expect.arrayContaining(["kms:Decrypt", "kms:GenerateDataKey"]),
    );
  });

  it("has a dashboard showing every platform's queue", () => {
    const [, dashboard] = onlyOne(resourcesOfType(json, "AWS::CloudWatch::Dashboard"), "dashboard");
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const p of PLATFORMS) {
      expect(body).toContain(`\\"label\\":\\"${p.id}\\"`);
      expect(body).toContain(`\\"label\\":\\"${p.id} urgent\\"`);
    }
  });
});
