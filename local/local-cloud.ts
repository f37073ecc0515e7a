import { rmSync } from "node:fs";
import type { Server } from "node:http";
import { createServer } from "node:http";
import { join } from "node:path";
import { findPlatform, isPull, isPush, PLATFORMS } from "../infra/platforms";
import { createLocalRestApi, type LocalRestApi } from "./apigateway/local-rest-api";
import { loadStack } from "./assembly/cloud-assembly";
import { synthesizeIfStale } from "./assembly/synthesize";
import { createAwsEndpoint, type ServiceRoute } from "./aws-endpoint";
import { LocalClock } from "./clock";
import {
  CLOUDWATCH_TARGET_PREFIX,
  createCloudWatchHttpHandler,
  LocalCloudWatch,
} from "./cloudwatch/local-cloudwatch";
import { LocalDynamoDb } from "./dynamodb/local-dynamodb";
import { writeEndpointsFile } from "./endpoints-file";
import { createEventBridgeHttpHandler } from "./eventbridge/eventbridge-json-protocol";
import { LocalEventBridge } from "./eventbridge/local-event-bridge";
import { LocalFaults } from "./faults";
import { FUNCTION_ACCESS_KEY_ID, LocalFunction } from "./lambda/local-function";
import { SqsEventSource } from "./lambda/sqs-event-source";
import { StreamEventSource } from "./lambda/stream-event-source";
import { closeServer, listen } from "./net";
import { PullPlatformClient } from "./sandbox/pull-client";
import { createSandboxPlatforms, type SandboxPlatforms } from "./sandbox/sandbox-platforms";
import { LocalSecretsManager } from "./secrets/local-secrets-manager";
import { deployQueues } from "./sqs/queue-deployment";
import { SqsEngine } from "./sqs/sqs-engine";
import { createSqsHttpHandler } from "./sqs/sqs-http";
import { StateFolder } from "./state-folder";
import { buildStackModel, type StackModel } from "./template/stack-model";

export interface LocalCloudOptions {
  projectRoot: string;
  stateDir: string;
  /** Where the synthesized assembly is kept (default: in the state folder); tests share one. */
  assemblyDir?: string;
  stage: string;
  reset?: boolean;
  host?: string;
  apiPort: number;
  awsPort: number;
  sandboxPort: number;
  /** Run a pull client per pull platform that takes its notices off its queue (npm start does). */
  pullClients?: boolean;
  echoFunctionLogs?: boolean;
  /** Extra CDK context for synthesis. */
  context?: Record<string, string>;
  /**
   * "auto" (default, npm start): schedule rules run as the clock passes their fire times. "manual": they run
   * only when `cloud.events.runSchedules()` is called (tests decide).
   */
  schedules?: "auto" | "manual";
  /** The clock to run on (default a new one, on real time); a restart can keep the moved time. */
  clock?: LocalClock;
  onProgress?: (line: string) => void;
}

const ACCOUNT_ID = "000000000000";

/**
 * The synthesized hub, running on this machine: every table, queue, rule, secret, function, event source and
 * API route comes from the cloud assembly `cdk deploy` would ship.
 */
export class LocalCloud {
  readonly functions = new Map<string, LocalFunction>();
  private readonly stoppers: Array<() => Promise<void>> = [];

  private constructor(
    /** The time every function, the bus, the API and the sandbox platforms see; tests move it. */
    readonly clock: LocalClock,
    readonly stage: string,
    readonly stateDir: string,
    readonly model: StackModel,
    readonly sqs: SqsEngine,
    readonly dynamodb: LocalDynamoDb,
    readonly events: LocalEventBridge,
    readonly secrets: LocalSecretsManager,
    readonly apiUrl: string,
    readonly awsEndpoint: string,
    readonly sandbox: SandboxPlatforms,
    readonly pullClients: PullPlatformClient[],
    /** Test-only fault injection (local/faults.ts); nothing is injected unless a test asks. */
    readonly faults: LocalFaults,
    /** The REST API stage as served locally (tests may replace its throttling: setStageThrottling). */
    readonly api: LocalRestApi,
  ) {}

  get region(): string {
    return this.model.identity.region;
  }

  get sandboxUrl(): string {
    return this.sandbox.url;
  }

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const host = options.host ?? "127.0.0.1";
    const folder = new StateFolder(options.stateDir, options.stage, options.assemblyDir);
    folder.prepare(options.reset ?? false);
    const stoppers: Array<() => Promise<void>> = [async () => folder.release()];
    const clock = options.clock ?? new LocalClock();
    const clockNow = () => clock.nowMs();
    try {
      await synthesizeIfStale({
        projectRoot: options.projectRoot,
        outDir: folder.assemblyDir,
        stage: options.stage,
        ...(options.context ? { context: options.context } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      options.onProgress?.("Starting the local cloud…");
      const stack = loadStack(folder.assemblyDir);

      // The AWS endpoint listens first: its port is part of every queue URL.
      const routes: ServiceRoute[] = [];
      const awsServer = createAwsEndpoint(routes);
      const awsPort = await listen(awsServer, host, options.awsPort, "AWS endpoint", "--aws-port");
      stoppers.unshift(() => closeServer(awsServer));
      const awsEndpoint = `http://${host}:${awsPort}`;

      const model = buildStackModel(stack, { accountId: ACCOUNT_ID, partition: "aws", awsEndpoint });
      const { region } = model.identity;
      const dataDir = folder.dataDir;
      const faults = new LocalFaults({
        functions: () => model.functions,
        hubAccessKeyId: FUNCTION_ACCESS_KEY_ID,
      });

      const sqs = await SqsEngine.open({
        stateDir: dataDir,
        baseUrl: awsEndpoint,
        region,
        accountId: ACCOUNT_ID,
      });
      stoppers.unshift(() => sqs.close());
      const dynamodb = await LocalDynamoDb.open({ stateDir: dataDir, region, accountId: ACCOUNT_ID, faults });
      stoppers.unshift(() => dynamodb.close());
      const secrets = new LocalSecretsManager({ stateDir: dataDir, region, accountId: ACCOUNT_ID });
      const functions = new Map<string, LocalFunction>();
      const invokeByArn = (arn: string) => {
        const name = arn.split(":").pop() as string;
        const fn = functions.get(name);
        if (!fn) throw new Error(`No local function ${name}`);
        return fn;
      };
      const events = new LocalEventBridge({
        stateDir: dataDir,
        region,
        accountId: ACCOUNT_ID,
        sqs,
        clock: { now: clockNow },
        faults,
        invokeLambda: async (arn, event) => {
          await invokeByArn(arn).invoke(event);
        },
      });
      stoppers.unshift(() => events.close());

      routes.push(
        { targetPrefix: "DynamoDB_20120810.", handle: (req, res, body) => dynamodb.handle(req, res, body) },
        { targetPrefix: "AmazonSQS.", handle: createSqsHttpHandler(sqs) },
        { targetPrefix: "AWSEvents.", handle: createEventBridgeHttpHandler(events) },
        { targetPrefix: "secretsmanager.", handle: (req, res, body) => secrets.handleHttp(req, res, body) },
        {
          targetPrefix: CLOUDWATCH_TARGET_PREFIX,
          handle: createCloudWatchHttpHandler(
            new LocalCloudWatch({ sqs, logDir: join(dataDir, "logs"), now: clockNow }),
          ),
        },
      );

      await provision(model, { sqs, dynamodb, events, secrets }, dataDir).catch((error: Error) => {
        throw new Error(`The template cannot run locally: ${error.message.split("\n")[0]}`);
      });

      const logDir = join(dataDir, "logs");
      for (const spec of model.functions) {
        const fn = new LocalFunction(spec, {
          region,
          awsEndpoint,
          logDir,
          clockOffset: clock.sharedOffset,
          faults,
          ...(options.echoFunctionLogs ? { echo: (name, line) => console.log(`[${name}] ${line}`) } : {}),
        });
        functions.set(spec.name, fn);
        stoppers.unshift(() => fn.close());
      }
      // What the bus had accepted and not delivered when the cloud last stopped (or was killed) goes out now.
      await events.resumePendingDeliveries();

      const sandbox = await createSandboxPlatforms({
        platforms: PLATFORMS.filter((p) => p.enabled && isPush(p)),
        stage: options.stage,
        getSecret: (platformId) =>
          secrets.currentValue(`complaint-hub/${options.stage}/platforms/${platformId}/webhook`),
        stateDir: dataDir,
        host,
        port: options.sandboxPort,
        now: clockNow,
      });
      stoppers.unshift(() => sandbox.close());

      const api = createLocalRestApi({
        template: stack.template,
        resolve: model.resolve,
        invoke: (arn, event) => invokeByArn(arn).invoke(event),
        region,
        accountId: ACCOUNT_ID,
        now: clockNow,
      });
      const apiServer: Server = createServer((req, res) => {
        api.handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      });
      const apiPort = await listen(apiServer, host, options.apiPort, "API", "--api-port");
      stoppers.unshift(() => closeServer(apiServer));

      startEventSources(model, functions, { sqs, dynamodb, region }, stoppers);
      if ((options.schedules ?? "auto") === "auto") {
        events.startSchedules();
        // Before the functions close: no run may start on a function that is shutting down.
        stoppers.unshift(async () => events.stopSchedules());
      }

      const pullClients: PullPlatformClient[] = [];
      if (options.pullClients) {
        for (const queue of model.queues) {
          const platformId = queue.name.replace(`complaint-hub-${options.stage}-`, "");
          const platform = findPlatform(platformId);
          if (!platform || !isPull(platform)) continue;
          const client = new PullPlatformClient({
            endpoint: awsEndpoint,
            region,
            queueUrl: queue.url,
            // Urgent (safety) notices first, as a pull platform is asked to take them.
            urgentQueueUrl: model.queues.find((q) => q.name === `${queue.name}-urgent`)?.url,
            platformId,
            // The cloud's clock (tests move it): report times and signature timestamps the hub will accept.
            now: clockNow,
            // Pull platforms confirm receipt to the hub's platform API, signed with their webhook secret.
            acknowledge: {
              apiUrl: `http://${host}:${apiPort}`,
              getSecret: (id) =>
                secrets.currentValue(`complaint-hub/${options.stage}/platforms/${id}/webhook`),
            },
          });
          client.start();
          pullClients.push(client);
          stoppers.unshift(() => client.stop());
        }
      }

      const cloud = new LocalCloud(
        clock,
        options.stage,
        dataDir,
        model,
        sqs,
        dynamodb,
        events,
        secrets,
        `http://${host}:${apiPort}`,
        awsEndpoint,
        sandbox,
        pullClients,
        faults,
        api,
      );
      for (const [name, fn] of functions) cloud.functions.set(name, fn);
      // Where tools (the ops CLI) find this running cloud: its endpoints and the stack outputs.
      const endpointsFile = writeEndpointsFile(dataDir, {
        stage: options.stage,
        pid: process.pid,
        awsEndpoint,
        apiUrl: cloud.apiUrl,
        sandboxUrl: cloud.sandboxUrl,
        region,
        accountId: ACCOUNT_ID,
        outputs: { ...model.outputs },
      });
      stoppers.unshift(async () => rmSync(endpointsFile, { force: true }));
      cloud.stoppers.push(...stoppers);
      return cloud;
    } catch (error) {
      for (const stop of stoppers) await stop().catch(() => undefined);
      throw error;
    }
  }

  /** The stack output of that name, resolved to local values (queue URLs, table names, ...). */
  output(name: string): string {
    const value = this.model.outputs[name];
    if (value === undefined) throw new Error(`No stack output ${name}`);
    return value;
  }

  async stop(): Promise<void> {
    for (const stop of this.stoppers) await stop().catch((error: unknown) => console.error(error));
    this.stoppers.length = 0;
  }
}

/** Creates what the template declares, in dependency order: DLQs before the queues that name them. */
async function provision(
  model: StackModel,
  services: {
    sqs: SqsEngine;
    dynamodb: LocalDynamoDb;
    events: LocalEventBridge;
    secrets: LocalSecretsManager;
  },
  dataDir: string,
): Promise<void> {
  for (const table of model.tables) await services.dynamodb.createTable(table);
  const withoutRedrive = model.queues.filter((q) => !q.attributes.RedrivePolicy);
  const withRedrive = model.queues.filter((q) => q.attributes.RedrivePolicy);
  // As a stack update does: attributes changed out of band stay until the template changes them.
  await deployQueues(services.sqs, dataDir, [...withoutRedrive, ...withRedrive]);
  for (const secret of model.secrets) await services.secrets.provision(secret);
  for (const bus of model.buses) services.events.addBus(bus);
  for (const rule of model.rules) services.events.addRule(rule);
  for (const archive of model.archives) await services.events.addArchive(archive);
}

function startEventSources(
  model: StackModel,
  functions: ReadonlyMap<string, LocalFunction>,
  services: { sqs: SqsEngine; dynamodb: LocalDynamoDb; region: string },
  stoppers: Array<() => Promise<void>>,
): void {
  const report = (what: string) => (error: unknown) => console.error(`[event source ${what}]`, error);
  for (const mapping of model.eventSourceMappings) {
    const fn = functions.get(mapping.functionName);
    if (!fn || !mapping.enabled) continue;
    if (mapping.kind === "sqs") {
      const source = new SqsEventSource(
        {
          queueArn: mapping.sourceArn,
          batchSize: mapping.batchSize,
          maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
          maximumConcurrency: mapping.maximumConcurrency ?? fn.spec.maxConcurrency,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
          enabled: mapping.enabled,
        },
        fn,
        services.sqs,
        services.region,
        report(mapping.functionName),
      );
      source.start();
      stoppers.unshift(() => source.stop());
    } else {
      const onFailureArn = mapping.onFailureArn;
      const source = new StreamEventSource(
        {
          consumerId: `${mapping.functionName}:${mapping.sourceArn}`,
          streamArn: mapping.sourceArn,
          batchSize: mapping.batchSize,
          filterPatterns: mapping.filterPatterns,
          bisectOnError: mapping.bisectOnError,
          maximumRetryAttempts: mapping.maximumRetryAttempts,
          maximumRecordAgeSeconds: mapping.maximumRecordAgeSeconds,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
          ...(onFailureArn
            ? {
                onFailure: async (record: object) => {
                  await services.sqs.sendMessage(onFailureArn, JSON.stringify(record));
                },
              }
            : {}),
        },
        fn,
        services.dynamodb.streamReader(mapping.sourceArn),
        report(mapping.functionName),
      );
      source.start();
      stoppers.unshift(() => source.stop());
    }
  }
}
