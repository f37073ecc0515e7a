import { randomBytes, randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { FunctionFaultSpec, LocalFaults } from "../faults";

export interface FunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** Absolute path of the bundled module (index.mjs in the asset). */
  handlerFile: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  logGroupName: string;
  /** Execution environments at most (reserved concurrency, or the local default). */
  maxConcurrency: number;
}

export interface RuntimeSettings {
  region: string;
  awsEndpoint: string;
  logDir: string;
  /** Also echo function output to this stream (e.g. the terminal). */
  echo?: (functionName: string, line: string) => void;
  /** The local cloud's clock offset (LocalClock.sharedOffset): the functions' Date reads it. */
  clockOffset?: SharedArrayBuffer;
  /** Test-only fault injection (local/faults.ts): invocations that throw, crash or hang on demand. */
  faults?: LocalFaults;
}

export type InvokeResult =
  | { ok: true; payload: unknown }
  | { ok: false; errorType: string; errorMessage: string; timedOut?: boolean };

interface Environment {
  worker: Worker;
  busy: boolean;
}

const BOOTSTRAP = new URL("./worker-bootstrap.mjs", import.meta.url);
/** The access key id every local function signs its AWS requests with (faults aim at these requests). */
export const FUNCTION_ACCESS_KEY_ID = "local";

/**
 * A Lambda function run locally: each execution environment is a worker thread with its own environment
 * variables and module state, one invocation at a time, torn down on timeout as Lambda does.
 */
export class LocalFunction {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Array<() => void> = [];
  private readonly log: WriteStream;
  private closed = false;
  private profileDir: string | undefined;
  invocations = 0;

  constructor(
    readonly spec: FunctionSpec,
    private readonly settings: RuntimeSettings,
  ) {
    mkdirSync(settings.logDir, { recursive: true });
    this.log = createWriteStream(join(settings.logDir, `${safeFileName(spec.name)}.log`), {
      flags: "a",
    });
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const fault = this.settings.faults?.functionFault(this.spec);
    if (fault?.kind === "throw" && (fault.phase ?? "before") === "before") {
      this.invocations++;
      const requestId = randomUUID();
      this.write(`START RequestId: ${requestId} Version: $LATEST`);
      this.write(`Injected fault: the invocation fails before the handler runs`);
      this.write(`END RequestId: ${requestId}`);
      return injectedFailure(fault);
    }
    const environment = await this.acquire();
    this.invocations++;
    const requestId = randomUUID();
    const deadlineMs = Date.now() + this.spec.timeoutSeconds * 1000;
    this.write(`START RequestId: ${requestId} Version: $LATEST`);
    if (fault) this.write(`Injected fault: ${describeFault(fault)}`);
    try {
      return await new Promise<InvokeResult>((resolve) => {
        const invocationId = requestId;
        // crash: the environment dies while the handler works.
        const crash =
          fault?.kind === "crash"
            ? setTimeout(() => void environment.worker.terminate(), fault.afterMs ?? 0)
            : undefined;
        const timer = setTimeout(() => {
          cleanup();
          // Lambda discards an environment whose invocation timed out.
          this.discard(environment);
          resolve({
            ok: false,
            errorType: "Sandbox.Timedout",
            errorMessage: `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
            timedOut: true,
          });
        }, deadlineMs - Date.now());
        const onMessage = (
          message: { invocationId: string } & (
            | { ok: true; result: unknown }
            | { ok: false; errorType: string; errorMessage: string }
          ),
        ) => {
          if (message.invocationId !== invocationId) return;
          // hang: the handler finished, but the invocation never returns before its timeout.
          if (fault?.kind === "hang") return;
          // crash: a handler quicker than `afterMs` loses its result all the same.
          if (fault?.kind === "crash") {
            void environment.worker.terminate();
            return;
          }
          cleanup();
          if (fault?.kind === "throw") {
            resolve(injectedFailure(fault));
            return;
          }
          resolve(
            message.ok
              ? { ok: true, payload: message.result }
              : { ok: false, errorType: message.errorType, errorMessage: message.errorMessage },
          );
        };
        const onExit = (code: number) => {
          cleanup();
          this.discard(environment);
          resolve({
            ok: false,
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited with code ${code}`,
          });
        };
        const cleanup = () => {
          clearTimeout(timer);
          clearTimeout(crash);
          environment.worker.off("message", onMessage);
          environment.worker.off("exit", onExit);
        };
        environment.worker.on("message", onMessage);
        environment.worker.on("exit", onExit);
        environment.worker.postMessage({
          invocationId,
          event,
          deadlineMs,
          requestId,
          traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`,
        });
      });
    } finally {
      this.write(`END RequestId: ${requestId}`);
      this.release(environment);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // Invocations still waiting for an environment fail now instead of waiting forever.
    for (const wake of this.waiting.splice(0)) wake();
    await this.stopProfiling();
    await Promise.all([...this.all].map((e) => e.worker.terminate()));
    this.all.clear();
    this.idle.length = 0;
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  /**
   * Diagnostics (npm run bench): every execution environment, and each one started from now on, records a CPU
   * profile until stopProfiling() has them write it to `dir`. Sampling costs CPU: profile a run of its own.
   */
  startProfiling(dir: string): void {
    mkdirSync(dir, { recursive: true });
    this.profileDir = dir;
    for (const e of this.all) e.worker.postMessage({ kind: "start-profile", file: this.profileFile(dir) });
  }

  async stopProfiling(): Promise<void> {
    if (!this.profileDir) return;
    this.profileDir = undefined;
    await Promise.all([...this.all].map((e) => writeProfile(e.worker)));
  }

  private profileFile(dir: string): string {
    return join(dir, `${safeFileName(this.spec.name)}.${randomBytes(4).toString("hex")}.cpuprofile`);
  }

  private async acquire(): Promise<Environment> {
    for (;;) {
      if (this.closed) throw new Error(`Function ${this.spec.name} is shut down`);
      const ready = this.idle.pop();
      if (ready) {
        ready.busy = true;
        return ready;
      }
      if (this.all.size < this.spec.maxConcurrency) {
        const created = this.createEnvironment();
        created.busy = true;
        return created;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(environment: Environment): void {
    environment.busy = false;
    if (this.all.has(environment) && !this.closed) this.idle.push(environment);
    this.waiting.shift()?.();
  }

  private discard(environment: Environment): void {
    this.forget(environment);
    void environment.worker.terminate();
  }

  private forget(environment: Environment): void {
    this.all.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
  }

  private createEnvironment(): Environment {
    const { spec, settings } = this;
    const logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomBytes(16).toString("hex")}`;
    const worker = new Worker(BOOTSTRAP, {
      env: {
        ...spec.environment,
        ...lambdaEnvironment(spec, settings, logStreamName),
      },
      workerData: {
        handlerFile: spec.handlerFile,
        handlerExport: spec.handlerExport,
        functionName: spec.name,
        functionArn: spec.arn,
        memorySize: spec.memorySize,
        logGroupName: spec.logGroupName,
        logStreamName,
        clockOffset: settings.clockOffset,
        ...(this.profileDir ? { cpuProfileFile: this.profileFile(this.profileDir) } : {}),
      },
      execArgv: spec.environment.NODE_OPTIONS?.includes("--enable-source-maps")
        ? ["--enable-source-maps"]
        : [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, spec.memorySize) },
    });
    const environment: Environment = { worker, busy: false };
    this.pipeLines(worker.stdout);
    this.pipeLines(worker.stderr);
    worker.on("error", (error) => this.write(`Runtime error: ${error.name}: ${error.message}`));
    // An environment that dies while idle (e.g. process.exit from a timer) must not get the next invocation.
    worker.on("exit", () => this.forget(environment));
    this.all.add(environment);
    return environment;
  }

  private pipeLines(stream: NodeJS.ReadableStream): void {
    let buffer = "";
    stream.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        this.write(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    });
  }

  private write(line: string): void {
    if (!this.log.writable) return;
    this.log.write(`${line}\n`);
    this.settings.echo?.(this.spec.name, line);
  }
}

const safeFileName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");

/**
 * Asks an environment for its CPU profile (it writes the file; a busy one takes the message between its awaits)
 * and waits a little for it: a profile that cannot be written is lost, never the environment.
 */
function writeProfile(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("exit", done);
      resolve();
    };
    const onMessage = (message: { kind?: string }) => {
      if (message.kind === "profile-written") done();
    };
    const timer = setTimeout(done, 5_000);
    worker.on("message", onMessage);
    worker.on("exit", done);
    worker.postMessage({ kind: "write-profile" });
  });
}

function injectedFailure(fault: FunctionFaultSpec): InvokeResult {
  return { ok: false, errorType: "InjectedFault", errorMessage: `Injected fault: ${describeFault(fault)}` };
}

function describeFault(fault: FunctionFaultSpec): string {
  switch (fault.kind) {
    case "throw":
      return fault.phase === "after"
        ? "the handler ran, then the invocation failed"
        : "the invocation fails before the handler runs";
    case "crash":
      return `the execution environment dies ${fault.afterMs ?? 0} ms into the invocation (or as it returns)`;
    case "hang":
      return "the invocation does not return before its timeout";
  }
}

/** The variables Lambda itself sets in every execution environment, plus the local endpoint. */
function lambdaEnvironment(
  spec: FunctionSpec,
  settings: RuntimeSettings,
  logStreamName: string,
): Record<string, string> {
  return {
    AWS_REGION: settings.region,
    AWS_DEFAULT_REGION: settings.region,
    AWS_ENDPOINT_URL: settings.awsEndpoint,
    AWS_ACCESS_KEY_ID: FUNCTION_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_SESSION_TOKEN: "local",
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    AWS_XRAY_DAEMON_ADDRESS: "127.0.0.1:2000",
    LAMBDA_TASK_ROOT: spec.handlerFile.replace(/\/[^/]+$/, ""),
    TZ: ":UTC",
  };
}
