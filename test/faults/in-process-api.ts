/**
 * The hub's REST API with its Lambda handlers in this process, for bulk fuzzing: the same API Gateway model as
 * the local cloud serves (routes, request validators and models, gateway responses, all read from the
 * synthesized template by local/apigateway), in front of the same handler modules (functions/*.ts, which the
 * assembly bundles), against the running local cloud's DynamoDB and Secrets Manager.
 *
 * What it leaves out is the worker-thread hop of a local Lambda invocation: that is what makes ten thousand
 * requests per route take seconds rather than minutes. The fuzz suite checks on a sample that the local cloud
 * itself answers the same requests the same way.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import { createLocalRestApi, type LocalRestApi } from "../../local/apigateway/local-rest-api";
import { loadStack } from "../../local/assembly/cloud-assembly";
import type { InvokeResult } from "../../local/lambda/local-function";
import type { LocalCloud } from "../../local/local-cloud";
import { closeServer, listen } from "../../local/net";
import { TEST_ASSEMBLY_DIR } from "../e2e/harness";

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** A request handed straight to the gateway, without HTTP. */
export interface DirectRequest {
  method: string;
  /** Path and query, e.g. "/v1/complaints/CH…?x=1". */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface DirectAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface InProcessApi {
  url: string;
  api: LocalRestApi;
  /** The gateway's answer to a request given to it directly (no HTTP parsing or sockets on either side). */
  direct(request: DirectRequest): Promise<DirectAnswer>;
  /** Invocations per handler file. */
  invocations: Map<string, number>;
  /** Lines the handlers printed (their structured logs and metrics), captured instead of shown. */
  printed: string[];
  close(): Promise<void>;
}

export async function startInProcessApi(cloud: LocalCloud): Promise<InProcessApi> {
  const stack = loadStack(TEST_ASSEMBLY_DIR);
  const apiFunctionArns = new Set(
    createLocalRestApi({
      template: stack.template,
      resolve: cloud.model.resolve,
      invoke: async () => ({ ok: true, payload: null }),
      region: cloud.region,
      accountId: "000000000000",
    })
      .routes()
      .flatMap((r) => (r.functionArn ? [r.functionArn] : [])),
  );
  const specs = cloud.model.functions.filter((f) => apiFunctionArns.has(f.arn));

  // The handlers read their configuration at import: the union of the API functions' environments (they
  // agree on every shared name), the local cloud's endpoint, and no tracing outside Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: cloud.awsEndpoint,
    AWS_REGION: cloud.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    POWERTOOLS_TRACE_ENABLED: "false",
    POWERTOOLS_METRICS_NAMESPACE: "ComplaintHub",
  });
  for (const spec of specs) {
    const { POWERTOOLS_SERVICE_NAME: _service, NODE_OPTIONS: _options, ...environment } = spec.environment;
    Object.assign(process.env, environment);
  }

  // Powertools writes straight to stdout and stderr (its own Console): keep those lines, show none.
  const printed: string[] = [];
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = ((chunk: string | Uint8Array) => {
    printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;

  const handlers = new Map<string, { file: string; handler: Handler }>();
  for (const spec of specs) {
    // API functions are named after their handler file (infra/constructs: serviceName = handlerFile).
    const file = spec.environment.POWERTOOLS_SERVICE_NAME as string;
    const source = join(process.cwd(), "functions", `${file}.ts`);
    if (!existsSync(source)) throw new Error(`No handler source for ${spec.logicalId} (${source})`);
    const module = (await import(pathToFileURL(source).href)) as { handler: Handler };
    handlers.set(spec.arn, { file, handler: module.handler });
  }

  const invocations = new Map<string, number>();
  const api = createLocalRestApi({
    template: stack.template,
    resolve: cloud.model.resolve,
    region: cloud.region,
    accountId: "000000000000",
    now: () => cloud.clock.nowMs(),
    invoke: async (arn, event): Promise<InvokeResult> => {
      const target = handlers.get(arn);
      if (!target) return { ok: false, errorType: "ResourceNotFound", errorMessage: arn };
      invocations.set(target.file, (invocations.get(target.file) ?? 0) + 1);
      try {
        return { ok: true, payload: await target.handler(event, lambdaContext(target.file)) };
      } catch (error) {
        return { ok: false, errorType: (error as Error).name, errorMessage: (error as Error).message };
      }
    },
  });
  // Fuzzing is not an overload run: the stage's throttling would only answer 429 to what it should judge.
  api.setStageThrottling({ rateLimit: 1_000_000, burstLimit: 1_000_000 });
  const server: Server = createServer((req, res) => {
    api.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  const port = await listen(server, "127.0.0.1", 0, "in-process API", "--api-port");
  return {
    url: `http://127.0.0.1:${port}`,
    api,
    direct: (request) => direct(api, request),
    invocations,
    printed,
    async close() {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
      await closeServer(server);
    },
  };
}

/**
 * The gateway's own request handling (routing, payload limit, throttling, validation, integration, gateway
 * responses) on a request object that looks to it like the HTTP server's: what the bulk of the fuzzing uses,
 * since HTTP on both ends of one process costs more than the rest together.
 */
async function direct(api: LocalRestApi, request: DirectRequest): Promise<DirectAnswer> {
  const body =
    request.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(request.body)
        ? request.body
        : Buffer.from(request.body);
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = value;
    rawHeaders.push(name, value);
  }
  if (body.length > 0) {
    headers["content-length"] = String(body.length);
    rawHeaders.push("content-length", String(body.length));
  }
  // As an HTTP client sends it: the URL parsed, dot segments (also %2e%2e) resolved.
  const url = new URL(request.path, "http://in-process");
  const req = Object.assign(
    new Readable({
      read() {
        if (body.length > 0) this.push(body);
        this.push(null);
      },
    }),
    {
      method: request.method,
      url: `${url.pathname}${url.search}`,
      headers,
      rawHeaders,
      httpVersion: "1.1",
      complete: true,
      socket: { remoteAddress: "127.0.0.1", localPort: 0, destroy() {}, end() {} },
    },
  ) as unknown as IncomingMessage;
  return new Promise<DirectAnswer>((resolve, reject) => {
    const answer: DirectAnswer = { status: 0, headers: {}, text: "" };
    const res = Object.assign(new EventEmitter(), {
      headersSent: false,
      destroyed: false,
      setHeader(name: string, value: string | number | string[]) {
        answer.headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
      },
      writeHead(status: number) {
        answer.status = status;
        res.headersSent = true;
      },
      end(chunk?: Buffer | string) {
        answer.text = chunk === undefined ? "" : chunk.toString();
        res.emit("finish");
        resolve(answer);
      },
      destroy() {
        res.destroyed = true;
        resolve({ ...answer, status: answer.status || 599, text: "connection destroyed" });
      },
    });
    api.handle(req, res as unknown as ServerResponse).catch(reject);
  });
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:cn-north-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "in-process",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}
