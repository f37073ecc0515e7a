import { RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { StageConfig } from "../stages";

/** The hub's customer-managed key: table, queues, secrets, topic and logs are all encrypted with it. */
export class HubKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, stage: StageConfig) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    this.key = new Key(this, "Key", {
      alias: `alias/complaint-hub-${stage.name}`,
      description: `Complaint Hub (${stage.name}): data at rest`,
      enableKeyRotation: true,
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // EventBridge writes to the encrypted platform queues; CloudWatch alarms publish to the encrypted topic.
    for (const service of ["events.amazonaws.com", "cloudwatch.amazonaws.com"]) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal(service)],
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          resources: ["*"],
          conditions: { StringEquals: { "aws:SourceAccount": account } },
        }),
      );
    }
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources: ["*"],
        conditions: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
  }
}
