import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { StageConfig } from "../stages";

const functionsDir = fileURLToPath(new URL("../../functions/", import.meta.url));
const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface HubFunctionProps
  extends Omit<NodejsFunctionProps, "entry" | "runtime" | "architecture" | "bundling" | "logGroup"> {
  /** File name (without .ts) of the handler under functions/. */
  handlerFile: string;
  /** Powertools service name: also the metrics dimension operators filter by. */
  serviceName: string;
  stage: StageConfig;
  encryptionKey: IKey;
}

/**
 * The house defaults for every Lambda function of the hub: Node.js 24 on arm64, ESM bundle with the AWS SDK
 * inside (minified, source maps), JSON logs in an explicit, encrypted log group with retention, X-Ray tracing.
 */
export class HubFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    const { handlerFile, serviceName, stage, encryptionKey, environment, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: stage.logRetentionDays,
      encryptionKey,
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    super(scope, id, {
      memorySize: 512,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      ...rest,
      entry: `${functionsDir}${handlerFile}.ts`,
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      handler: "handler",
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      logGroup,
      role,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: "ComplaintHub",
        NODE_OPTIONS: "--enable-source-maps",
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        // node20 syntax runs on Lambda's nodejs24.x and on the local cloud's Node 20 alike.
        target: "node20",
        minify: true,
        sourceMap: true,
        mainFields: ["module", "main"],
        externalModules: [],
        // Some bundled CommonJS dependencies call require(); give ESM output one.
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    });
  }
}
