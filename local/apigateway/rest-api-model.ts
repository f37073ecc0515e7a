import type { StackTemplate } from "../assembly/cloud-assembly";
import type { TemplateResource } from "../template/physical-resources";

/**
 * The routing table of the template's API Gateway REST APIs, read from the same resources `cdk deploy`
 * ships: resources and methods, Lambda proxy and MOCK integrations, request validators and models, gateway
 * responses and stages. Values are resolved with the caller's `resolve` (local/template/intrinsics.ts);
 * references between API Gateway resources (ParentId, RequestValidatorId, RequestModels, RestApiId) are
 * followed through their `Ref` / `Fn::GetAtt` first, so the physical names the local cloud invents never
 * matter for routing.
 */
export type Resolve = (value: unknown) => unknown;

export type PathSegment =
  | { kind: "literal"; value: string }
  | { kind: "parameter"; name: string }
  /** `{name+}`: one or more whole segments. */
  | { kind: "greedy"; name: string };

export type GatewayResponseType =
  | "ACCESS_DENIED"
  | "API_CONFIGURATION_ERROR"
  | "AUTHORIZER_CONFIGURATION_ERROR"
  | "AUTHORIZER_FAILURE"
  | "BAD_REQUEST_BODY"
  | "BAD_REQUEST_PARAMETERS"
  | "DEFAULT_4XX"
  | "DEFAULT_5XX"
  | "EXPIRED_TOKEN"
  | "INTEGRATION_FAILURE"
  | "INTEGRATION_TIMEOUT"
  | "INVALID_API_KEY"
  | "INVALID_SIGNATURE"
  | "MISSING_AUTHENTICATION_TOKEN"
  | "QUOTA_EXCEEDED"
  | "REQUEST_TOO_LARGE"
  | "RESOURCE_NOT_FOUND"
  | "THROTTLED"
  | "UNAUTHORIZED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "WAF_FILTERED";

export interface GatewayResponseModel {
  type: GatewayResponseType;
  statusCode?: number;
  /** `gatewayresponse.header.<Name>` → mapping expression (`'static'`, `method.request.header.x`, ...). */
  responseParameters: Record<string, string>;
  /** Content type → template (simple `$context.*` / `$stageVariables.*` substitution, no VTL). */
  responseTemplates: Record<string, string>;
}

export interface RequestValidatorModel {
  logicalId: string;
  name: string;
  validateRequestBody: boolean;
  validateRequestParameters: boolean;
}

export interface RequestParameterModel {
  /** As written in the template, e.g. `method.request.path.id`. */
  expression: string;
  location: "path" | "querystring" | "multivaluequerystring" | "header" | "multivalueheader";
  name: string;
  required: boolean;
}

export interface IntegrationResponseModel {
  statusCode: string;
  selectionPattern?: string;
  /** `method.response.header.<Name>` → mapping expression. */
  responseParameters: Record<string, string>;
  responseTemplates: Record<string, string>;
}

export type IntegrationModel =
  | {
      kind: "lambda-proxy";
      uri: string;
      /** The function's ARN as the Uri names it (may hold `${stageVariables.x}`). */
      functionArn: string;
      timeoutMs: number;
    }
  | {
      kind: "mock";
      requestTemplates: Record<string, string>;
      passthroughBehavior: "WHEN_NO_MATCH" | "WHEN_NO_TEMPLATES" | "NEVER";
      integrationResponses: IntegrationResponseModel[];
    }
  | { kind: "unsupported"; type: string; reason: string };

export interface MethodModel {
  logicalId: string;
  /** Upper case; `ANY` matches every method. */
  httpMethod: string;
  resourceId: string;
  resourcePath: string;
  operationName?: string;
  authorizationType: string;
  apiKeyRequired: boolean;
  integration: IntegrationModel;
  validator?: RequestValidatorModel;
  /** Content type (or `$default`) → model name. */
  requestModels: Record<string, string>;
  requestParameters: RequestParameterModel[];
}

export interface ResourceModel {
  /** What `$context.resourceId` shows: the resolved Ref (or RootResourceId for `/`). */
  id: string;
  logicalId?: string;
  path: string;
  segments: PathSegment[];
  methods: Record<string, MethodModel>;
}

export interface RequestModelSchema {
  logicalId?: string;
  name: string;
  contentType: string;
  schema: Record<string, unknown>;
}

export interface MethodSettingModel {
  /** `/*` for every resource, otherwise a resource path (decoded from the `~1` form). */
  resourcePath: string;
  /** `*` for every method. */
  httpMethod: string;
  throttlingRateLimit?: number;
  throttlingBurstLimit?: number;
}

export interface StageModel {
  logicalId: string;
  name: string;
  deploymentId?: string;
  /** null when the stage has none, as the proxy event shows it. */
  variables: Record<string, string> | null;
  tracingEnabled: boolean;
  methodSettings: MethodSettingModel[];
}

export interface RestApiModel {
  logicalId: string;
  /** Resolved Ref of the RestApi: `$context.apiId`. */
  apiId: string;
  name: string;
  binaryMediaTypes: string[];
  resources: ResourceModel[];
  models: Record<string, RequestModelSchema>;
  gatewayResponses: Partial<Record<GatewayResponseType, GatewayResponseModel>>;
  stages: StageModel[];
  /** What the template asks for that the local gateway does not do (authorizers, API keys, ...). */
  warnings: string[];
}

/** The integration timeout API Gateway applies unless TimeoutInMillis says otherwise. */
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

/** Models every REST API has without declaring them (`Model.EMPTY_MODEL` / `Model.ERROR_MODEL` in CDK). */
const BUILT_IN_MODELS: RequestModelSchema[] = [
  {
    name: "Empty",
    contentType: "application/json",
    schema: { $schema: "http://json-schema.org/draft-04/schema#", title: "Empty Schema", type: "object" },
  },
  {
    name: "Error",
    contentType: "application/json",
    schema: {
      $schema: "http://json-schema.org/draft-04/schema#",
      title: "Error Schema",
      type: "object",
      properties: { message: { type: "string" } },
    },
  },
];

const LAMBDA_URI = /^arn:[^:]+:apigateway:[^:]*:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/;

export function buildRestApiModels(template: StackTemplate, resolve: Resolve): RestApiModel[] {
  const resources = template.Resources;
  const ofType = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type) as [string, TemplateResource][];
  const props = (r: TemplateResource) => r.Properties ?? {};
  const str = (value: unknown): string => {
    const resolved = resolve(value);
    return typeof resolved === "string" ? resolved : String(resolved);
  };
  /** Only the named properties, each resolved on its own: one unresolvable property never hides the rest. */
  const pick = (r: TemplateResource, keys: string[]): Record<string, unknown> => {
    const p = props(r);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (p[key] === undefined) continue;
      try {
        out[key] = resolve(p[key]);
      } catch {
        // Left out: the caller treats it as absent.
      }
    }
    return out;
  };
  const tryStr = (value: unknown): string | undefined => {
    try {
      return str(value);
    } catch {
      return undefined;
    }
  };
  /** The logical id a reference points at among `candidates` (by Ref, or by comparing resolved values). */
  const referenced = (value: unknown, candidates: string[]): string | undefined => {
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    if (typeof ref === "string" && candidates.includes(ref)) return ref;
    const resolved = tryStr(value);
    if (resolved === undefined) return undefined;
    return candidates.find((id) => tryStr({ Ref: id }) === resolved);
  };

  const apiIds = ofType("AWS::ApiGateway::RestApi").map(([id]) => id);
  const belongsTo = (r: TemplateResource, apiLogicalId: string) =>
    referenced(props(r).RestApiId, apiIds) === apiLogicalId;

  return ofType("AWS::ApiGateway::RestApi").map(([apiLogicalId, api]) => {
    const apiProps = props(api);
    const warnings: string[] = [];
    const apiId = tryStr({ Ref: apiLogicalId }) ?? apiLogicalId;
    if (apiProps.Body !== undefined || apiProps.BodyS3Location !== undefined)
      warnings.push(
        `${apiLogicalId}: an OpenAPI Body is not read locally; only Resource/Method resources are routed`,
      );
    const mine = (type: string) => ofType(type).filter(([, r]) => belongsTo(r, apiLogicalId));

    // Resources: a tree under the root, walked through ParentId.
    const rootId = tryStr({ "Fn::GetAtt": [apiLogicalId, "RootResourceId"] }) ?? `${apiId}-root`;
    const resourceEntries = mine("AWS::ApiGateway::Resource");
    const resourceLogicalIds = resourceEntries.map(([id]) => id);
    const parentOf = (value: unknown): string | "root" | undefined => {
      const getAtt = (value as { "Fn::GetAtt"?: unknown } | null)?.["Fn::GetAtt"];
      if (Array.isArray(getAtt) && getAtt[0] === apiLogicalId && getAtt[1] === "RootResourceId")
        return "root";
      if (typeof getAtt === "string" && getAtt === `${apiLogicalId}.RootResourceId`) return "root";
      const logical = referenced(value, resourceLogicalIds);
      if (logical) return logical;
      return tryStr(value) === rootId ? "root" : undefined;
    };
    const root: ResourceModel = { id: rootId, path: "/", segments: [], methods: {} };
    const byLogicalId = new Map<string, ResourceModel>();
    const building = new Set<string>();
    const resourceModel = (logicalId: string): ResourceModel | undefined => {
      const known = byLogicalId.get(logicalId);
      if (known) return known;
      const entry = resourceEntries.find(([id]) => id === logicalId);
      if (!entry || building.has(logicalId)) return undefined;
      building.add(logicalId);
      const p = props(entry[1]);
      const parentRef = parentOf(p.ParentId);
      const parent = parentRef === "root" ? root : parentRef ? resourceModel(parentRef) : undefined;
      if (!parent) {
        warnings.push(`${logicalId}: ParentId does not name a resource of ${apiLogicalId}; not routed`);
        return undefined;
      }
      const part = str(p.PathPart);
      const model: ResourceModel = {
        id: tryStr({ Ref: logicalId }) ?? logicalId,
        logicalId,
        path: `${parent.path === "/" ? "" : parent.path}/${part}`,
        segments: [...parent.segments, segmentOf(part)],
        methods: {},
      };
      byLogicalId.set(logicalId, model);
      return model;
    };
    for (const id of resourceLogicalIds) resourceModel(id);
    const resourceFor = (value: unknown): ResourceModel | undefined => {
      const parent = parentOf(value);
      return parent === "root" ? root : parent ? byLogicalId.get(parent) : undefined;
    };

    // Validators and models, by logical id.
    const validatorEntries = mine("AWS::ApiGateway::RequestValidator");
    const validators = new Map<string, RequestValidatorModel>(
      validatorEntries.map(([logicalId, r]) => {
        const p = pick(r, ["Name", "ValidateRequestBody", "ValidateRequestParameters"]);
        return [
          logicalId,
          {
            logicalId,
            name: p.Name === undefined ? logicalId : String(p.Name),
            validateRequestBody: p.ValidateRequestBody === true || p.ValidateRequestBody === "true",
            validateRequestParameters:
              p.ValidateRequestParameters === true || p.ValidateRequestParameters === "true",
          },
        ];
      }),
    );
    const modelEntries = mine("AWS::ApiGateway::Model");
    const models: Record<string, RequestModelSchema> = Object.fromEntries(
      BUILT_IN_MODELS.map((m) => [m.name, m]),
    );
    const modelNameByLogicalId = new Map<string, string>();
    for (const [logicalId, r] of modelEntries) {
      const p = props(r);
      const name = p.Name === undefined ? logicalId : str(p.Name);
      const rawSchema = resolve(p.Schema ?? {});
      const schema = (typeof rawSchema === "string" ? JSON.parse(rawSchema) : rawSchema) as Record<
        string,
        unknown
      >;
      models[name] = {
        logicalId,
        name,
        contentType: p.ContentType === undefined ? "application/json" : str(p.ContentType),
        schema,
      };
      modelNameByLogicalId.set(logicalId, name);
    }
    const modelLogicalIds = [...modelNameByLogicalId.keys()];

    // Methods.
    for (const [logicalId, r] of mine("AWS::ApiGateway::Method")) {
      const p = props(r);
      const resource = resourceFor(p.ResourceId);
      if (!resource) {
        warnings.push(`${logicalId}: ResourceId does not name a resource of ${apiLogicalId}; not routed`);
        continue;
      }
      const httpMethod = str(p.HttpMethod).toUpperCase();
      const authorizationType = p.AuthorizationType === undefined ? "NONE" : str(p.AuthorizationType);
      const apiKeyRequired = p.ApiKeyRequired === true || p.ApiKeyRequired === "true";
      if (authorizationType !== "NONE")
        warnings.push(`${httpMethod} ${resource.path}: authorization ${authorizationType} is not enforced`);
      if (apiKeyRequired) warnings.push(`${httpMethod} ${resource.path}: API keys are not enforced`);

      const validatorLogicalId =
        p.RequestValidatorId === undefined
          ? undefined
          : referenced(p.RequestValidatorId, [...validators.keys()]);
      if (p.RequestValidatorId !== undefined && !validatorLogicalId)
        warnings.push(
          `${httpMethod} ${resource.path}: RequestValidatorId names no validator of ${apiLogicalId}`,
        );
      const requestModels: Record<string, string> = {};
      for (const [contentType, value] of Object.entries(
        (p.RequestModels as Record<string, unknown> | undefined) ?? {},
      )) {
        const logical = referenced(value, modelLogicalIds);
        requestModels[contentType.toLowerCase()] = logical
          ? (modelNameByLogicalId.get(logical) as string)
          : str(value);
      }
      const requestParameters: RequestParameterModel[] = [];
      for (const [expression, value] of Object.entries(
        (resolve(p.RequestParameters ?? {}) as Record<string, unknown>) ?? {},
      )) {
        const match =
          /^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)$/.exec(
            expression,
          );
        if (!match) continue;
        requestParameters.push({
          expression,
          location: match[1] as RequestParameterModel["location"],
          name: match[2] as string,
          required: value === true || value === "true",
        });
      }
      const method: MethodModel = {
        logicalId,
        httpMethod,
        resourceId: resource.id,
        resourcePath: resource.path,
        ...(p.OperationName === undefined ? {} : { operationName: str(p.OperationName) }),
        authorizationType,
        apiKeyRequired,
        integration: integrationOf(pick(r, ["Integration"]).Integration),
        ...(validatorLogicalId ? { validator: validators.get(validatorLogicalId) } : {}),
        requestModels,
        requestParameters,
      };
      if (method.integration.kind === "unsupported")
        warnings.push(`${httpMethod} ${resource.path}: ${method.integration.reason}`);
      resource.methods[httpMethod] = method;
    }

    // Gateway responses.
    const gatewayResponses: Partial<Record<GatewayResponseType, GatewayResponseModel>> = {};
    for (const [, r] of mine("AWS::ApiGateway::GatewayResponse")) {
      const p = pick(r, ["ResponseType", "StatusCode", "ResponseParameters", "ResponseTemplates"]);
      const type = String(p.ResponseType) as GatewayResponseType;
      gatewayResponses[type] = {
        type,
        ...(p.StatusCode === undefined ? {} : { statusCode: Number(p.StatusCode) }),
        responseParameters: stringMap(p.ResponseParameters),
        responseTemplates: stringMap(p.ResponseTemplates),
      };
    }

    // Stages: AWS::ApiGateway::Stage, and the one a Deployment with StageName creates.
    const stages: StageModel[] = [];
    for (const [logicalId, r] of mine("AWS::ApiGateway::Stage")) {
      const p = pick(r, ["StageName", "DeploymentId", "Variables", "TracingEnabled", "MethodSettings"]);
      stages.push({
        logicalId,
        name: String(p.StageName ?? logicalId),
        ...(p.DeploymentId === undefined ? {} : { deploymentId: String(p.DeploymentId) }),
        variables: variablesOf(p.Variables),
        tracingEnabled: p.TracingEnabled === true || p.TracingEnabled === "true",
        methodSettings: methodSettingsOf(p.MethodSettings),
      });
    }
    for (const [logicalId, r] of mine("AWS::ApiGateway::Deployment")) {
      const p = pick(r, ["StageName", "StageDescription"]);
      if (p.StageName === undefined || stages.some((s) => s.name === p.StageName)) continue;
      const description = (p.StageDescription ?? {}) as Record<string, unknown>;
      const settings = methodSettingsOf(description.MethodSettings);
      if (description.ThrottlingRateLimit !== undefined || description.ThrottlingBurstLimit !== undefined) {
        settings.unshift({
          resourcePath: "/*",
          httpMethod: "*",
          ...numberField("throttlingRateLimit", description.ThrottlingRateLimit),
          ...numberField("throttlingBurstLimit", description.ThrottlingBurstLimit),
        });
      }
      stages.push({
        logicalId,
        name: String(p.StageName),
        deploymentId: tryStr({ Ref: logicalId }) ?? logicalId,
        variables: variablesOf(description.Variables),
        tracingEnabled: description.TracingEnabled === true,
        methodSettings: settings,
      });
    }

    return {
      logicalId: apiLogicalId,
      apiId,
      name: apiProps.Name === undefined ? apiLogicalId : str(apiProps.Name),
      binaryMediaTypes: ((resolve(apiProps.BinaryMediaTypes ?? []) as unknown[]) ?? []).map((t) =>
        String(t).replace(/~1/g, "/"),
      ),
      resources: [root, ...byLogicalId.values()],
      models,
      gatewayResponses,
      stages,
      warnings,
    };
  });
}

function segmentOf(part: string): PathSegment {
  const greedy = /^\{(.+)\+\}$/.exec(part);
  if (greedy) return { kind: "greedy", name: greedy[1] as string };
  const parameter = /^\{(.+)\}$/.exec(part);
  if (parameter) return { kind: "parameter", name: parameter[1] as string };
  return { kind: "literal", value: part };
}

function integrationOf(resolved: unknown): IntegrationModel {
  if (!resolved)
    return { kind: "unsupported", type: "NONE", reason: "the method has no (resolvable) integration" };
  const integration = resolved as Record<string, unknown>;
  const type = String(integration.Type ?? "");
  if (type === "AWS_PROXY") {
    const uri = String(integration.Uri ?? "");
    const functionArn = LAMBDA_URI.exec(uri)?.[1];
    if (!functionArn)
      return { kind: "unsupported", type, reason: `AWS_PROXY Uri ${uri} does not name a Lambda function` };
    const httpMethod = integration.IntegrationHttpMethod;
    if (httpMethod !== undefined && String(httpMethod).toUpperCase() !== "POST")
      return {
        kind: "unsupported",
        type,
        reason: "a Lambda proxy integration must use IntegrationHttpMethod POST",
      };
    return {
      kind: "lambda-proxy",
      uri,
      functionArn,
      timeoutMs: Number(integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS),
    };
  }
  if (type === "MOCK") {
    const responses = (integration.IntegrationResponses as Record<string, unknown>[] | undefined) ?? [];
    return {
      kind: "mock",
      requestTemplates: lowerKeys(stringMap(integration.RequestTemplates)),
      passthroughBehavior: (String(integration.PassthroughBehavior ?? "WHEN_NO_MATCH").toUpperCase() ||
        "WHEN_NO_MATCH") as "WHEN_NO_MATCH",
      integrationResponses: responses.map((r) => ({
        statusCode: String(r.StatusCode ?? "200"),
        ...(r.SelectionPattern ? { selectionPattern: String(r.SelectionPattern) } : {}),
        responseParameters: stringMap(r.ResponseParameters),
        responseTemplates: stringMap(r.ResponseTemplates),
      })),
    };
  }
  return { kind: "unsupported", type, reason: `${type} integrations are not served locally` };
}

function stringMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

function lowerKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
}

function variablesOf(value: unknown): Record<string, string> | null {
  const map = stringMap(value);
  return Object.keys(map).length > 0 ? map : null;
}

function numberField<K extends string>(key: K, value: unknown): Partial<Record<K, number>> {
  if (value === undefined || value === null || value === "") return {};
  const n = Number(value);
  return Number.isFinite(n) ? ({ [key]: n } as Record<K, number>) : {};
}

function methodSettingsOf(value: unknown): MethodSettingModel[] {
  if (!Array.isArray(value)) return [];
  return value.map((s: Record<string, unknown>) => {
    // CloudFormation writes `/` + the resource path with `/` escaped as `~1`: /~1v1~1items.
    const raw = String(s.ResourcePath ?? "/*");
    const path = raw.includes("~1") ? raw.replace(/^\//, "").replace(/~1/g, "/").replace(/~0/g, "~") : raw;
    return {
      resourcePath: path,
      httpMethod: String(s.HttpMethod ?? "*").toUpperCase(),
      ...numberField("throttlingRateLimit", s.ThrottlingRateLimit),
      ...numberField("throttlingBurstLimit", s.ThrottlingBurstLimit),
    };
  });
}

/**
 * The throttling limits of one method in a stage: the method's own settings, else the stage-wide `/*` `*`
 * settings, field by field (an unset field falls back to the account's limits in the caller).
 */
export function throttlingFor(
  stage: StageModel | undefined,
  resourcePath: string,
  httpMethod: string,
): { rateLimit?: number; burstLimit?: number } {
  const settings = stage?.methodSettings ?? [];
  const specific = settings.find((s) => s.resourcePath === resourcePath && s.httpMethod === httpMethod);
  const general = settings.find((s) => s.resourcePath === "/*" && s.httpMethod === "*");
  const rate = specific?.throttlingRateLimit ?? general?.throttlingRateLimit;
  const burst = specific?.throttlingBurstLimit ?? general?.throttlingBurstLimit;
  return {
    ...(rate === undefined ? {} : { rateLimit: rate }),
    ...(burst === undefined ? {} : { burstLimit: burst }),
  };
}

/** A matched route: the resource, its method and the path parameters (raw, as API Gateway passes them). */
export interface RouteMatch {
  resource: ResourceModel;
  method: MethodModel;
  pathParameters: Record<string, string>;
}

/**
 * Finds the resource and method for a request path, as API Gateway does: literal path parts win over
 * `{param}`, which win over `{greedy+}`; a resource without the request's method (nor ANY) does not match,
 * so a more general resource can still take the request. A trailing slash is ignored.
 */
export function matchRoute(api: RestApiModel, httpMethod: string, path: string): RouteMatch | undefined {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const parts = trimmed === "/" || trimmed === "" ? [] : trimmed.slice(1).split("/");
  const method = httpMethod.toUpperCase();
  const candidates = api.resources
    .map((resource) => ({ resource, params: matchSegments(resource.segments, parts) }))
    .filter(
      (c): c is { resource: ResourceModel; params: Record<string, string> } =>
        c.params !== undefined && (c.resource.methods[method] ?? c.resource.methods.ANY) !== undefined,
    );
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => compareSpecificity(a.resource.segments, b.resource.segments));
  const best = candidates[0] as { resource: ResourceModel; params: Record<string, string> };
  return {
    resource: best.resource,
    method: (best.resource.methods[method] ?? best.resource.methods.ANY) as MethodModel,
    pathParameters: best.params,
  };
}

function matchSegments(segments: PathSegment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as PathSegment;
    if (segment.kind === "greedy") {
      if (i !== segments.length - 1 || parts.length <= i) return undefined;
      const rest = parts.slice(i);
      if (rest.some((p) => p === "")) return undefined;
      params[segment.name] = rest.join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === "") return undefined;
    if (segment.kind === "literal") {
      if (segment.value !== part) return undefined;
    } else {
      params[segment.name] = part;
    }
  }
  return parts.length === segments.length ? params : undefined;
}

const RANK = { literal: 0, parameter: 1, greedy: 2 } as const;

/** Earlier segments decide first: a literal beats a parameter beats a greedy part. */
function compareSpecificity(a: PathSegment[], b: PathSegment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = RANK[(a[i] as PathSegment).kind] - RANK[(b[i] as PathSegment).kind];
    if (diff !== 0) return diff;
  }
  return b.length - a.length;
}
