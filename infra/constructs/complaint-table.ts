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
import { GSI_BY_DEADLINE, GSI_BY_PLATFORM_STATUS } from "../../shared/store/indexes";
import type { StageConfig } from "../stages";

export { GSI_BY_DEADLINE, GSI_BY_PLATFORM_STATUS };

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
   * the named indexes (every index when none are named); a scope object may name none (the table alone) and
   * limit the actions to some partitions (`leadingKeys`, IAM patterns such as "STATSMARK#*").
   */
  grantItems(
    grantee: IGrantable,
    actions: readonly ItemAction[],
    scope?: readonly string[] | ItemGrantScope,
  ): void {
    // The list form names indexes as before (an empty list: every index); the object form says exactly.
    const { indexes, leadingKeys }: ItemGrantScope = Array.isArray(scope)
      ? scope.length
        ? { indexes: scope }
        : {}
      : ((scope ?? {}) as ItemGrantScope);
    const resources = [this.table.tableArn];
    // Only queries need the indexes; item reads and writes get the table alone.
    if (actions.includes("Query")) {
      if (indexes?.length) resources.push(...indexes.map((name) => `${this.table.tableArn}/index/${name}`));
      else if (!indexes) resources.push(`${this.table.tableArn}/index/*`);
    }
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: actions.map((a) => `dynamodb:${a}`),
        resources,
        ...(leadingKeys
          ? { conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...leadingKeys] } } }
          : {}),
      }),
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

export interface ItemGrantScope {
  /** Indexes a Query may read; [] for the table alone; every index when left out. */
  indexes?: readonly string[];
  /** Partition key values (IAM patterns) the actions are limited to. */
  leadingKeys?: readonly string[];
}
