import { Duration } from "aws-cdk-lib";
import { type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DETAIL_TYPES, EVENT_SOURCE, ROUTED_DETAIL_TYPES } from "../../shared/events/contract";
import type { ComplaintStatus } from "../../shared/lifecycle/states";
import type { StageConfig } from "../stages";
import { noticeQueueTarget } from "./notice-target";
import { SecureQueue } from "./secure-queue";

/** Statuses in which the association itself takes the complaint up: its operators see each one. */
export const ESCALATED_STATUSES: readonly ComplaintStatus[] = ["SUPERVISED", "ASSOCIATION_MEDIATION"];

/**
 * The association's triage queue: complaints about platforms that are not (enabled) members land here for an
 * operator to handle, so nothing is dropped for want of a route; and so does every complaint the association
 * supervises or mediates.
 */
export class TriageChannel extends Construct {
  readonly queue: SecureQueue;
  readonly rule: Rule;
  readonly escalationRule: Rule;

  constructor(
    scope: Construct,
    id: string,
    props: {
      stage: StageConfig;
      bus: IEventBus;
      memberIds: readonly string[];
      encryptionKey: IKey;
      routingDeadLetterQueue: IQueue;
    },
  ) {
    super(scope, id);
    this.queue = new SecureQueue(this, "Queue", {
      queueName: `complaint-hub-${props.stage.name}-triage`,
      encryptionKey: props.encryptionKey,
      visibilityTimeout: Duration.minutes(15),
      maxReceiveCount: 10,
      retainData: props.stage.retainData,
    });
    this.rule = new Rule(this, "Route", {
      eventBus: props.bus,
      ruleName: `complaint-hub-${props.stage.name}-route-triage`,
      description: "Complaints about platforms that are not enabled members, to the association",
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [...ROUTED_DETAIL_TYPES],
        detail: { platform: [{ "anything-but": [...props.memberIds] }] },
      },
      targets: [noticeQueueTarget(this.queue.queue, props.routingDeadLetterQueue)],
    });
    // The whole event, not only its detail: an operator tells a status change from a notice by its detail-type.
    this.escalationRule = new Rule(this, "Escalations", {
      eventBus: props.bus,
      ruleName: `complaint-hub-${props.stage.name}-escalations-triage`,
      description: "Complaints the association supervises or mediates, to its operators",
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [DETAIL_TYPES.statusChanged],
        detail: { to: [...ESCALATED_STATUSES] },
      },
      targets: [
        new SqsQueue(this.queue.queue, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: props.routingDeadLetterQueue,
        }),
      ],
    });
  }
}
