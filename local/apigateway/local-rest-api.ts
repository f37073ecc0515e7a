import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StackTemplate } from "../assembly/cloud-assembly";
import type { InvokeResult } from "../lambda/local-function";
import {
  type GatewayError,
  type MappingSource,
  mapParameters,
  renderGatewayResponse,
  selectTemplate,
  setHeader,
  substitute,
} from "./gateway-responses";
import {
  buildProxyEvent,
  type GatewayContext,
  groupHeaders,
  type HeaderList,
  type HttpResponseParts,
  headerValue,
  integrationHeaders,
  MAX_PAYLOAD_BYTES,
  mediaTypeOf,
  newExtendedRequestId,
  newTraceId,
  type ProxyEvent,
  type ProxyRequest,
  parseProxyResult,
  parseQuery,
  proxyResultToHttp,
  rawHeaderPairs,
  requestContextOf,
} from "./proxy-event";
import { RequestValidation } from "./request-validation";
import {
  buildRestApiModels,
  type IntegrationModel,
  matchRoute,
  type Resolve,
  type RestApiModel,
  type RouteMatch,
  type StageModel,
  throttlingFor,
} from "./rest-api-model";

/** Account-level throttling every REST API in a region shares unless AWS raised it. */
export const ACCOUNT_THROTTLE = { rateLimit: 10_000, burstLimit: 5_000 };

export interface LocalRestApiOptions {
  template: StackTemplate;
  /** Resolves intrinsics (local/template/intrinsics.ts through the stack model). */
  resolve: Resolve;
  /** Invokes a function by its (resolved) ARN: LocalFunction.invoke behind an ARN → function map. */
  invoke: (functionArn: string, event: ProxyEvent) => Promise<InvokeResult>;
  region: string;
  accountId: string;
  /** The stage to serve; defaults to the API's only (or first) stage. */
  stageName?: string;
  /** Logical id or API id of the RestApi to serve, when the template has several. */
  restApi?: string;
  /** Account-level throttling (default 10,000 rps, burst 5,000). */
  accountThrottle?: { rateLimit: number; burstLimit: number };
  /** Clock for throttling and request times (tests). */
  now?: () => number;
  /** Configuration warnings and integration errors (what API Gateway puts in execution logs). */
  log?: (line: string) => void;
}

export interface RouteSummary {
  httpMethod: string;
  path: string;
  integration: IntegrationModel["kind"];
  functionArn?: string;
  operationName?: string;
}

/** Token bucket: `burst` tokens at most, refilled at `rate` per second. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    // The local cloud's clock can be moved back: that refills nothing, and takes nothing either.
    const elapsedMs = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const TOO_LARGE = Symbol("too large");

/**
 * One REST API stage of the template, served over local HTTP: routing, the 10 MB payload limit, stage and
 * account throttling, request validation, MOCK (CORS preflight) and Lambda proxy integrations, and every
 * error through the API's gateway responses.
 */
export class LocalRestApi {
  readonly stageName: string;
  readonly stage: StageModel | undefined;
  private readonly validation: RequestValidation;
  private readonly buckets = new Map<string, TokenBucket>();
  private throttleOverride: { rateLimit: number; burstLimit: number } | undefined;
  private readonly accountBucket: TokenBucket;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    readonly api: RestApiModel,
    private readonly options: Omit<LocalRestApiOptions, "template" | "resolve" | "restApi">,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    const names = api.stages.map((s) => s.name);
    if (options.stageName !== undefined && names.length > 0 && !names.includes(options.stageName))
      throw new Error(`REST API ${api.name} has no stage ${options.stageName} (stages: ${names.join(", ")})`);
    this.stage = api.stages.find((s) => s.name === options.stageName) ?? api.stages[0];
    this.stageName = this.stage?.name ?? options.stageName ?? "local";
    const throttle = options.accountThrottle ?? ACCOUNT_THROTTLE;
    this.accountBucket = new TokenBucket(throttle.rateLimit, throttle.burstLimit, this.now);
    this.validation = new RequestValidation(api.apiId, api.models);
    for (const warning of [...api.warnings, ...this.validation.check()])
      this.log(`[api ${api.name}] ${warning}`);
  }

  /** Every method the API serves, as `METHOD /path` with what it integrates with. */
  routes(): RouteSummary[] {
    return this.api.resources.flatMap((resource) =>
      Object.values(resource.methods).map((m) => ({
        httpMethod: m.httpMethod,
        path: resource.path,
        integration: m.integration.kind,
        ...(m.integration.kind === "lambda-proxy" ? { functionArn: m.integration.functionArn } : {}),
        ...(m.operationName ? { operationName: m.operationName } : {}),
      })),
    );
  }

  /**
   * The route for a request path, with or without the stage in front (`/dev/v1/x` and `/v1/x`); the
   * returned `path` is the one the function sees (stage removed).
   */
  match(httpMethod: string, requestPath: string): (RouteMatch & { path: string }) | undefined {
    const stagePrefix = `/${this.stageName}`;
    const attempts: string[] = [];
    if (requestPath === stagePrefix || requestPath.startsWith(`${stagePrefix}/`))
      attempts.push(requestPath.slice(stagePrefix.length) || "/");
    attempts.push(requestPath);
    for (const path of attempts) {
      const found = matchRoute(this.api, httpMethod, path);
      if (found) return { ...found, path };
    }
    return undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const epoch = this.now();
    const gateway: GatewayContext = {
      accountId: this.options.accountId,
      apiId: this.api.apiId,
      stage: this.stageName,
      ...(this.stage?.deploymentId ? { deploymentId: this.stage.deploymentId } : {}),
      requestId: randomUUID(),
      extendedRequestId: newExtendedRequestId(),
      requestTimeEpoch: epoch,
    };
    const traceId = newTraceId(epoch);
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const rawPath = (queryAt < 0 ? url : url.slice(0, queryAt)) || "/";
    const stagePrefix = `/${this.stageName}`;
    const request: ProxyRequest = {
      httpMethod: (req.method ?? "GET").toUpperCase(),
      path:
        rawPath === stagePrefix || rawPath.startsWith(`${stagePrefix}/`)
          ? rawPath.slice(stagePrefix.length) || "/"
          : rawPath,
      query: queryAt < 0 ? "" : url.slice(queryAt + 1),
      rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0),
      sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      protocol: `HTTP/${req.httpVersion}`,
      port: req.socket.localPort ?? 0,
    };
    const clientHeaders = groupHeaders(rawHeaderPairs(req.rawHeaders));
    const query = parseQuery(request.query).multi;
    let pathParameters: Record<string, string> = {};
    const source = (): MappingSource => ({
      headers: clientHeaders,
      query,
      pathParameters,
      context: requestContextOf(request, gateway, integrationHeaders(request, traceId)),
      stageVariables: this.stage?.variables ?? null,
    });
    const fail = (error: GatewayError, extraHeaders: [string, string][] = []) => {
      const parts = renderGatewayResponse(this.api.gatewayResponses, error, source());
      for (const [name, value] of extraHeaders) setHeader(parts.headers, name, value);
      this.send(res, parts, gateway, traceId);
    };

    try {
      // 1. The payload limit, before anything else looks at the request.
      const declared = Number(req.headers["content-length"] ?? 0);
      const body = declared > MAX_PAYLOAD_BYTES ? TOO_LARGE : await readBody(req, MAX_PAYLOAD_BYTES);
      if (body === TOO_LARGE) {
        fail({ type: "REQUEST_TOO_LARGE", message: "Request Too Long" }, [["Connection", "close"]]);
        discardRest(req, res);
        return;
      }
      request.body = body;

      // 2. Routing: an unknown path, or a known path without the method, is "Missing Authentication Token".
      const route = this.match(request.httpMethod, rawPath);
      if (!route) {
        fail({ type: "MISSING_AUTHENTICATION_TOKEN", message: "Missing Authentication Token" });
        return;
      }
      request.path = route.path;
      gateway.resourceId = route.resource.id;
      gateway.resourcePath = route.resource.path;
      pathParameters = route.pathParameters;

      // 3. Throttling: the method's bucket (stage MethodSettings), then the account's.
      if (!this.bucketFor(route).take() || !this.accountBucket.take()) {
        fail({ type: "THROTTLED", message: "Too Many Requests" });
        return;
      }

      // 4. Request validation.
      const invalid = this.validation.validate(route.method, {
        headers: clientHeaders,
        query,
        pathParameters,
        body: request.body,
      });
      if (invalid) {
        fail({
          type: invalid.type,
          message: invalid.message,
          validationErrorString: invalid.validationErrorString,
        });
        return;
      }

      // 5. The integration.
      const integration = route.method.integration;
      if (integration.kind === "mock") {
        const mocked = this.mock(integration, request, source());
        if ("type" in mocked) fail(mocked);
        else this.send(res, mocked, gateway, traceId);
        return;
      }
      if (integration.kind === "unsupported") {
        this.log(
          `[api ${this.api.name}] ${route.method.httpMethod} ${route.resource.path}: ${integration.reason}`,
        );
        fail({ type: "API_CONFIGURATION_ERROR", message: "Internal server error" });
        return;
      }
      const event = buildProxyEvent(
        request,
        { ...gateway, resourceId: route.resource.id, resourcePath: route.resource.path },
        {
          pathParameters,
          stageVariables: this.stage?.variables ?? null,
          binaryMediaTypes: this.api.binaryMediaTypes,
          traceId,
        },
      );
      const functionArn = substitute(integration.functionArn, source());
      const outcome = await this.invokeWithTimeout(functionArn, event, integration.timeoutMs);
      if (outcome === "timeout") {
        fail({ type: "INTEGRATION_TIMEOUT", message: "Endpoint request timed out" });
        return;
      }
      const where = `${request.httpMethod} ${route.resource.path}`;
      if (outcome instanceof Error) {
        this.log(`[api ${this.api.name}] ${where}: invoking ${functionArn} failed: ${outcome.message}`);
        fail({ type: "INTEGRATION_FAILURE", message: "Internal server error", statusCode: 502 });
        return;
      }
      if (!outcome.ok) {
        this.log(`[api ${this.api.name}] ${where}: ${outcome.errorType}: ${outcome.errorMessage}`);
        fail({ type: "DEFAULT_5XX", message: "Internal server error", statusCode: 502 });
        return;
      }
      const result = parseProxyResult(outcome.payload);
      if (!result.ok) {
        this.log(
          `[api ${this.api.name}] ${where}: Execution failed due to configuration error: ${result.reason}`,
        );
        fail({ type: "DEFAULT_5XX", message: "Internal server error", statusCode: 502 });
        return;
      }
      this.send(
        res,
        proxyResultToHttp(result, {
          binaryMediaTypes: this.api.binaryMediaTypes,
          accept: headerValue(clientHeaders, "accept"),
        }),
        gateway,
        traceId,
      );
    } catch (error) {
      this.log(`[api ${this.api.name}] ${request.httpMethod} ${rawPath}: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) fail({ type: "DEFAULT_5XX", message: "Internal server error", statusCode: 500 });
      else res.destroy();
    }
  }

  /**
   * Test-only: every method throttled at these limits instead of the template's stage settings (e.g. the prod
   * stage's 20 rps, burst 40, for an overload run on the test stage); undefined goes back to the template's.
   * Buckets start full again.
   */
  setStageThrottling(limits: { rateLimit: number; burstLimit: number } | undefined): void {
    if (limits && !(limits.rateLimit > 0 && limits.burstLimit >= 1))
      throw new Error("rateLimit must be more than 0 and burstLimit at least 1");
    this.throttleOverride = limits ? { ...limits } : undefined;
    this.buckets.clear();
  }

  private bucketFor(route: RouteMatch): TokenBucket {
    const key = `${route.method.httpMethod} ${route.resource.path}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const limits =
        this.throttleOverride ?? throttlingFor(this.stage, route.resource.path, route.method.httpMethod);
      bucket = new TokenBucket(
        limits.rateLimit ?? ACCOUNT_THROTTLE.rateLimit,
        limits.burstLimit ?? ACCOUNT_THROTTLE.burstLimit,
        this.now,
      );
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /**
   * A MOCK integration: the request template (by content type, application/json when none) gives the
   * status code, which picks the integration response (SelectionPattern, else the default one); its
   * ResponseParameters become headers and its template (simple substitution, no VTL) the body.
   */
  private mock(
    integration: Extract<IntegrationModel, { kind: "mock" }>,
    request: ProxyRequest,
    source: MappingSource,
  ): HttpResponseParts | GatewayError {
    const contentType = mediaTypeOf(headerValue(source.headers, "content-type")) ?? "application/json";
    const template = integration.requestTemplates[contentType];
    const hasTemplates = Object.keys(integration.requestTemplates).length > 0;
    if (
      template === undefined &&
      (integration.passthroughBehavior === "NEVER" ||
        (integration.passthroughBehavior === "WHEN_NO_TEMPLATES" && hasTemplates))
    )
      return { type: "UNSUPPORTED_MEDIA_TYPE", message: "Unsupported Media Type" };
    const input = template ?? request.body.toString("utf8");
    const statusCode = /["']?statusCode["']?\s*:\s*["']?(\d{3})/.exec(input)?.[1] ?? "200";
    const selected =
      integration.integrationResponses.find(
        (r) =>
          r.selectionPattern !== undefined && new RegExp(`^(?:${r.selectionPattern})$`, "s").test(statusCode),
      ) ?? integration.integrationResponses.find((r) => r.selectionPattern === undefined);
    if (!selected) return { type: "API_CONFIGURATION_ERROR", message: "Internal server error" };
    const headers: HeaderList = [];
    for (const [name, value] of mapParameters(selected.responseParameters, "method.response.header.", source))
      setHeader(headers, name, value);
    let body = "";
    if (Object.keys(selected.responseTemplates).length > 0) {
      const [type, responseTemplate] = selectTemplate(
        selected.responseTemplates,
        headerValue(source.headers, "accept"),
      );
      body = substitute(responseTemplate, source);
      if (!headers.some(([n]) => n.toLowerCase() === "content-type")) headers.push(["Content-Type", [type]]);
    }
    if (!headers.some(([n]) => n.toLowerCase() === "content-type"))
      headers.push(["Content-Type", ["application/json"]]);
    return { statusCode: Number(selected.statusCode), headers, body: Buffer.from(body) };
  }

  private async invokeWithTimeout(
    functionArn: string,
    event: ProxyEvent,
    timeoutMs: number,
  ): Promise<InvokeResult | Error | "timeout"> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const invocation = (async () => this.options.invoke(functionArn, event))().catch((error: unknown) =>
        error instanceof Error ? error : new Error(String(error)),
      );
      return await Promise.race([invocation, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private send(
    res: ServerResponse,
    parts: HttpResponseParts,
    gateway: GatewayContext,
    traceId: string,
  ): void {
    if (res.headersSent || res.destroyed) return;
    const headers = parts.headers.map(([name, values]) => [name, [...values]] as [string, string[]]);
    setHeader(headers, "x-amzn-RequestId", gateway.requestId);
    setHeader(headers, "x-amz-apigw-id", gateway.extendedRequestId);
    if (this.stage?.tracingEnabled) setHeader(headers, "X-Amzn-Trace-Id", `${traceId};Sampled=0`);
    for (const [name, values] of headers)
      res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    res.setHeader("Content-Length", parts.body.length);
    res.writeHead(parts.statusCode);
    res.end(parts.body);
  }
}

/** Reads the body, or gives up (TOO_LARGE) as soon as it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * After a 413 the rest of an oversized upload is read and dropped (so the client sees the answer rather
 * than a reset), up to a bound; past it, the connection is closed.
 */
function discardRest(req: IncomingMessage, res: ServerResponse): void {
  let discarded = 0;
  const bound = 4 * MAX_PAYLOAD_BYTES;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > bound) req.socket.destroy();
  });
  req.on("error", () => undefined);
  req.resume();
  res.on("finish", () => {
    if (req.complete) return;
    req.on("end", () => req.socket.end());
  });
}

/** The template's REST API (the only one, or `options.restApi`) as a local HTTP handler. */
export function createLocalRestApi(options: LocalRestApiOptions): LocalRestApi {
  const apis = buildRestApiModels(options.template, options.resolve);
  if (apis.length === 0) throw new Error("The template has no AWS::ApiGateway::RestApi");
  const wanted = options.restApi;
  const api = wanted ? apis.find((a) => a.logicalId === wanted || a.apiId === wanted) : apis[0];
  if (!api)
    throw new Error(
      `The template has no REST API ${wanted} (has: ${apis.map((a) => a.logicalId).join(", ")})`,
    );
  if (!wanted && apis.length > 1)
    options.log?.(
      `The template has ${apis.length} REST APIs; serving ${api.logicalId} (pass restApi to choose another)`,
    );
  const { template: _template, resolve: _resolve, restApi: _restApi, ...rest } = options;
  return new LocalRestApi(api, rest);
}
