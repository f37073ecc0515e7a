import type { HeaderList, HttpResponseParts, ProxyEventRequestContext } from "./proxy-event";
import { headerValue, mediaTypeOf } from "./proxy-event";
import type { GatewayResponseModel, GatewayResponseType } from "./rest-api-model";

/**
 * The answers API Gateway gives itself (unknown route, validation failure, throttling, integration errors),
 * rendered from the template's AWS::ApiGateway::GatewayResponse resources, falling back to a configured
 * DEFAULT_4XX / DEFAULT_5XX, then to API Gateway's own defaults (`{"message":"..."}` as application/json).
 */

/** API Gateway's default status per response type (DEFAULT_4XX / DEFAULT_5XX keep the error's own). */
export const DEFAULT_STATUS: Record<GatewayResponseType, number | undefined> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  DEFAULT_4XX: undefined,
  DEFAULT_5XX: undefined,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};

/** `x-amzn-ErrorType` API Gateway sends with its own responses. */
const ERROR_TYPES: Partial<Record<GatewayResponseType, string>> = {
  ACCESS_DENIED: "AccessDeniedException",
  API_CONFIGURATION_ERROR: "InternalServerErrorException",
  BAD_REQUEST_BODY: "BadRequestException",
  BAD_REQUEST_PARAMETERS: "BadRequestException",
  DEFAULT_5XX: "InternalServerErrorException",
  INTEGRATION_FAILURE: "InternalServerErrorException",
  INTEGRATION_TIMEOUT: "InternalServerErrorException",
  INVALID_API_KEY: "ForbiddenException",
  MISSING_AUTHENTICATION_TOKEN: "MissingAuthenticationTokenException",
  QUOTA_EXCEEDED: "LimitExceededException",
  REQUEST_TOO_LARGE: "RequestTooLargeException",
  THROTTLED: "TooManyRequestsException",
  UNAUTHORIZED: "UnauthorizedException",
  UNSUPPORTED_MEDIA_TYPE: "UnsupportedMediaTypeException",
};

const DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

export interface GatewayError {
  type: GatewayResponseType;
  /** `$context.error.message`. */
  message: string;
  /** The status when neither the response type nor the template sets one (e.g. 502 for a function error). */
  statusCode?: number;
  validationErrorString?: string;
}

/** What mapping expressions can read: the request and `$context` / `$stageVariables`. */
export interface MappingSource {
  headers: HeaderList;
  query: Record<string, string[]>;
  pathParameters: Record<string, string>;
  context: ProxyEventRequestContext;
  stageVariables: Record<string, string> | null;
  error?: GatewayError;
}

export function renderGatewayResponse(
  responses: Partial<Record<GatewayResponseType, GatewayResponseModel>>,
  error: GatewayError,
  source: MappingSource,
): HttpResponseParts {
  const builtInStatus =
    DEFAULT_STATUS[error.type] ?? error.statusCode ?? (error.type === "DEFAULT_4XX" ? 400 : 500);
  const own = responses[error.type];
  const inherited = own ? undefined : builtInStatus >= 500 ? responses.DEFAULT_5XX : responses.DEFAULT_4XX;
  const chosen = own ?? inherited;
  const statusCode = chosen?.statusCode ?? error.statusCode ?? builtInStatus;
  const templates =
    chosen && Object.keys(chosen.responseTemplates).length > 0
      ? chosen.responseTemplates
      : { "application/json": DEFAULT_TEMPLATE };
  const [contentType, template] = selectTemplate(templates, headerValue(source.headers, "accept"));
  const withError = { ...source, error };
  const headers: HeaderList = [["Content-Type", [contentType]]];
  for (const [name, value] of mapParameters(
    chosen?.responseParameters ?? {},
    "gatewayresponse.header.",
    withError,
  ))
    setHeader(headers, name, value);
  const errorType = ERROR_TYPES[error.type];
  if (errorType) setHeader(headers, "x-amzn-ErrorType", errorType);
  return { statusCode, headers, body: Buffer.from(substitute(template, withError)) };
}

/**
 * The template for the client's Accept header: the first Accept type that has a template, else
 * `application/json`, else the first template. Its key becomes the response's Content-Type.
 */
export function selectTemplate(
  templates: Record<string, string>,
  accept: string | undefined,
): [string, string] {
  const entries = Object.entries(templates);
  const byType = new Map(
    entries.map(([type, body]) => [type.toLowerCase(), [type, body] as [string, string]]),
  );
  for (const range of (accept ?? "").split(",")) {
    const found = byType.get(mediaTypeOf(range) ?? "");
    if (found) return found;
  }
  return byType.get("application/json") ?? (entries[0] as [string, string]);
}

/** Applies `prefix<Name>` → expression mappings; unresolvable expressions leave the header out. */
export function mapParameters(
  parameters: Record<string, string>,
  prefix: string,
  source: MappingSource,
): [string, string][] {
  const out: [string, string][] = [];
  for (const [target, expression] of Object.entries(parameters)) {
    if (!target.startsWith(prefix)) continue;
    const value = evaluate(expression, source);
    if (value !== undefined) out.push([target.slice(prefix.length), value]);
  }
  return out;
}

function evaluate(expression: string, source: MappingSource): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith("'") && trimmed.endsWith("'") && trimmed.length >= 2) return trimmed.slice(1, -1);
  const request =
    /^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)$/.exec(trimmed);
  if (request) {
    const [, location, name] = request as unknown as [string, string, string];
    switch (location) {
      case "path":
        return source.pathParameters[name];
      case "querystring":
        return source.query[name]?.at(-1);
      case "multivaluequerystring":
        return source.query[name]?.join(",");
      case "header":
        return headerValue(source.headers, name);
      default: {
        const values = source.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
        return values?.join(",");
      }
    }
  }
  const value = variable(trimmed, source);
  return value === undefined || value === null ? undefined : String(value);
}

/** `$context.x.y`, `$stageVariables.x` (also `${...}`); unknown or null references stay as written, as in VTL. */
export function substitute(template: string, source: MappingSource): string {
  return template.replace(
    /\$\{([A-Za-z][\w.]*)\}|\$([A-Za-z]\w*(?:\.[A-Za-z_]\w*)*)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const value = variable((braced ?? bare) as string, source);
      return value === undefined || value === null ? whole : String(value);
    },
  );
}

function variable(path: string, source: MappingSource): unknown {
  const [root, ...rest] = path.split(".");
  if (root === "stageVariables")
    return rest.length === 1 ? source.stageVariables?.[rest[0] as string] : undefined;
  if (root !== "context") return undefined;
  if (rest[0] === "error") {
    const error = source.error;
    if (!error) return undefined;
    switch (rest[1]) {
      case "message":
        return error.message;
      case "messageString":
        return JSON.stringify(error.message);
      case "responseType":
        return error.type;
      case "validationErrorString":
        // Escaped for use inside a JSON string, as API Gateway gives it.
        return JSON.stringify(error.validationErrorString ?? "").slice(1, -1);
      default:
        return undefined;
    }
  }
  let current: unknown = source.context;
  for (const key of rest) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "object" ? undefined : current;
}

export function setHeader(headers: HeaderList, name: string, value: string): void {
  const existing = headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
  if (existing) {
    existing[0] = name;
    existing[1] = [value];
  } else headers.push([name, [value]]);
}
