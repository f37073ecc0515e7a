import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { AccountRootPrincipal, ArnPrincipal, type IPrincipal, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue, Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EVENT_SOURCE, ROUTED_DETAIL_TYPES } from "../../shared/events/contract";
import type { PlatformDeploymentData } from "../deployment-data";
import { isPush, type PlatformEntry, type PushPlatform } from "../platforms";
import type { StageConfig } from "../stages";
import type { ComplaintTable } from "./complaint-table";
import { HubFunction } from "./hub-function";
import { noticeQueueTarget } from "./notice-target";
import { SecureQueue } from "./secure-queue";

export interface PlatformChannelProps {
  platform: PlatformEntry;
  deployment: PlatformDeploymentData;
  stage: StageConfig;
  bus: IEventBus;
  table: ComplaintTable;
  encryptionKey: IKey;
  /** Where EventBridge puts events it could not deliver to the queue. */
  routingDeadLetterQueue: IQueue;
}

export const webhookSecretName = (stage: string, platformId: string) =>
  `complaint-hub/${stage}/platforms/${platformId}/webhook`;

/** Pull consumers get this long to process a message before it reappears. */
const PULL_VISIBILITY = Duration.minutes(5);

/**
 * Concurrent deliveries from the urgent queue: Lambda's minimum. Urgent notices are few; this keeps them from
 * waiting behind the normal queue's backlog while the platform's API sees at most this many extra requests.
 */
const URGENT_MAX_CONCURRENCY = 2;

/**
 * One platform's channel, all derived from its registry entry: two rules on `detail.platform` (urgent notices to
 * the urgent queue, the rest to the normal one), both queues dead-lettering into one DLQ, and either a delivery
 * function reading both (push) or a queue policy on both for the platform's own principal (pull).
 */
export class PlatformChannel extends Construct {
  readonly queue: SecureQueue;
  /** Safety complaints (DESIGN: delivered first): consumed on their own, so no backlog delays them. */
  readonly urgentQueue: Queue;
  readonly rule: Rule;
  readonly urgentRule: Rule;
  readonly deliveryFunction?: HubFunction;
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: PlatformChannelProps) {
    super(scope, id);
    const { platform, stage } = props;
    const deliveryTimeout = isPush(platform)
      ? Duration.seconds(platform.delivery.requestTimeoutSeconds + 15)
      : undefined;

    this.queue = new SecureQueue(this, "Queue", {
      queueName: `complaint-hub-${stage.name}-${platform.id}`,
      encryptionKey: props.encryptionKey,
      // AWS's advice for Lambda event sources: visibility at least 6 × the function timeout.
      visibilityTimeout: deliveryTimeout
        ? Duration.seconds(deliveryTimeout.toSeconds() * 6)
        : PULL_VISIBILITY,
      maxReceiveCount: stage.delivery.retry.maxAttempts,
      retainData: stage.retainData,
    });
    this.urgentQueue = this.queue.addSourceQueue(
      "UrgentQueue",
      `complaint-hub-${stage.name}-${platform.id}-urgent`,
    );

    this.urgentRule = this.route(true, this.urgentQueue, props);
    this.rule = this.route(false, this.queue.queue, props);
    // On an update the urgent rule exists before the normal one stops matching urgent notices: for a moment they
    // may go to both queues (the noticeId deduplicates), never to neither.
    this.rule.node.addDependency(this.urgentRule);

    // Every platform has one: push platforms verify the hub's deliveries with it, and every platform (push and
    // pull) signs its reports to the platform API with it.
    this.webhookSecret = new Secret(this, "WebhookSecret", {
      secretName: webhookSecretName(stage.name, platform.id),
      description: `Standard Webhooks signing key for ${platform.names.en}; share with the platform out of band`,
      encryptionKey: props.encryptionKey,
      // 44 base64 characters = 33 random bytes of key material (whsec_ format without the prefix).
      generateSecretString: {
        secretStringTemplate: "{}",
        generateStringKey: "current",
        passwordLength: 44,
        excludePunctuation: true,
      },
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    if (isPush(platform) && deliveryTimeout) {
      const endpoint = props.deployment.endpoint;
      if (!endpoint) throw new Error(`Push platform ${platform.id} has no endpoint`);
      this.deliveryFunction = this.createDeliveryFunction(platform, endpoint, deliveryTimeout, props);
    } else {
      this.allowPull(props.deployment.pullPrincipal, props.encryptionKey);
    }
  }

  /** The rule for the platform's notices of one urgency. Every notice carries `urgent`: it matches one rule. */
  private route(urgent: boolean, queue: IQueue, props: PlatformChannelProps): Rule {
    const { platform, stage } = props;
    return new Rule(this, urgent ? "RouteUrgent" : "Route", {
      eventBus: props.bus,
      ruleName: `complaint-hub-${stage.name}-route-${platform.id}${urgent ? "-urgent" : ""}`,
      description: urgent
        ? `Safety complaints for ${platform.names.en} (${platform.names.zh}) to its urgent queue`
        : `Complaints for ${platform.names.en} (${platform.names.zh}) to its queue`,
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [...ROUTED_DETAIL_TYPES],
        detail: { platform: [platform.id], urgent: [urgent] },
      },
      targets: [noticeQueueTarget(queue, props.routingDeadLetterQueue)],
    });
  }

  private createDeliveryFunction(
    platform: PushPlatform,
    endpoint: string,
    timeout: Duration,
    props: PlatformChannelProps,
  ): HubFunction {
    const { stage } = props;
    const { queue, deadLetterQueue } = this.queue;
    const secret = this.webhookSecret;
    const fn = new HubFunction(this, "Delivery", {
      handlerFile: "deliver-notice",
      serviceName: `deliver-${platform.id}`,
      description: `Delivers complaints to ${platform.names.en}'s after-sale API`,
      stage,
      encryptionKey: props.encryptionKey,
      timeout,
      environment: {
        PLATFORM_ID: platform.id,
        PLATFORM_ENDPOINT: endpoint,
        // The literal name: CDK's secretName token would be re-derived from the ARN at deploy time.
        WEBHOOK_SECRET_ID: webhookSecretName(stage.name, platform.id),
        QUEUE_URL: queue.queueUrl,
        URGENT_QUEUE_URL: this.urgentQueue.queueUrl,
        DEAD_LETTER_QUEUE_URL: deadLetterQueue.queueUrl,
        TABLE_NAME: props.table.table.tableName,
        RETRY_BASE_DELAY_SECONDS: String(stage.delivery.retry.baseDelaySeconds),
        RETRY_MAX_DELAY_SECONDS: String(stage.delivery.retry.maxDelaySeconds),
        RETRY_MAX_ATTEMPTS: String(stage.delivery.retry.maxAttempts),
      },
    });
    props.table.grantItems(fn, ["GetItem", "PutItem", "UpdateItem"]);
    secret.grantRead(fn);
    // Parking sends to the DLQ; the key only through SQS (CDK's grant would add kms:ReEncrypt*).
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [deadLetterQueue.queueArn] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [props.encryptionKey.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: stage.delivery.batchSize,
        maxBatchingWindow: stage.delivery.maxBatchingWindowSeconds
          ? Duration.seconds(stage.delivery.maxBatchingWindowSeconds)
          : undefined,
        reportBatchItemFailures: true,
        maxConcurrency: platform.delivery.maxConcurrency,
      }),
    );
    // Its own pollers: an urgent notice is taken at once, one at a time, never held for a batch to fill.
    fn.addEventSource(
      new SqsEventSource(this.urgentQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: URGENT_MAX_CONCURRENCY,
      }),
    );
    return fn;
  }

  /** The pull platform's own principal may consume its two queues, and nothing else of ours. */
  private allowPull(principalArn: string | undefined, key: IKey): void {
    const principal: IPrincipal =
      !principalArn || principalArn === "account"
        ? new AccountRootPrincipal()
        : new ArnPrincipal(principalArn);
    for (const queue of [this.queue.queue, this.urgentQueue]) {
      queue.addToResourcePolicy(
        new PolicyStatement({
          sid: "PlatformPullsItsOwnQueue",
          principals: [principal],
          actions: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
          ],
          resources: [queue.queueArn],
        }),
      );
    }
    // Decrypt through SQS only: the principal gets no other use of the hub's key.
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: `PlatformDecryptsItsQueue${this.node.id}`,
        principals: [principal],
        actions: ["kms:Decrypt"],
        resources: ["*"],
        conditions: { StringEquals: { "kms:ViaService": `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
