import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { StageConfig } from "../stages";
import type { PlatformChannel } from "./platform-channel";

/** Urgent complaints are taken at once and have 2 working days, not 7: their wait alarms at a quarter. */
const URGENT_AGE_ALARM_FRACTION = 0.25;

export interface OperationsProps {
  stage: StageConfig;
  encryptionKey: IKey;
  channels: ReadonlyMap<string, PlatformChannel>;
  triageQueue: IQueue;
  triageDeadLetterQueue: IQueue;
  publishFunction: IFunction;
  publishFailureQueue: IQueue;
  routingDeadLetterQueue: IQueue;
  /** The deadline chase: its errors, and its silence, mean platforms are not being chased. */
  chaseFunction: IFunction;
  /** Stream records the statistics consumer gave up on. */
  statsFailureQueue: IQueue;
  apiName: string;
}

/** What operators are told about: anything parked, anything waiting too long, deliveries failing, the relay failing. */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { stage } = props;
    this.topic = new Topic(this, "AlarmTopic", {
      topicName: `complaint-hub-${stage.name}-alarms`,
      displayName: "Complaint Hub alarms",
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });

    const dashboard = new Dashboard(this, "Dashboard", { dashboardName: `complaint-hub-${stage.name}` });
    const depthMetrics: IMetric[] = [];
    const dlqMetrics: IMetric[] = [];
    const ageMetrics: IMetric[] = [];

    for (const [platformId, channel] of props.channels) {
      const { queue, deadLetterQueue } = channel.queue;
      this.anyMessageIn(`${platformId}Dlq`, deadLetterQueue, `${platformId}: complaints parked in the DLQ`);
      const age = queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: "Maximum",
      });
      this.alarm(
        `${platformId}OldestMessage`,
        age,
        stage.oldestMessageAlarmSeconds,
        `${platformId}: oldest complaint waiting too long`,
      );
      const urgentAge = channel.urgentQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: "Maximum",
      });
      this.alarm(
        `${platformId}OldestUrgentMessage`,
        urgentAge,
        Math.ceil(stage.oldestMessageAlarmSeconds * URGENT_AGE_ALARM_FRACTION),
        `${platformId}: oldest urgent (safety) complaint waiting too long`,
      );
      if (channel.deliveryFunction) {
        this.alarm(
          `${platformId}DeliveryErrorRate`,
          deliveryErrorRate(platformId),
          50,
          `${platformId}: more than half of delivery attempts failing`,
        );
      }
      depthMetrics.push(
        queue.metricApproximateNumberOfMessagesVisible({ label: platformId }),
        channel.urgentQueue.metricApproximateNumberOfMessagesVisible({ label: `${platformId} urgent` }),
      );
      dlqMetrics.push(deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: platformId }));
      ageMetrics.push(age.with({ label: platformId }), urgentAge.with({ label: `${platformId} urgent` }));
    }

    this.anyMessageIn("TriageDlq", props.triageDeadLetterQueue, "triage: complaints parked in the DLQ");
    this.anyMessageIn(
      "RoutingDlq",
      props.routingDeadLetterQueue,
      "EventBridge could not put complaints on a queue",
    );
    this.anyMessageIn("PublishFailures", props.publishFailureQueue, "stream records the relay gave up on");
    this.alarm(
      "PublishErrors",
      props.publishFunction.metricErrors({ period: Duration.minutes(5) }),
      1,
      "publish function failing",
    );
    this.alarm(
      "PublishPartialFailures",
      new Metric({
        namespace: "ComplaintHub",
        metricName: "PublishFailures",
        dimensionsMap: { service: "publish-events" },
        period: Duration.minutes(5),
        statistic: "Sum",
      }),
      1,
      "events not accepted by the bus",
    );

    this.anyMessageIn("StatsFailures", props.statsFailureQueue, "stream records the statistics gave up on");
    this.alarm(
      "ChaseErrors",
      props.chaseFunction.metricErrors({ period: Duration.minutes(15) }),
      1,
      "deadline chase failing: overdue complaints are not moving",
    );
    this.silenceAlarm(
      "ChaseNotRunning",
      props.chaseFunction.metricInvocations({ period: Duration.minutes(15), statistic: "Sum" }),
      "deadline chase has not run for 15 minutes: is its schedule rule disabled?",
    );

    dashboard.addWidgets(
      new GraphWidget({ title: "Platform queue depth", left: depthMetrics, width: 12 }),
      new GraphWidget({ title: "Parked (DLQ depth)", left: dlqMetrics, width: 12 }),
      new GraphWidget({ title: "Oldest complaint waiting (s)", left: ageMetrics, width: 12 }),
      new GraphWidget({
        title: "Triage and relay",
        left: [
          props.triageQueue.metricApproximateNumberOfMessagesVisible({ label: "triage" }),
          props.publishFailureQueue.metricApproximateNumberOfMessagesVisible({ label: "publish failures" }),
          props.routingDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: "routing DLQ" }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: "API",
        left: [
          apiMetric(props.apiName, stage.name, "4XXError"),
          apiMetric(props.apiName, stage.name, "5XXError"),
        ],
        right: [apiMetric(props.apiName, stage.name, "Latency", "p99")],
        width: 24,
      }),
    );
  }

  private anyMessageIn(id: string, queue: IQueue, description: string): void {
    this.alarm(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" }),
      1,
      description,
    );
  }

  /** Alarms when the metric stops arriving: something that should happen every few minutes did not. */
  private silenceAlarm(id: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

/** Percentage of attempts retried, parked or dead-lettered, from the delivery function's Powertools metrics. */
function deliveryErrorRate(platformId: string): IMetric {
  const metric = (name: string) =>
    new Metric({
      namespace: "ComplaintHub",
      metricName: name,
      dimensionsMap: { service: `deliver-${platformId}` },
      period: Duration.minutes(15),
      statistic: "Sum",
    });
  return new MathExpression({
    expression:
      "IF(FILL(r,0) + FILL(p,0) + FILL(d,0) > 0, 100 * (FILL(r,0) + FILL(p,0)) / (FILL(r,0) + FILL(p,0) + FILL(d,0)), 0)",
    usingMetrics: {
      r: metric("Delivery_retry"),
      p: metric("Delivery_parked"),
      d: metric("Delivery_delivered"),
    },
    label: `${platformId} delivery error rate (%)`,
    period: Duration.minutes(15),
  });
}

function apiMetric(apiName: string, stage: string, name: string, statistic = "Sum"): IMetric {
  return new Metric({
    namespace: "AWS/ApiGateway",
    metricName: name,
    dimensionsMap: { ApiName: apiName, Stage: stage },
    statistic,
    period: Duration.minutes(5),
  });
}
