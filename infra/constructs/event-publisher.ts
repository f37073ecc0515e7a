import { Duration, Stack } from "aws-cdk-lib";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { StageConfig } from "../stages";
import { complaintStreamSource } from "./complaint-stream-source";
import type { ComplaintTable } from "./complaint-table";
import { HubFunction } from "./hub-function";
import { parkingQueue } from "./parking-queue";

/**
 * The transactional outbox relay: the table's stream → publish function → the bus. Batches that keep failing
 * are bisected to the bad record, then sent to an on-failure queue an operator can inspect.
 */
export class EventPublisher extends Construct {
  readonly function: HubFunction;
  readonly failureQueue: Queue;

  constructor(
    scope: Construct,
    id: string,
    props: { stage: StageConfig; table: ComplaintTable; bus: IEventBus; encryptionKey: IKey },
  ) {
    super(scope, id);
    const { stage, table, bus, encryptionKey } = props;
    this.failureQueue = parkingQueue(this, "FailureQueue", {
      queueName: `complaint-hub-${stage.name}-publish-failures`,
      encryptionKey,
      stage,
    });
    this.function = new HubFunction(this, "Function", {
      handlerFile: "publish-events",
      serviceName: "publish-events",
      description: "DynamoDB stream → EventBridge (outbox relay)",
      stage,
      encryptionKey,
      timeout: Duration.seconds(30),
      environment: { TABLE_NAME: table.table.tableName, EVENT_BUS_NAME: bus.eventBusName },
    });
    table.grantItems(this.function, ["GetItem", "UpdateItem"]);
    // PutEvents on the hub's bus only, and its key only through EventBridge (CDK's grant adds kms:ReEncrypt*).
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ["events:PutEvents"], resources: [bus.eventBusArn] }),
    );
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [encryptionKey.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `events.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    this.function.addEventSource(complaintStreamSource(table, stage, new SqsDlq(this.failureQueue)));
  }
}
