import { randomBytes } from "node:crypto";

/**
 * The Lambda proxy integration's two halves, as API Gateway REST APIs do them (payload format 1.0): an HTTP
 * request becomes the proxy event, and the function's result becomes the HTTP response. An invalid result
 * is the caller's 502.
 */

/** The request as it reached the gateway, stage already taken off the path. */
export interface ProxyRequest {
  httpMethod: string;
  /** Path as the client sent it (percent-encoding kept, as API Gateway passes it), without the stage. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** node's `req.rawHeaders`: names in the client's spelling, repeated names kept. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** e.g. `HTTP/1.1`. */
  protocol: string;
  /** The port the request came in on (X-Forwarded-Port). */
  port: number;
}

/** What the gateway knows about the request beyond the HTTP message. */
export interface GatewayContext {
  accountId: string;
  apiId: string;
  stage: string;
  deploymentId?: string;
  requestId: string;
  extendedRequestId: string;
  requestTimeEpoch: number;
  /** `$context.resourceId` / `$context.resourcePath`, once a route matched. */
  resourceId?: string;
  resourcePath?: string;
}

export interface ProxyEventIdentity {
  cognitoIdentityPoolId: null;
  accountId: null;
  cognitoIdentityId: null;
  caller: null;
  sourceIp: string;
  principalOrgId: null;
  accessKey: null;
  cognitoAuthenticationType: null;
  cognitoAuthenticationProvider: null;
  userArn: null;
  userAgent: string | null;
  user: null;
}

export interface ProxyEventRequestContext {
  resourceId: string;
  resourcePath: string;
  httpMethod: string;
  extendedRequestId: string;
  requestTime: string;
  /** With the stage: `/dev/v1/complaints`. */
  path: string;
  accountId: string;
  protocol: string;
  stage: string;
  domainPrefix: string;
  requestTimeEpoch: number;
  requestId: string;
  identity: ProxyEventIdentity;
  domainName: string;
  deploymentId?: string;
  apiId: string;
}

/** The REST API proxy event (what `APIGatewayProxyEvent` in @types/aws-lambda describes). */
export interface ProxyEvent {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: ProxyEventRequestContext;
  body: string | null;
  isBase64Encoded: boolean;
}

/** REST API payload limit: bigger requests are refused with 413 before anything else happens. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Headers that never reach the integration, not even a proxy one. */
const DROPPED_REQUEST_HEADERS = new Set([
  "connection",
  "content-length",
  "content-md5",
  "expect",
  "max-forwards",
  "proxy-authenticate",
  "server",
  "te",
  "transfer-encoding",
  "trailer",
  "upgrade",
  "www-authenticate",
]);
/** Spelled the way CloudFront, in front of API Gateway, spells them. */
const RESPELLED_REQUEST_HEADERS: Record<string, string> = {
  authorization: "Authorization",
  "user-agent": "User-Agent",
};
/** Integration response headers API Gateway renames to `x-amzn-Remapped-<name>` rather than pass on. */
const REMAPPED_RESPONSE_HEADERS = new Set([
  "authorization",
  "connection",
  "content-length",
  "content-md5",
  "date",
  "expect",
  "host",
  "max-forwards",
  "proxy-authenticate",
  "server",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "via",
  "www-authenticate",
]);

/** Header list grouped by name (case-insensitively), the first spelling seen kept. */
export type HeaderList = Array<[name: string, values: string[]]>;

export function groupHeaders(pairs: Iterable<[string, string]>): HeaderList {
  const groups = new Map<string, [string, string[]]>();
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const group = groups.get(key);
    if (group) group[1].push(value);
    else groups.set(key, [name, [value]]);
  }
  return [...groups.values()];
}

export function rawHeaderPairs(rawHeaders: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  return pairs;
}

export function headerValue(headers: HeaderList, name: string): string | undefined {
  const key = name.toLowerCase();
  const values = headers.find(([n]) => n.toLowerCase() === key)?.[1];
  return values?.[values.length - 1];
}

/** `type/subtype` in lower case, parameters dropped; undefined for a missing or empty header. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** Whether a media type is one of the API's binaryMediaTypes (which may hold `*` wildcards). */
export function isBinaryMediaType(mediaType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (!mediaType) return false;
  const [type, subtype] = mediaType.split("/");
  return binaryMediaTypes.some((pattern) => {
    const [pType, pSubtype] = pattern.toLowerCase().split("/");
    return (pType === "*" || pType === type) && (pSubtype === "*" || pSubtype === subtype);
  });
}

/** Query string parameters, decoded; the single-value map keeps the last value, as API Gateway does. */
export function parseQuery(query: string): {
  single: Record<string, string>;
  multi: Record<string, string[]>;
} {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeQueryComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decodeQueryComponent(part.slice(eq + 1));
    single[key] = value;
    if (Object.hasOwn(multi, key)) multi[key]?.push(value);
    else multi[key] = [value];
  }
  return { single, multi };
}

function decodeQueryComponent(text: string): string {
  const spaced = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `$context.requestTime`: `09/Apr/2015:12:34:56 +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
}

/** `$context.extendedRequestId` / `x-amz-apigw-id`: 16 base64 characters ending in `=`. */
export function newExtendedRequestId(): string {
  return `${randomBytes(11).toString("base64").slice(0, 15)}=`;
}

export function newTraceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

/** The headers the integration sees: hop-by-hop ones dropped, the forwarding ones API Gateway adds. */
export function integrationHeaders(request: ProxyRequest, traceId: string): HeaderList {
  const headers = groupHeaders(
    rawHeaderPairs(request.rawHeaders)
      .filter(([name]) => !DROPPED_REQUEST_HEADERS.has(name.toLowerCase()))
      .map(([name, value]) => [RESPELLED_REQUEST_HEADERS[name.toLowerCase()] ?? name, value]),
  );
  const set = (name: string, value: string) => {
    const existing = headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
    if (existing) existing[1] = [value];
    else headers.push([name, [value]]);
  };
  const forwardedFor = headerValue(headers, "x-forwarded-for");
  set("X-Forwarded-For", forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp);
  set("X-Forwarded-Port", String(request.port));
  set("X-Forwarded-Proto", "http");
  if (!headerValue(headers, "x-amzn-trace-id")) set("X-Amzn-Trace-Id", traceId);
  return headers;
}

/** `$context` as API Gateway fills it (also what gateway response templates can use). */
export function requestContextOf(
  request: ProxyRequest,
  gateway: GatewayContext,
  headers: HeaderList,
): ProxyEventRequestContext {
  const domainName = headerValue(headers, "host") ?? "localhost";
  return {
    resourceId: gateway.resourceId ?? "",
    resourcePath: gateway.resourcePath ?? "",
    httpMethod: request.httpMethod,
    extendedRequestId: gateway.extendedRequestId,
    requestTime: requestTime(gateway.requestTimeEpoch),
    path: `/${gateway.stage}${request.path}`,
    accountId: gateway.accountId,
    protocol: request.protocol,
    stage: gateway.stage,
    domainPrefix: domainName.split(".")[0]?.split(":")[0] ?? domainName,
    requestTimeEpoch: gateway.requestTimeEpoch,
    requestId: gateway.requestId,
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: request.sourceIp,
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: headerValue(headers, "user-agent") ?? null,
      user: null,
    },
    domainName,
    ...(gateway.deploymentId ? { deploymentId: gateway.deploymentId } : {}),
    apiId: gateway.apiId,
  };
}

export function buildProxyEvent(
  request: ProxyRequest,
  gateway: GatewayContext & { resourceId: string; resourcePath: string },
  route: {
    pathParameters: Record<string, string>;
    stageVariables: Record<string, string> | null;
    binaryMediaTypes: string[];
    traceId: string;
  },
): ProxyEvent {
  const headers = integrationHeaders(request, route.traceId);
  const query = parseQuery(request.query);
  const binary = isBinaryMediaType(mediaTypeOf(headerValue(headers, "content-type")), route.binaryMediaTypes);
  const hasBody = request.body.length > 0;
  const nonEmpty = <T>(map: Record<string, T>) => (Object.keys(map).length > 0 ? map : null);
  return {
    resource: gateway.resourcePath,
    path: request.path,
    httpMethod: request.httpMethod,
    headers: nonEmpty(
      Object.fromEntries(headers.map(([name, values]) => [name, values[values.length - 1]])),
    ) as Record<string, string> | null,
    multiValueHeaders: nonEmpty(Object.fromEntries(headers)),
    queryStringParameters: nonEmpty(query.single),
    multiValueQueryStringParameters: nonEmpty(query.multi),
    pathParameters: nonEmpty(route.pathParameters),
    stageVariables: route.stageVariables,
    requestContext: requestContextOf(request, gateway, headers),
    body: hasBody ? request.body.toString(binary ? "base64" : "utf8") : null,
    isBase64Encoded: hasBody && binary,
  };
}

/** A Lambda proxy result, checked the way API Gateway checks it. */
export type ProxyResult =
  | { ok: true; statusCode: number; headers: HeaderList; body: string; isBase64Encoded: boolean }
  | { ok: false; reason: string };

const RESULT_KEYS = new Set(["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[^\r\n\0]*$/;

/**
 * "Malformed Lambda proxy response" unless the payload is an object with only the proxy fields: statusCode
 * (a number or numeric string; 200 when absent), headers (string or boolean values), multiValueHeaders
 * (lists of them), body (a string) and isBase64Encoded (a boolean).
 */
export function parseProxyResult(payload: unknown): ProxyResult {
  const malformed = (reason: string): ProxyResult => ({
    ok: false,
    reason: `Malformed Lambda proxy response: ${reason}`,
  });
  if (!payload || typeof payload !== "object" || Array.isArray(payload))
    return malformed("not a JSON object");
  const result = payload as Record<string, unknown>;
  const extra = Object.keys(result).filter((k) => !RESULT_KEYS.has(k));
  if (extra.length > 0) return malformed(`unexpected field(s) ${extra.join(", ")}`);
  const rawStatus = result.statusCode ?? 200;
  const statusCode =
    typeof rawStatus === "number" || typeof rawStatus === "string" ? Number(rawStatus) : Number.NaN;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return malformed(`statusCode ${JSON.stringify(rawStatus)}`);
  if (result.body !== undefined && result.body !== null && typeof result.body !== "string")
    return malformed("body is not a string");
  if (
    result.isBase64Encoded !== undefined &&
    result.isBase64Encoded !== null &&
    typeof result.isBase64Encoded !== "boolean"
  )
    return malformed("isBase64Encoded is not a boolean");
  const headerText = (value: unknown) =>
    typeof value === "string" ? value : typeof value === "boolean" ? String(value) : undefined;
  const pairs: [string, string][] = [];
  const fromMulti = new Set<string>();
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (typeof result.multiValueHeaders !== "object" || Array.isArray(result.multiValueHeaders))
      return malformed("multiValueHeaders is not an object");
    for (const [name, values] of Object.entries(result.multiValueHeaders as Record<string, unknown>)) {
      const list = Array.isArray(values) ? values : [values];
      for (const value of list) {
        const text = headerText(value);
        if (text === undefined) return malformed(`multiValueHeaders.${name} holds a non-string`);
        pairs.push([name, text]);
        fromMulti.add(`${name.toLowerCase()}\n${text}`);
      }
    }
  }
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== "object" || Array.isArray(result.headers))
      return malformed("headers is not an object");
    for (const [name, value] of Object.entries(result.headers as Record<string, unknown>)) {
      const text = headerText(value);
      if (text === undefined) return malformed(`headers.${name} is not a string`);
      // The same name and value in both maps appears once.
      if (!fromMulti.has(`${name.toLowerCase()}\n${text}`)) pairs.push([name, text]);
    }
  }
  for (const [name, value] of pairs) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value))
      return malformed(`header ${JSON.stringify(name)} is invalid`);
  }
  return {
    ok: true,
    statusCode,
    headers: groupHeaders(pairs),
    body: (result.body as string | null | undefined) ?? "",
    isBase64Encoded: result.isBase64Encoded === true,
  };
}

export interface HttpResponseParts {
  statusCode: number;
  headers: HeaderList;
  body: Buffer;
}

/**
 * The method response for a valid proxy result: reserved headers renamed `x-amzn-Remapped-*`, Content-Type
 * `application/json` unless the function set one, and a base64 body decoded only when the client's first
 * Accept type is one of the API's binary media types (otherwise the base64 text goes out as is).
 */
export function proxyResultToHttp(
  result: Extract<ProxyResult, { ok: true }>,
  options: { binaryMediaTypes: string[]; accept: string | undefined },
): HttpResponseParts {
  const headers: HeaderList = result.headers.map(([name, values]) => [
    REMAPPED_RESPONSE_HEADERS.has(name.toLowerCase()) ? `x-amzn-Remapped-${name}` : name,
    values,
  ]);
  if (!headers.some(([name]) => name.toLowerCase() === "content-type"))
    headers.push(["Content-Type", ["application/json"]]);
  const firstAccept = mediaTypeOf(options.accept?.split(",")[0]);
  const decode = result.isBase64Encoded && isBinaryMediaType(firstAccept ?? "*/*", options.binaryMediaTypes);
  return {
    statusCode: result.statusCode,
    headers,
    body: Buffer.from(result.body, decode ? "base64" : "utf8"),
  };
}
