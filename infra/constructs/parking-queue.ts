import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { StageConfig } from "../stages";

/**
 * A queue where something that could not be processed is parked for an operator (a stream's on-failure
 * destination, EventBridge's dead letters): the hub's key, TLS only, kept for the longest SQS allows.
 */
export function parkingQueue(
  scope: Construct,
  id: string,
  props: { queueName: string; encryptionKey: IKey; stage: StageConfig },
): Queue {
  return new Queue(scope, id, {
    queueName: props.queueName,
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: props.encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: props.stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
}
