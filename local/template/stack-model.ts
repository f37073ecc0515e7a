import { join } from "node:path";
import type { LoadedStack } from "../assembly/cloud-assembly";
import type { FunctionSpec } from "../lambda/local-function";
import { type PhysicalResource, type ResolveContext, resolveString, resolveValue } from "./intrinsics";
import { type CloudIdentity, physicalResource, type TemplateResource } from "./physical-resources";

/** Environments per function when the template reserves no concurrency: plenty for one machine. */
const DEFAULT_FUNCTION_CONCURRENCY = 10;

export interface TableModel {
  logicalId: string;
  name: string;
  streamArn?: string;
  streamViewType?: string;
  keySchema: { AttributeName: string; KeyType: string }[];
  attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  globalSecondaryIndexes: { IndexName: string; KeySchema: unknown[]; Projection: unknown }[];
  timeToLiveAttribute?: string;
}

export interface QueueModel {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
  /** SQS attributes as CreateQueue takes them (strings), RedrivePolicy as JSON text. */
  attributes: Record<string, string>;
}

export interface RuleTargetModel {
  id: string;
  arn: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
  deadLetterArn?: string;
}

export interface RuleModel {
  name: string;
  busName: string;
  /** A rule has an event pattern, a schedule expression or both. */
  eventPattern?: object;
  scheduleExpression?: string;
  state: string;
  targets: RuleTargetModel[];
}

export interface EventSourceMappingModel {
  functionName: string;
  sourceArn: string;
  kind: "sqs" | "dynamodb-stream";
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency?: number;
  reportBatchItemFailures: boolean;
  filterPatterns: string[];
  bisectOnError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeSeconds: number;
  onFailureArn?: string;
  startingPosition?: string;
  parallelizationFactor: number;
  enabled: boolean;
}

export interface SecretModel {
  name: string;
  arn: string;
  generate?: Record<string, unknown>;
  secretString?: string;
}

/** Everything the local cloud provisions, read from one synthesized template with intrinsics resolved. */
export interface StackModel {
  identity: CloudIdentity;
  resolve: (value: unknown) => unknown;
  physical: ReadonlyMap<string, PhysicalResource>;
  tables: TableModel[];
  queues: QueueModel[];
  buses: string[];
  rules: RuleModel[];
  archives: { name: string; busName: string; eventPattern?: object; retentionDays: number }[];
  secrets: SecretModel[];
  functions: FunctionSpec[];
  eventSourceMappings: EventSourceMappingModel[];
  outputs: Record<string, string>;
}

export function buildStackModel(
  stack: LoadedStack,
  identity: Omit<CloudIdentity, "stackName" | "region">,
): StackModel {
  const id: CloudIdentity = { ...identity, stackName: stack.stackName, region: stack.region };
  const resources = stack.template.Resources;
  const physical = new Map<string, PhysicalResource>();
  const parameters = Object.fromEntries(
    Object.entries(stack.template.Parameters ?? {}).map(([name, p]) => [
      name,
      name === "BootstrapVersion" ? "30" : String(p.Default ?? ""),
    ]),
  );
  const ctx: ResolveContext = {
    region: id.region,
    accountId: id.accountId,
    partition: id.partition,
    stackName: id.stackName,
    parameters,
    physical: (logicalId) => physicalOf(logicalId),
  };
  const resolve = (value: unknown) => resolveValue(value, ctx);
  const str = (value: unknown) => resolveString(value, ctx);

  function physicalOf(logicalId: string): PhysicalResource | undefined {
    const known = physical.get(logicalId);
    if (known) return known;
    const resource = resources[logicalId];
    if (!resource) return undefined;
    const created = physicalResource(logicalId, resource, id, (property) => {
      const value = resource.Properties?.[property];
      return value === undefined ? undefined : str(value);
    });
    physical.set(logicalId, created);
    return created;
  }
  for (const logicalId of Object.keys(resources)) physicalOf(logicalId);

  const ofType = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type) as [string, TemplateResource][];
  const props = (r: TemplateResource) => (r.Properties ?? {}) as Record<string, unknown>;

  const tables: TableModel[] = [
    ...ofType("AWS::DynamoDB::GlobalTable"),
    ...ofType("AWS::DynamoDB::Table"),
  ].map(([logicalId, r]) => {
    const p = resolve(props(r)) as Record<string, unknown>;
    const stream = p.StreamSpecification as { StreamViewType?: string } | undefined;
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    const pr = physical.get(logicalId) as PhysicalResource;
    return {
      logicalId,
      name: pr.ref,
      ...(stream?.StreamViewType
        ? { streamArn: pr.attributes.StreamArn, streamViewType: stream.StreamViewType }
        : {}),
      keySchema: p.KeySchema as TableModel["keySchema"],
      attributeDefinitions: p.AttributeDefinitions as TableModel["attributeDefinitions"],
      globalSecondaryIndexes: ((p.GlobalSecondaryIndexes as TableModel["globalSecondaryIndexes"]) ?? []).map(
        (g) => ({
          IndexName: g.IndexName,
          KeySchema: g.KeySchema,
          Projection: g.Projection,
        }),
      ),
      ...(ttl?.AttributeName ? { timeToLiveAttribute: ttl.AttributeName } : {}),
    };
  });

  const queues: QueueModel[] = ofType("AWS::SQS::Queue").map(([logicalId, r]) => {
    const p = resolve(props(r)) as Record<string, unknown>;
    const pr = physical.get(logicalId) as PhysicalResource;
    const attributes: Record<string, string> = {};
    for (const key of [
      "VisibilityTimeout",
      "MessageRetentionPeriod",
      "DelaySeconds",
      "MaximumMessageSize",
      "ReceiveMessageWaitTimeSeconds",
      "KmsMasterKeyId",
      "KmsDataKeyReusePeriodSeconds",
      "SqsManagedSseEnabled",
    ]) {
      if (p[key] !== undefined) attributes[key] = String(p[key]);
    }
    if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
    return {
      logicalId,
      name: pr.attributes.QueueName as string,
      url: pr.ref,
      arn: pr.attributes.Arn as string,
      attributes,
    };
  });

  const buses = ofType("AWS::Events::EventBus").map(
    ([logicalId]) => (physical.get(logicalId) as PhysicalResource).ref,
  );
  const busNameOf = (value: unknown) => {
    if (value === undefined) return "default";
    const name = str(value);
    return name.startsWith("arn:") ? (name.split("/").pop() as string) : name;
  };

  const rules: RuleModel[] = ofType("AWS::Events::Rule").map(([logicalId, r]) => {
    const p = props(r);
    const targets = ((p.Targets as Record<string, unknown>[] | undefined) ?? []).map((t) => {
      const target = resolve(t) as Record<string, unknown>;
      const transformer = target.InputTransformer as
        | { InputPathsMap?: Record<string, string>; InputTemplate: string }
        | undefined;
      const retry = target.RetryPolicy as
        | { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number }
        | undefined;
      const dlq = target.DeadLetterConfig as { Arn?: string } | undefined;
      return {
        id: String(target.Id),
        arn: String(target.Arn),
        ...(target.Input !== undefined ? { input: String(target.Input) } : {}),
        ...(target.InputPath !== undefined ? { inputPath: String(target.InputPath) } : {}),
        ...(transformer
          ? {
              inputTransformer: {
                inputPathsMap: transformer.InputPathsMap ?? {},
                inputTemplate: transformer.InputTemplate,
              },
            }
          : {}),
        ...(retry
          ? {
              retryPolicy: {
                maximumRetryAttempts: retry.MaximumRetryAttempts,
                maximumEventAgeInSeconds: retry.MaximumEventAgeInSeconds,
              },
            }
          : {}),
        ...(dlq?.Arn ? { deadLetterArn: dlq.Arn } : {}),
      } satisfies RuleTargetModel;
    });
    return {
      name: (physical.get(logicalId) as PhysicalResource).ref,
      busName: busNameOf(p.EventBusName),
      ...(p.EventPattern !== undefined ? { eventPattern: resolve(p.EventPattern) as object } : {}),
      ...(p.ScheduleExpression !== undefined ? { scheduleExpression: str(p.ScheduleExpression) } : {}),
      state: p.State === undefined ? "ENABLED" : str(p.State),
      targets,
    };
  });

  const archives = ofType("AWS::Events::Archive").map(([logicalId, r]) => {
    const p = props(r);
    return {
      name: (physical.get(logicalId) as PhysicalResource).ref,
      busName: busNameOf(p.SourceArn),
      ...(p.EventPattern ? { eventPattern: resolve(p.EventPattern) as object } : {}),
      retentionDays: Number(p.RetentionDays ?? 0),
    };
  });

  const secrets: SecretModel[] = ofType("AWS::SecretsManager::Secret").map(([logicalId, r]) => {
    const p = props(r);
    const pr = physical.get(logicalId) as PhysicalResource;
    return {
      name: p.Name === undefined ? `${id.stackName}-${logicalId}` : str(p.Name),
      arn: pr.ref,
      ...(p.GenerateSecretString
        ? { generate: resolve(p.GenerateSecretString) as Record<string, unknown> }
        : {}),
      ...(p.SecretString !== undefined ? { secretString: str(p.SecretString) } : {}),
    };
  });

  const functions: FunctionSpec[] = ofType("AWS::Lambda::Function").map(([logicalId, r]) => {
    const p = props(r);
    const pr = physical.get(logicalId) as PhysicalResource;
    const code = p.Code as { S3Key?: unknown };
    const [file, handlerExport] = splitHandler(String(p.Handler ?? "index.handler"));
    const variables = (resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ??
      {}) as Record<string, unknown>;
    const logging = p.LoggingConfig as { LogGroup?: unknown } | undefined;
    return {
      logicalId,
      name: pr.ref,
      arn: pr.attributes.Arn as string,
      handlerFile: join(stack.assetDirectory(str(code.S3Key)), `${file}.mjs`),
      handlerExport,
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memorySize: Number(p.MemorySize ?? 128),
      logGroupName: logging?.LogGroup ? str(logging.LogGroup) : `/aws/lambda/${pr.ref}`,
      maxConcurrency:
        Number(p.ReservedConcurrentExecutions ?? DEFAULT_FUNCTION_CONCURRENCY) ||
        DEFAULT_FUNCTION_CONCURRENCY,
    };
  });

  const eventSourceMappings: EventSourceMappingModel[] = ofType("AWS::Lambda::EventSourceMapping").map(
    ([, r]) => {
      const p = resolve(props(r)) as Record<string, unknown>;
      const sourceArn = String(p.EventSourceArn);
      const kind = sourceArn.includes(":sqs:") ? "sqs" : "dynamodb-stream";
      const scaling = p.ScalingConfig as { MaximumConcurrency?: number } | undefined;
      const filters = (p.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? [];
      const onFailure = (p.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
        ?.OnFailure?.Destination;
      const functionName = String(p.FunctionName);
      return {
        functionName: functionName.startsWith("arn:")
          ? (functionName.split(":").pop() as string)
          : functionName,
        sourceArn,
        kind,
        batchSize: Number(p.BatchSize ?? (kind === "sqs" ? 10 : 100)),
        maximumBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
        ...(scaling?.MaximumConcurrency ? { maximumConcurrency: scaling.MaximumConcurrency } : {}),
        reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
          "ReportBatchItemFailures",
        ),
        filterPatterns: filters.map((f) => f.Pattern),
        bisectOnError: p.BisectBatchOnFunctionError === true,
        maximumRetryAttempts: p.MaximumRetryAttempts === undefined ? -1 : Number(p.MaximumRetryAttempts),
        maximumRecordAgeSeconds:
          p.MaximumRecordAgeInSeconds === undefined ? -1 : Number(p.MaximumRecordAgeInSeconds),
        ...(onFailure ? { onFailureArn: onFailure } : {}),
        ...(p.StartingPosition ? { startingPosition: String(p.StartingPosition) } : {}),
        parallelizationFactor: Number(p.ParallelizationFactor ?? 1),
        enabled: p.Enabled !== false,
      };
    },
  );

  const outputs = Object.fromEntries(
    Object.entries(stack.template.Outputs ?? {}).map(([name, output]) => [
      name,
      String(resolve(output.Value)),
    ]),
  );

  return {
    identity: id,
    resolve,
    physical,
    tables,
    queues,
    buses,
    rules,
    archives,
    secrets,
    functions,
    eventSourceMappings,
    outputs,
  };
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf(".");
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}
