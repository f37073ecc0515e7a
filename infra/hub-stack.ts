import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { ComplaintApi } from "./constructs/complaint-api";
import { ComplaintTable } from "./constructs/complaint-table";
import { DeadlineChase } from "./constructs/deadline-chase";
import { HubEventBus } from "./constructs/event-bus";
import { EventPublisher } from "./constructs/event-publisher";
import { HubKey } from "./constructs/hub-key";
import { Operations } from "./constructs/operations";
import { parkingQueue } from "./constructs/parking-queue";
import { PlatformApi } from "./constructs/platform-api";
import { PlatformChannel } from "./constructs/platform-channel";
import { ReplayPreview } from "./constructs/replay-preview";
import { Statistics } from "./constructs/statistics";
import { TriageChannel } from "./constructs/triage-channel";
import { resolveDeploymentData } from "./deployment-data";
import { PLATFORMS, type PlatformEntry, validateRegistry } from "./platforms";
import type { StageConfig } from "./stages";

export interface HubStackProps extends StackProps {
  stage: StageConfig;
  /** The platform registry; tests may pass their own. */
  platforms?: readonly PlatformEntry[];
}

/**
 * Complaint Hub (DESIGN: Shape): API → table → stream → publish → bus → one rule and queue per platform →
 * delivery (push) or the platform's own consumer (pull); triage for the rest; alarms over all of it.
 */
export class HubStack extends Stack {
  readonly channels = new Map<string, PlatformChannel>();

  constructor(scope: Construct, id: string, props: HubStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const registry = props.platforms ?? PLATFORMS;
    validateRegistry(registry);
    const enabled = registry.filter((p) => p.enabled);
    const deployment = resolveDeploymentData(this, stage, enabled);

    const { key } = new HubKey(this, "Encryption", stage);
    const table = new ComplaintTable(this, "Complaints", { stage, encryptionKey: key });
    const events = new HubEventBus(this, "Events", { stage, encryptionKey: key });

    const trackingTokenSecretName = `complaint-hub/${stage.name}/tracking-token-key`;
    const trackingTokenKey = new Secret(this, "TrackingTokenKey", {
      secretName: trackingTokenSecretName,
      description: "Key that consumers' tracking tokens are derived with",
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const api = new ComplaintApi(this, "Api", {
      stage,
      table,
      encryptionKey: key,
      trackingTokenSecretName,
      grantTrackingTokenRead: (fn) => trackingTokenKey.grantRead(fn),
    });

    const publisher = new EventPublisher(this, "Publisher", {
      stage,
      table,
      bus: events.bus,
      encryptionKey: key,
    });
    events.restrictPublishing(publisher.function.role as NonNullable<typeof publisher.function.role>);

    // Events EventBridge could not put on a queue after its retries: kept for an operator, never dropped.
    const routingDeadLetterQueue = parkingQueue(this, "RoutingDeadLetterQueue", {
      queueName: `complaint-hub-${stage.name}-routing-dlq`,
      encryptionKey: key,
      stage,
    });

    for (const platform of enabled) {
      const channel = new PlatformChannel(this, `Platform-${platform.id}`, {
        platform,
        deployment: deployment.get(platform.id) ?? {},
        stage,
        bus: events.bus,
        table,
        encryptionKey: key,
        routingDeadLetterQueue,
      });
      this.channels.set(platform.id, channel);
    }

    new PlatformApi(this, "PlatformApi", {
      stage,
      api: api.api,
      table,
      encryptionKey: key,
      webhookSecrets: [...this.channels.values()].map((channel) => channel.webhookSecret),
    });

    const triage = new TriageChannel(this, "Triage", {
      stage,
      bus: events.bus,
      memberIds: enabled.map((p) => p.id),
      encryptionKey: key,
      routingDeadLetterQueue,
    });

    const chase = new DeadlineChase(this, "Chase", { stage, table, encryptionKey: key });
    const statistics = new Statistics(this, "Statistics", { stage, api: api.api, table, encryptionKey: key });

    const operations = new Operations(this, "Operations", {
      stage,
      encryptionKey: key,
      channels: this.channels,
      triageQueue: triage.queue.queue,
      triageDeadLetterQueue: triage.queue.deadLetterQueue,
      publishFunction: publisher.function,
      publishFailureQueue: publisher.failureQueue,
      routingDeadLetterQueue,
      chaseFunction: chase.function,
      statsFailureQueue: statistics.failureQueue,
      apiName: api.api.restApiName,
    });

    const replayPreview = new ReplayPreview(this, "ReplayPreview", {
      stage,
      bus: events.bus,
      encryptionKey: key,
    });

    this.outputs({ api, table, events, triage, operations, routingDeadLetterQueue, replayPreview });
  }

  /** Stack outputs an operator (and the ops CLI) reads: endpoints, names and every queue URL. */
  private outputs(parts: {
    api: ComplaintApi;
    table: ComplaintTable;
    events: HubEventBus;
    triage: TriageChannel;
    operations: Operations;
    routingDeadLetterQueue: Queue;
    replayPreview: ReplayPreview;
  }): void {
    new CfnOutput(this, "ApiUrl", { value: parts.api.api.url });
    new CfnOutput(this, "TableName", { value: parts.table.table.tableName });
    new CfnOutput(this, "EventBusName", { value: parts.events.bus.eventBusName });
    new CfnOutput(this, "ArchiveName", { value: parts.events.archive.archiveName });
    new CfnOutput(this, "AlarmTopicArn", { value: parts.operations.topic.topicArn });
    new CfnOutput(this, "TriageQueueUrl", { value: parts.triage.queue.queue.queueUrl });
    new CfnOutput(this, "RoutingDeadLetterQueueUrl", { value: parts.routingDeadLetterQueue.queueUrl });
    new CfnOutput(this, "ReplayPreviewQueueUrl", { value: parts.replayPreview.queue.queueUrl });
    new CfnOutput(this, "ReplayPreviewRuleName", { value: parts.replayPreview.rule.ruleName });
    for (const [id, channel] of this.channels) {
      const name = id.replace(/[^A-Za-z0-9]/g, "");
      new CfnOutput(this, `Queue${name}`, {
        value: channel.queue.queue.queueUrl,
        description: `${id} queue`,
      });
      new CfnOutput(this, `UrgentQueue${name}`, {
        value: channel.urgentQueue.queueUrl,
        description: `${id} urgent (safety) queue`,
      });
      new CfnOutput(this, `DeadLetterQueue${name}`, {
        value: channel.queue.deadLetterQueue.queueUrl,
        description: `${id} dead-letter queue`,
      });
    }
  }
}
