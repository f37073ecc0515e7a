import { RemovalPolicy, Stack } from "aws-cdk-lib";
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from "aws-cdk-lib/aws-dynamodb";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { StageConfig } from "../stages";

export const GSI_BY_PLATFORM_STATUS = "byPlatformStatus";
export const GSI_BY_DEADLINE = "byDeadline";

/**
 * The complaints table: complaint items with their delivery attempts beside them, the stream that feeds the
 * outbox relay, and the indexes the lifecycle queries (a platform's inbox; deadlines due) without scans.
 */
export class ComplaintTable extends Construct {
  readonly table: TableV2;
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: { stage: StageConfig; encryptionKey: IKey }) {
    super(scope, id);
    this.key = props.encryptionKey;
    const retain = props.stage.retainData;
    this.table = new TableV2(this, "Table", {
      tableName: `complaint-hub-${props.stage.name}-complaints`,
      partitionKey: { name: "pk", type: AttributeType.STRING },
      sortKey: { name: "sk", type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.customerManagedKey(props.encryptionKey),
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: "expiresAt",
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: [
        {
          indexName: GSI_BY_PLATFORM_STATUS,
          partitionKey: { name: "gsi1pk", type: AttributeType.STRING },
          sortKey: { name: "gsi1sk", type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [
            "complaintId",
            "platform",
            "status",
            "urgent",
            "updatedAt",
            "deadlines",
            "delivery",
          ],
        },
        {
          indexName: GSI_BY_DEADLINE,
          partitionKey: { name: "gsi2pk", type: AttributeType.STRING },
          sortKey: { name: "gsi2sk", type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: ["complaintId", "platform", "status", "version"],
        },
      ],
    });
  }

  /**
   * Item-level access only (no scans, no table admin), and the key only through DynamoDB. A Query grant covers
   * the named indexes (every index when none are named).
   */
  grantItems(grantee: IGrantable, actions: readonly ItemAction[], indexes?: readonly string[]): void {
    const resources = [this.table.tableArn];
    // Only queries need the indexes; item reads and writes get the table alone.
    if (actions.includes("Query")) {
      if (indexes?.length) resources.push(...indexes.map((name) => `${this.table.tableArn}/index/${name}`));
      else resources.push(`${this.table.tableArn}/index/*`);
    }
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}

export type ItemAction = "GetItem" | "PutItem" | "UpdateItem" | "Query";
