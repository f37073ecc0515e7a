import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Queue, QueueEncryption, type QueueProps } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface SecureQueueProps {
  queueName: string;
  encryptionKey: IKey;
  visibilityTimeout: Duration;
  maxReceiveCount: number;
  retainData: boolean;
}

/**
 * A queue with its dead-letter queue and the expert defaults: KMS encryption, TLS only, 14 days' retention
 * (the longest SQS allows, so a long outage does not expire complaints).
 */
export class SecureQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  private readonly sourceDefaults: QueueProps;

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    super(scope, id);
    const common = {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      ...common,
      queueName: `${props.queueName}-dlq`,
    });
    this.sourceDefaults = {
      ...common,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    };
    this.queue = new Queue(this, "Queue", { ...this.sourceDefaults, queueName: props.queueName });
  }

  /**
   * Another queue with the same settings that dead-letters into this DLQ: one place for operators to watch
   * and redrive (a redrive without a destination returns each message to the queue it came from).
   */
  addSourceQueue(id: string, queueName: string): Queue {
    return new Queue(this, id, { ...this.sourceDefaults, queueName });
  }
}
