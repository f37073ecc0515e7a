import { Duration } from "aws-cdk-lib";
import { RuleTargetInput } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import type { IQueue } from "aws-cdk-lib/aws-sqs";

/**
 * A routing rule's target: the event's detail (the ComplaintNotice) onto a queue, retried by EventBridge for a
 * day at most (185 attempts, its maximum), then kept in the routing DLQ for an operator.
 */
export function noticeQueueTarget(queue: IQueue, routingDeadLetterQueue: IQueue): SqsQueue {
  return new SqsQueue(queue, {
    message: RuleTargetInput.fromEventPath("$.detail"),
    retryAttempts: 185,
    maxEventAge: Duration.hours(24),
    deadLetterQueue: routingDeadLetterQueue,
  });
}
