import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { type EventPattern, type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EVENT_SOURCE } from "../../shared/events/contract";
import { REPLAY_PREVIEW_PREFIX } from "../../shared/ops/replay-plan";
import type { StageConfig } from "../stages";

/**
 * What an operator's replay would send, seen before it is sent (`npm run ops -- replay`): a dry run replays the
 * archive's window to this rule only (StartReplay's FilterArns), named `ops-preview-…`, and the ops CLI counts
 * what lands on this queue. The rule matches replayed events of a preview only (live events carry no
 * `replay-name`), so nothing else ever reaches the queue, and nothing of a preview reaches the platforms.
 */
export class ReplayPreview extends Construct {
  readonly queue: Queue;
  readonly rule: Rule;

  constructor(
    scope: Construct,
    id: string,
    props: { stage: StageConfig; bus: IEventBus; encryptionKey: IKey },
  ) {
    super(scope, id);
    this.queue = new Queue(this, "Queue", {
      queueName: `complaint-hub-${props.stage.name}-replay-preview`,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      // A preview is read within seconds of its replay; what an interrupted one left behind expires soon.
      retentionPeriod: Duration.hours(1),
      visibilityTimeout: Duration.seconds(30),
      // It holds whole events (notices with personal data) for minutes: kept like every other queue of a stage
      // that retains its data.
      removalPolicy: props.stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.rule = new Rule(this, "Rule", {
      eventBus: props.bus,
      ruleName: `complaint-hub-${props.stage.name}-replay-preview`,
      description: "Dry runs of operators' replays (replay-name ops-preview-*): counted, never delivered",
      // `replay-name` is a top-level field of replayed events; CDK passes keys it does not know through.
      eventPattern: {
        source: [EVENT_SOURCE],
        "replay-name": [{ prefix: REPLAY_PREVIEW_PREFIX }],
      } as EventPattern,
      targets: [new SqsQueue(this.queue, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }
}
