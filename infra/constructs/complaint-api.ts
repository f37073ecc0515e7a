import { RemovalPolicy } from "aws-cdk-lib";
import {
  AccessLogFormat,
  Cors,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { ZodType } from "zod";
import { submissionSchema } from "../../shared/complaint/submission";
import { feedbackSchema, messageSchema, withdrawalSchema } from "../../shared/consumer/requests";
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from "../../shared/http/problem";
import { apiGatewayModel } from "../request-models";
import type { StageConfig } from "../stages";
import type { ComplaintTable, ItemAction } from "./complaint-table";
import { HubFunction } from "./hub-function";

export interface ComplaintApiProps {
  stage: StageConfig;
  table: ComplaintTable;
  encryptionKey: IKey;
  trackingTokenSecretName: string;
  grantTrackingTokenRead: (fn: HubFunction) => void;
}

/** The consumers' REST API: validated at the gateway, throttled, access-logged as JSON, traced. */
export class ComplaintApi extends Construct {
  readonly api: RestApi;
  readonly submitFunction: HubFunction;
  readonly getFunction: HubFunction;
  readonly feedbackFunction: HubFunction;
  readonly withdrawFunction: HubFunction;
  readonly messageFunction: HubFunction;

  constructor(scope: Construct, id: string, props: ComplaintApiProps) {
    super(scope, id);
    const { stage, table, encryptionKey } = props;
    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: stage.logRetentionDays,
      encryptionKey,
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, "Api", {
      restApiName: `complaint-hub-${stage.name}`,
      description: "Complaint Hub public API",
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: stage.name,
        tracingEnabled: true,
        throttlingRateLimit: stage.api.rateLimit,
        throttlingBurstLimit: stage.api.burstLimit,
        // Execution logs at ERROR only and never request data: bodies carry personal data.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: false,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: Cors.ALL_ORIGINS,
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Content-Type", "Authorization", "Idempotency-Key"],
      },
    });
    this.problemResponses();

    const environment = { TABLE_NAME: table.table.tableName };
    this.submitFunction = new HubFunction(this, "Submit", {
      handlerFile: "submit-complaint",
      serviceName: "submit-complaint",
      description: "POST /v1/complaints",
      stage,
      encryptionKey,
      environment: { ...environment, TRACKING_TOKEN_SECRET_ID: props.trackingTokenSecretName },
    });
    table.grantItems(this.submitFunction, ["GetItem", "PutItem"]);
    props.grantTrackingTokenRead(this.submitFunction);

    this.getFunction = new HubFunction(this, "Get", {
      handlerFile: "get-complaint",
      serviceName: "get-complaint",
      description: "GET /v1/complaints/{id}",
      stage,
      encryptionKey,
      environment,
    });
    table.grantItems(this.getFunction, ["GetItem"]);

    // The consumer's actions on their complaint: read it, then one conditional update (messages also put
    // their own item, in the same transaction).
    const consumerFunction = (
      id: string,
      handlerFile: string,
      route: string,
      actions: readonly ItemAction[],
    ) => {
      const fn = new HubFunction(this, id, {
        handlerFile,
        serviceName: handlerFile,
        description: `POST /v1/complaints/{id}/${route}`,
        stage,
        encryptionKey,
        environment,
      });
      table.grantItems(fn, actions);
      return fn;
    };
    this.feedbackFunction = consumerFunction("Feedback", "consumer-feedback", "feedback", [
      "GetItem",
      "UpdateItem",
    ]);
    this.withdrawFunction = consumerFunction("Withdraw", "consumer-withdraw", "withdraw", [
      "GetItem",
      "UpdateItem",
    ]);
    this.messageFunction = consumerFunction("Message", "consumer-message", "messages", [
      "GetItem",
      "PutItem",
      "UpdateItem",
    ]);

    const complaints = this.api.root.addResource("v1").addResource("complaints");
    const validator = new RequestValidator(this, "BodyValidator", {
      restApi: this.api,
      requestValidatorName: "body-and-parameters",
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const submissionModel = this.api.addModel("ComplaintSubmission", {
      modelName: "ComplaintSubmissionV1",
      contentType: "application/json",
      schema: apiGatewayModel(submissionSchema),
    });
    complaints.addMethod("POST", new LambdaIntegration(this.submitFunction), {
      operationName: "SubmitComplaint",
      requestValidator: validator,
      requestModels: { "application/json": submissionModel },
    });
    const complaint = complaints.addResource("{id}");
    this.addGet(complaint, validator);
    this.addConsumerAction(complaint, "feedback", this.feedbackFunction, validator, {
      operationName: "GiveFeedback",
      modelName: "ConsumerFeedbackV1",
      schema: feedbackSchema,
    });
    this.addConsumerAction(complaint, "withdraw", this.withdrawFunction, validator, {
      operationName: "WithdrawComplaint",
      modelName: "ConsumerWithdrawalV1",
      schema: withdrawalSchema,
    });
    this.addConsumerAction(complaint, "messages", this.messageFunction, validator, {
      operationName: "AddConsumerMessage",
      modelName: "ConsumerMessageV1",
      schema: messageSchema,
    });
  }

  /** `POST /v1/complaints/{id}/<path>`: the id required, the body checked against the zod schema's model. */
  private addConsumerAction(
    complaint: IResource,
    path: string,
    fn: HubFunction,
    validator: RequestValidator,
    options: { operationName: string; modelName: string; schema: ZodType },
  ): void {
    const model = this.api.addModel(options.modelName, {
      modelName: options.modelName,
      contentType: "application/json",
      schema: apiGatewayModel(options.schema),
    });
    complaint.addResource(path).addMethod("POST", new LambdaIntegration(fn), {
      operationName: options.operationName,
      requestValidator: validator,
      requestParameters: { "method.request.path.id": true },
      requestModels: { "application/json": model },
    });
  }

  private addGet(resource: IResource, validator: RequestValidator): void {
    resource.addMethod("GET", new LambdaIntegration(this.getFunction), {
      operationName: "GetComplaint",
      requestValidator: validator,
      requestParameters: { "method.request.path.id": true },
    });
  }

  /** Errors the gateway answers itself are problem+json too, with stable types. */
  private problemResponses(): void {
    const problem = (kind: keyof typeof PROBLEM_TYPES, detail: string) => {
      const { type, title, status } = PROBLEM_TYPES[kind];
      return JSON.stringify({ type, title, status, detail });
    };
    const problemHeaders = { "Content-Type": `'${PROBLEM_CONTENT_TYPE}'` };
    const respond = (
      id: string,
      type: ResponseType,
      body: string,
      extra: { statusCode?: string; headers?: object } = {},
    ) =>
      this.api.addGatewayResponse(id, {
        type,
        ...(extra.statusCode ? { statusCode: extra.statusCode } : {}),
        responseHeaders: { ...problemHeaders, ...extra.headers },
        templates: { [PROBLEM_CONTENT_TYPE]: body, "application/json": body },
      });
    respond(
      "BadRequestBody",
      ResponseType.BAD_REQUEST_BODY,
      problem("validation", "The body does not match the request's schema"),
    );
    respond(
      "BadRequestParameters",
      ResponseType.BAD_REQUEST_PARAMETERS,
      problem("validation", "A required parameter is missing"),
    );
    respond("TooLarge", ResponseType.REQUEST_TOO_LARGE, problem("tooLarge", "The body is too large"));
    respond(
      "Throttled",
      ResponseType.THROTTLED,
      problem("throttled", "Retry after the number of seconds in Retry-After"),
      { statusCode: "429", headers: { "Retry-After": "'1'" } },
    );
    // API Gateway answers unknown routes with 403 "Missing Authentication Token"; it is a 404.
    respond(
      "UnknownRoute",
      ResponseType.MISSING_AUTHENTICATION_TOKEN,
      problem("notFound", "No such route or method"),
      {
        statusCode: "404",
      },
    );
    respond(
      "UnsupportedMediaType",
      ResponseType.UNSUPPORTED_MEDIA_TYPE,
      problem("unsupportedMediaType", "Send application/json"),
    );
    respond(
      "Default4xx",
      ResponseType.DEFAULT_4XX,
      '{"type":"urn:complaint-hub:problem:request-refused","title":"The request was refused","detail":$context.error.messageString}',
    );
    respond(
      "Default5xx",
      ResponseType.DEFAULT_5XX,
      problem("internal", "The gateway could not complete the request"),
    );
  }
}
