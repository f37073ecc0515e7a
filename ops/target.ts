/**
 * Which hub the ops CLI works on, and the AWS clients for it:
 * - `--local`: the local cloud `npm start` runs for the stage; it describes itself (AWS endpoint, region, stack
 *   outputs) in `<state-dir>/<stage>/endpoints.json` while it runs;
 * - `--aws`: a deployed stage: credentials and region from the default chain (AWS_PROFILE, AWS_REGION, ...), the
 *   outputs of the CloudFormation stack `ComplaintHub-<stage>`;
 * - neither: the local cloud when one runs for the stage, else AWS.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENDPOINTS_FILE, type LocalEndpoints } from "../local/endpoints-file";
import { isRunning } from "../local/state-folder";
import { OpsError, usageError } from "./output";

export interface TargetOptions {
  stage: string;
  local?: boolean;
  aws?: boolean;
  /** The local cloud's state folder (npm start's --state-dir). */
  stateDir: string;
}

export interface Target {
  kind: "local" | "aws";
  stage: string;
  region: string;
  /** Where it was found (the endpoints file, or the stack). */
  source: string;
  apiUrl?: string;
  outputs: Record<string, string>;
  sqs: SQSClient;
  dynamodb: DynamoDBDocumentClient;
  events: EventBridgeClient;
  secrets: SecretsManagerClient;
  cloudwatch: CloudWatchClient;
  /** A stack output; throws when the stack has none of that name. */
  output(name: string): string;
  close(): void;
}

export const stackName = (stage: string) => `ComplaintHub-${stage}`;

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.local && options.aws) throw usageError("Choose one of --local and --aws");
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(options.stage))
    throw usageError(`"${options.stage}" is not a stage name`);
  const file = join(resolve(options.stateDir), options.stage, ENDPOINTS_FILE);
  const local = readEndpoints(file);
  if (options.local || (!options.aws && local)) {
    if (!local) {
      throw new OpsError(
        `No local cloud runs for stage ${options.stage} (no ${file}): start one with npm start${
          options.stage === "dev" ? "" : ` -- --stage ${options.stage}`
        }, or pass --state-dir`,
      );
    }
    return localTarget(local, file);
  }
  return awsTarget(options.stage);
}

function readEndpoints(file: string): LocalEndpoints | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const endpoints = JSON.parse(readFileSync(file, "utf8")) as LocalEndpoints;
    // A local cloud that died without cleaning up leaves its file behind.
    return isRunning(endpoints.pid) ? endpoints : undefined;
  } catch {
    return undefined;
  }
}

function localTarget(endpoints: LocalEndpoints, file: string): Target {
  const config = {
    endpoint: endpoints.awsEndpoint,
    region: endpoints.region,
    // The local cloud checks no signature; these keep the SDK from looking for real credentials.
    credentials: { accessKeyId: "local-operator", secretAccessKey: "local-operator" },
  };
  return withClients(
    {
      kind: "local",
      stage: endpoints.stage,
      region: endpoints.region,
      source: file,
      apiUrl: endpoints.apiUrl,
      outputs: endpoints.outputs,
    },
    config,
  );
}

async function awsTarget(stage: string): Promise<Target> {
  const cloudFormation = new CloudFormationClient({});
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName(stage) }));
    const stack = Stacks?.[0];
    if (!stack) throw new OpsError(`No stack ${stackName(stage)}`, 3);
    const outputs = Object.fromEntries(
      (stack.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    );
    const region = await cloudFormation.config.region();
    return withClients(
      { kind: "aws", stage, region, source: `stack ${stackName(stage)}`, apiUrl: outputs.ApiUrl, outputs },
      { region },
    );
  } catch (error) {
    if (error instanceof OpsError) throw error;
    const message = (error as Error).message;
    if (/does not exist/.test(message))
      throw new OpsError(`No stack ${stackName(stage)} in this account and region`, 3);
    throw new OpsError(
      `Cannot read the stack ${stackName(stage)} (${(error as Error).name}: ${message}). With no local cloud running, ` +
        "the ops CLI needs AWS credentials and a region (AWS_PROFILE / AWS_REGION); for the local cloud run npm start.",
    );
  } finally {
    cloudFormation.destroy();
  }
}

function withClients(
  base: Pick<Target, "kind" | "stage" | "region" | "source" | "apiUrl" | "outputs">,
  config: {
    region: string;
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  },
): Target {
  const sqs = new SQSClient(config);
  const dynamo = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  const secrets = new SecretsManagerClient(config);
  const cloudwatch = new CloudWatchClient(config);
  return {
    ...base,
    sqs,
    dynamodb: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    events,
    secrets,
    cloudwatch,
    output(name: string) {
      const value = base.outputs[name];
      if (value === undefined) throw new OpsError(`The stack has no output ${name} (${base.source})`);
      return value;
    },
    close() {
      for (const client of [sqs, dynamo, events, secrets, cloudwatch]) client.destroy();
    },
  };
}

/** The id as stack outputs spell it (`Queue<id>`, `DeadLetterQueue<id>`): without non-alphanumerics. */
export const outputId = (platformId: string) => platformId.replace(/[^A-Za-z0-9]/g, "");

/** A platform's queues from the outputs; the urgent queue only where the stack has one. */
export function platformQueues(
  target: Target,
  platformId: string,
): { queueUrl: string; urgentQueueUrl?: string; deadLetterQueueUrl: string } {
  const id = outputId(platformId);
  const urgent = target.outputs[`UrgentQueue${id}`];
  return {
    queueUrl: target.output(`Queue${id}`),
    ...(urgent ? { urgentQueueUrl: urgent } : {}),
    deadLetterQueueUrl: target.output(`DeadLetterQueue${id}`),
  };
}

/** The queue's name, the last part of its URL (CloudWatch's QueueName dimension). */
export const queueNameOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);
