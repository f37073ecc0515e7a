import { Duration, Stack } from "aws-cdk-lib";
import { LambdaIntegration, type RestApi } from "aws-cdk-lib/aws-apigateway";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { DlqDestinationConfig, IEventSourceDlq, IFunction } from "aws-cdk-lib/aws-lambda";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { STATS_PK, statsMarkPk } from "../../shared/stats/counters";
import type { StageConfig } from "../stages";
import { complaintStreamSource } from "./complaint-stream-source";
import type { ComplaintTable } from "./complaint-table";
import { HubFunction } from "./hub-function";
import { parkingQueue } from "./parking-queue";

export interface StatisticsProps {
  stage: StageConfig;
  /** The hub's REST API (ComplaintApi's): `GET /v1/stats` lives beside the consumer routes. */
  api: RestApi;
  table: ComplaintTable;
  encryptionKey: IKey;
}

/**
 * The public transparency statistics: a second consumer of the complaints table's stream keeps counters per
 * platform × category (each fact counted once, whatever the stream redelivers), and `GET /v1/stats` reads them
 * with one Query. Batches that keep failing are bisected to the bad record, then go to an on-failure queue.
 */
export class Statistics extends Construct {
  readonly updateFunction: HubFunction;
  readonly readFunction: HubFunction;
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: StatisticsProps) {
    super(scope, id);
    const { stage, table, encryptionKey } = props;
    const environment = { TABLE_NAME: table.table.tableName };

    // Named "-dlq": it holds what could not be counted, for an operator (the record's position, no data).
    this.failureQueue = parkingQueue(this, "FailureQueue", {
      queueName: `complaint-hub-${stage.name}-stats-dlq`,
      encryptionKey,
      stage,
    });

    this.updateFunction = new HubFunction(this, "Update", {
      handlerFile: "update-stats",
      serviceName: "update-stats",
      description: "DynamoDB stream → statistics counters",
      stage,
      encryptionKey,
      timeout: Duration.seconds(30),
      environment,
    });
    // A transaction's Put and Update are authorized as PutItem and UpdateItem: markers and counters only.
    table.grantItems(this.updateFunction, ["PutItem"], { indexes: [], leadingKeys: [statsMarkPk("*")] });
    table.grantItems(this.updateFunction, ["UpdateItem"], { indexes: [], leadingKeys: [STATS_PK] });
    this.updateFunction.addEventSource(
      complaintStreamSource(table, stage, new OnFailureQueue(this.failureQueue, encryptionKey)),
    );

    this.readFunction = new HubFunction(this, "Read", {
      handlerFile: "get-stats",
      serviceName: "get-stats",
      description: "GET /v1/stats",
      stage,
      encryptionKey,
      environment,
    });
    // One Query on the STATS partition of the table: no index, no other partition, no scan.
    table.grantItems(this.readFunction, ["Query"], { indexes: [], leadingKeys: [STATS_PK] });

    // Public and unauthenticated like filing a complaint; the function answers with cache headers and ETags.
    props.api.root.resourceForPath("v1/stats").addMethod("GET", new LambdaIntegration(this.readFunction), {
      operationName: "GetStatistics",
    });
  }
}

/**
 * The stream's on-failure destination with only what Lambda needs to send there: SqsDlq's grant would add
 * kms:ReEncrypt* and kms:GenerateDataKey* and the queue's read attributes.
 */
class OnFailureQueue implements IEventSourceDlq {
  constructor(
    private readonly queue: Queue,
    private readonly key: IKey,
  ) {}

  bind(_target: unknown, handler: IFunction): DlqDestinationConfig {
    handler.addToRolePolicy(
      new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [this.queue.queueArn] }),
    );
    handler.addToRolePolicy(
      new PolicyStatement({
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { "kms:ViaService": `sqs.${Stack.of(this.queue).region}.amazonaws.com` },
        },
      }),
    );
    return { destination: this.queue.queueArn };
  }
}
