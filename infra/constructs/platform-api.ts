import {
  type IResource,
  LambdaIntegration,
  RequestValidator,
  type RestApi,
} from "aws-cdk-lib/aws-apigateway";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { replayPk } from "../../shared/complaint/record";
import { platformReportSchema } from "../../shared/platform/report";
import { apiGatewayModel } from "../request-models";
import type { StageConfig } from "../stages";
import { type ComplaintTable, GSI_BY_PLATFORM_STATUS } from "./complaint-table";
import { HubFunction } from "./hub-function";
import { webhookSecretName } from "./platform-channel";

export interface PlatformApiProps {
  stage: StageConfig;
  /** The hub's REST API (ComplaintApi's): the platform routes live beside the consumer routes. */
  api: RestApi;
  table: ComplaintTable;
  encryptionKey: IKey;
  /** Every platform's webhook secret: a request is authenticated with the secret of the platform it names. */
  webhookSecrets: readonly ISecret[];
}

/**
 * The platforms' side of the API (DESIGN: Platform events): reports on a complaint and a platform's own inbox,
 * both signed by the platform (Standard Webhooks, its own secret), checked in the functions. The report body is
 * validated at the gateway with the zod schema the function uses.
 */
export class PlatformApi extends Construct {
  readonly reportFunction: HubFunction;
  readonly inboxFunction: HubFunction;

  constructor(scope: Construct, id: string, props: PlatformApiProps) {
    super(scope, id);
    const { stage, table, encryptionKey, api } = props;
    const environment = {
      TABLE_NAME: table.table.tableName,
      // Literal names (`{platform}` filled in by the function): CDK's secretName tokens resolve from ARNs.
      PLATFORM_WEBHOOK_SECRET_ID: webhookSecretName(stage.name, "{platform}"),
    };

    this.reportFunction = new HubFunction(this, "Report", {
      handlerFile: "platform-report",
      serviceName: "platform-report",
      description: "POST /platform/v1/complaints/{id}/events",
      stage,
      encryptionKey,
      environment,
    });
    // Complaint read and conditional update, the report item and the webhook-id record (a transaction's
    // Update and Put are authorized as UpdateItem and PutItem).
    table.grantItems(this.reportFunction, ["GetItem", "PutItem", "UpdateItem"]);

    this.inboxFunction = new HubFunction(this, "Inbox", {
      handlerFile: "platform-inbox",
      serviceName: "platform-inbox",
      description: "GET /platform/v1/complaints",
      stage,
      encryptionKey,
      environment,
    });
    table.grantItems(this.inboxFunction, ["Query"], [GSI_BY_PLATFORM_STATUS]);
    // Its only write is the webhook-id record: PutItem on REPLAY# partitions alone.
    this.inboxFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ["dynamodb:PutItem"],
        resources: [table.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [replayPk("*", "*")] } },
      }),
    );

    for (const secret of props.webhookSecrets) {
      secret.grantRead(this.reportFunction);
      secret.grantRead(this.inboxFunction);
    }

    const validator = new RequestValidator(this, "Validator", {
      restApi: api,
      requestValidatorName: "platform-body-and-parameters",
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const reportModel = api.addModel("PlatformReport", {
      modelName: "PlatformReportV1",
      contentType: "application/json",
      schema: apiGatewayModel(platformReportSchema),
    });
    const complaints = api.root.addResource("platform").addResource("v1").addResource("complaints");
    complaints.addMethod("GET", new LambdaIntegration(this.inboxFunction), {
      operationName: "PlatformInbox",
      requestValidator: validator,
      requestParameters: {
        "method.request.querystring.status": false,
        "method.request.querystring.since": false,
        "method.request.querystring.limit": false,
        "method.request.querystring.cursor": false,
      },
    });
    this.addReport(complaints.addResource("{id}").addResource("events"), validator, reportModel);
  }

  private addReport(
    resource: IResource,
    validator: RequestValidator,
    model: ReturnType<RestApi["addModel"]>,
  ): void {
    resource.addMethod("POST", new LambdaIntegration(this.reportFunction), {
      operationName: "ReportPlatformEvent",
      requestValidator: validator,
      requestParameters: { "method.request.path.id": true },
      requestModels: { "application/json": model },
    });
  }
}
