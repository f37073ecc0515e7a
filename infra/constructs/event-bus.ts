import { Duration } from "aws-cdk-lib";
import { type Archive, EventBus } from "aws-cdk-lib/aws-events";
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { EVENT_SOURCE } from "../../shared/events/contract";
import type { StageConfig } from "../stages";

/** The hub's bus: every complaint event, archived for replay; only the hub may publish as the hub. */
export class HubEventBus extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: { stage: StageConfig; encryptionKey: IKey }) {
    super(scope, id);
    this.bus = new EventBus(this, "Bus", {
      eventBusName: `complaint-hub-${props.stage.name}`,
      kmsKey: props.encryptionKey,
    });
    this.archive = this.bus.archive("Archive", {
      archiveName: `complaint-hub-${props.stage.name}`,
      description: "Every complaint-hub event, for replay",
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(props.stage.retainData ? 3650 : 30),
    });
  }

  /** Denies PutEvents with the hub's source to every principal but the publisher. */
  restrictPublishing(publisher: IRole): void {
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "only-the-hub-publishes-as-the-hub",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["events:PutEvents"],
        resources: [this.bus.eventBusArn],
        conditions: {
          StringEquals: { "events:source": EVENT_SOURCE },
          ArnNotEquals: { "aws:PrincipalArn": publisher.roleArn },
        },
      }),
    );
  }
}
