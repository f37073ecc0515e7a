import { type Stack, Validations } from "aws-cdk-lib";
import { CfnMethod, CfnStage, RestApi } from "aws-cdk-lib/aws-apigateway";
import { CfnEventSourceMapping } from "aws-cdk-lib/aws-lambda";
import { CfnSecret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnQueue } from "aws-cdk-lib/aws-sqs";
import type { IConstruct } from "constructs";
import { DeadlineChase } from "./constructs/deadline-chase";
import { EventPublisher } from "./constructs/event-publisher";
import { HubFunction } from "./constructs/hub-function";
import { ReplayPreview } from "./constructs/replay-preview";

/**
 * Every cdk-nag finding the hub acknowledges, with the reason. Anything not listed here fails `cdk synth`
 * and the infra tests. Acknowledgements are matched by construct type, so a new resource of a known kind
 * is covered by the same reasoning and nothing else is.
 */
export function applyNagSuppressions(stack: Stack): void {
  for (const node of stack.node.findAll()) acknowledgeFor(node);
}

function acknowledge(node: IConstruct, id: string, reason: string): void {
  Validations.of(node).acknowledge({ id, reason });
}

function acknowledgeFor(node: IConstruct): void {
  if (node instanceof HubFunction && !(node.node.scope instanceof DeadlineChase)) {
    acknowledge(
      node,
      "Serverless::Serverless-LambdaDLQ",
      "Not invoked asynchronously: API Gateway invokes synchronously and event source mappings handle failures with the queue's redrive policy or the stream's on-failure destination.",
    );
  }
  if (node instanceof DeadlineChase) {
    const reason =
      "The chase is invoked only by its schedule and keeps no state in the event: a failed or missed run is made up by the next run minutes later, which works from the deadline index; failures raise the function's error alarm.";
    acknowledge(node.function, "Serverless::Serverless-LambdaDLQ", reason);
    acknowledge(node.rule, "Serverless::Serverless-EventBusDLQ", reason);
  }
  if (node instanceof HubFunction) {
    if (node.role) {
      acknowledge(
        node.role,
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.",
      );
    }
  }
  if (node instanceof EventPublisher && node.function.role) {
    for (const action of ["kms:ReEncrypt*", "kms:GenerateDataKey*"]) {
      acknowledge(
        node.function.role,
        `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        "CDK's grant for the stream's on-failure queue (SqsDlq), limited to the hub key and that queue.",
      );
    }
  }
  if (node instanceof CfnEventSourceMapping && node.eventSourceArn && !node.destinationConfig) {
    acknowledge(
      node,
      "Serverless::Serverless-LambdaEventSourceMappingDestination",
      "SQS event sources take no on-failure destination: failed messages go to the queue's own DLQ after maxReceiveCount, and permanent failures are parked there by the function.",
    );
  }
  if (
    node instanceof CfnQueue &&
    typeof node.queueName === "string" &&
    isDeadLetterQueueName(node.queueName)
  ) {
    acknowledge(node, "Serverless::Serverless-SQSRedrivePolicy", "This queue is itself a dead-letter queue.");
    acknowledge(
      node,
      "AwsSolutions::AwsSolutions-SQS3",
      "This queue is itself a dead-letter queue (an EventBridge target DLQ or a stream on-failure destination).",
    );
  }
  if (node instanceof ReplayPreview) {
    const reason =
      "The replay preview only counts a dry run's events for the operator who asked: an event lost or left over changes a count shown once, never a complaint; its messages expire within the hour.";
    acknowledge(node.queue, "AwsSolutions::AwsSolutions-SQS3", reason);
    acknowledge(node.queue, "Serverless::Serverless-SQSRedrivePolicy", reason);
    acknowledge(node.rule, "Serverless::Serverless-EventBusDLQ", reason);
  }
  if (node instanceof CfnSecret) {
    acknowledge(
      node,
      "AwsSolutions::AwsSolutions-SMG4",
      "Webhook secrets are rotated by an operator with an overlap window, since the platform must receive the new key out of band; the tracking-token key derives tokens consumers already hold, so rotating it would lock them out.",
    );
  }
  if (node instanceof CfnMethod) {
    acknowledge(
      node,
      "AwsSolutions::AwsSolutions-APIG4",
      "The consumer API is public by design: anyone may file a complaint, reading one requires its tracking token, checked in the function, and the statistics (/v1/stats) are published for everyone. The platform API (/platform/...) authenticates every request by its Standard Webhooks signature with the calling platform's own secret, checked in the function.",
    );
    acknowledge(
      node,
      "AwsSolutions::AwsSolutions-COG4",
      "Consumers have no accounts, and platforms sign their requests instead; see APIG4.",
    );
  }
  if (node instanceof CfnStage) {
    acknowledge(
      node,
      "AwsSolutions::AwsSolutions-APIG3",
      "Stage throttling and request validation protect the API; a WAF web ACL is attached per deployment, outside this stack.",
    );
  }
  if (node instanceof RestApi) {
    const role = node.node.tryFindChild("CloudWatchRole");
    if (role) {
      acknowledge(
        role,
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        "API Gateway's account-level logging role is defined by AWS with this managed policy.",
      );
    }
  }
}

/** DLQs are named by suffix: `-dlq` for queue DLQs, `-publish-failures` for the stream's on-failure queue. */
function isDeadLetterQueueName(name: string): boolean {
  return name.endsWith("-dlq") || name.endsWith("-publish-failures");
}
