import type { ErrorObject, ValidateFunction } from "ajv";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { type HeaderList, headerValue, mediaTypeOf } from "./proxy-event";
import type { MethodModel, RequestModelSchema } from "./rest-api-model";

/**
 * Request validation as a REST API's request validator does it:
 * - parameters: every required `method.request.{path,querystring,header}.x` present and not blank;
 * - body: validated against the model mapped to the request's content type (`application/json` when the
 *   request has no Content-Type), else against the `$default` model; with neither, the body is not
 *   validated at all (AWS: "If no matching content type is found, request validation is not performed").
 *   An empty body is validated as `{}`; a body that is not JSON fails.
 * Models are JSON Schema draft-04, checked with ajv (draft-04 + formats).
 */
export type ValidationFailure =
  | { type: "BAD_REQUEST_PARAMETERS"; message: string; validationErrorString: string }
  | { type: "BAD_REQUEST_BODY"; message: string; validationErrorString: string };

export class RequestValidation {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction | Error>();

  constructor(
    private readonly apiId: string,
    private readonly models: Record<string, RequestModelSchema>,
  ) {
    this.ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(this.ajv);
    for (const model of Object.values(models)) {
      // Models name each other as API Gateway does: https://apigateway.amazonaws.com/restapis/{id}/models/{name}.
      const { id: _ignored, ...schema } = model.schema;
      this.ajv.addSchema(schema, modelUri(apiId, model.name));
    }
  }

  /** Compiles every model now, so a schema ajv cannot compile is reported at start, not per request. */
  check(): string[] {
    return Object.keys(this.models)
      .map((name) => this.validatorFor(name))
      .filter((v): v is Error => v instanceof Error)
      .map((e) => e.message);
  }

  validate(
    method: MethodModel,
    request: {
      headers: HeaderList;
      query: Record<string, string[]>;
      pathParameters: Record<string, string>;
      body: Buffer;
    },
  ): ValidationFailure | undefined {
    const validator = method.validator;
    if (!validator) return undefined;
    if (validator.validateRequestParameters) {
      const missing = missingParameters(method, request);
      if (missing.length > 0) {
        const message = `Missing required request parameters: [${missing.join(", ")}]`;
        return { type: "BAD_REQUEST_PARAMETERS", message, validationErrorString: message };
      }
    }
    if (validator.validateRequestBody) {
      const contentType = mediaTypeOf(headerValue(request.headers, "content-type")) ?? "application/json";
      const modelName = method.requestModels[contentType] ?? method.requestModels.$default;
      if (modelName === undefined) return undefined;
      const invalid = (detail: string): ValidationFailure => ({
        type: "BAD_REQUEST_BODY",
        message: "Invalid request body",
        validationErrorString: detail,
      });
      const validate = this.validatorFor(modelName);
      if (validate instanceof Error) return invalid(`[${validate.message}]`);
      const text = request.body.toString("utf8");
      let data: unknown;
      try {
        data = text.trim() === "" ? {} : JSON.parse(text);
      } catch (error) {
        return invalid(`[Invalid JSON in the request body: ${(error as Error).message}]`);
      }
      if (!validate(data)) return invalid(`[${describeErrors(validate.errors ?? [], data).join(", ")}]`);
    }
    return undefined;
  }

  private validatorFor(modelName: string): ValidateFunction | Error {
    const known = this.compiled.get(modelName);
    if (known) return known;
    let result: ValidateFunction | Error;
    try {
      const validate = this.models[modelName]
        ? this.ajv.getSchema(modelUri(this.apiId, modelName))
        : undefined;
      result = validate ?? new Error(`Model ${modelName} is not defined in the API`);
    } catch (error) {
      result = new Error(`Model ${modelName} cannot be compiled: ${(error as Error).message}`);
    }
    this.compiled.set(modelName, result);
    return result;
  }
}

export function modelUri(apiId: string, modelName: string): string {
  return `https://apigateway.amazonaws.com/restapis/${apiId}/models/${modelName}`;
}

function missingParameters(
  method: MethodModel,
  request: { headers: HeaderList; query: Record<string, string[]>; pathParameters: Record<string, string> },
): string[] {
  const present = (values: string[] | undefined) => (values ?? []).some((v) => v.trim() !== "");
  return [...method.requestParameters]
    .filter((p) => p.required)
    .sort((a, b) => (a.expression < b.expression ? -1 : a.expression > b.expression ? 1 : 0))
    .filter((p) => {
      switch (p.location) {
        case "path":
          return !present(
            request.pathParameters[p.name] === undefined ? [] : [request.pathParameters[p.name] as string],
          );
        case "querystring":
        case "multivaluequerystring":
          return !present(request.query[p.name]);
        case "header":
        case "multivalueheader":
          return !present(request.headers.find(([n]) => n.toLowerCase() === p.name.toLowerCase())?.[1]);
        default:
          return false;
      }
    })
    .map((p) => p.name);
}

/**
 * ajv's errors in the words of the validator API Gateway uses (java-json-tools), which is what
 * `$context.error.validationErrorString` shows: `object has missing required properties (["a"])`, ...
 */
export function describeErrors(errors: ErrorObject[], data: unknown): string[] {
  // Errors inside anyOf / oneOf / not branches are summarized by the combinator's own error.
  const relevant = errors.filter(
    (e) => !/\/(anyOf|oneOf|not)\/(\d+\/)?./.test(e.schemaPath.replace(/^#/, "")),
  );
  const messages: string[] = [];
  const grouped = new Map<string, string[]>();
  const group = (key: string, value: string) => {
    const list = grouped.get(key);
    if (list) list.push(value);
    else {
      grouped.set(key, [value]);
      messages.push(key);
    }
  };
  for (const e of relevant) {
    const value = valueAt(data, e.instancePath);
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case "required":
        group(`required\n${e.instancePath}`, String(params.missingProperty));
        break;
      case "additionalProperties":
        group(`additional\n${e.instancePath}`, String(params.additionalProperty));
        break;
      case "type":
        messages.push(
          `instance type (${jsonType(value)}) does not match any allowed primitive type (allowed: ${JSON.stringify(
            String(params.type).split(","),
          )})`,
        );
        break;
      case "enum":
        messages.push(
          `instance value (${JSON.stringify(value)}) not found in enum (possible values: ${JSON.stringify(
            params.allowedValues,
          )})`,
        );
        break;
      case "pattern":
        messages.push(
          `ECMA 262 regex "${String(params.pattern)}" does not match input string ${JSON.stringify(value)}`,
        );
        break;
      case "minLength":
        messages.push(
          `string ${JSON.stringify(value)} is too short (length: ${lengthOf(value)}, required minimum: ${String(params.limit)})`,
        );
        break;
      case "maxLength":
        messages.push(
          `string ${JSON.stringify(value)} is too long (length: ${lengthOf(value)}, maximum allowed: ${String(params.limit)})`,
        );
        break;
      case "minimum":
      case "exclusiveMinimum":
        messages.push(
          String(params.comparison).includes("=")
            ? `numeric instance is lower than the required minimum (minimum: ${String(params.limit)}, found: ${String(value)})`
            : `numeric instance is not strictly greater than the required minimum ${String(params.limit)}`,
        );
        break;
      case "maximum":
      case "exclusiveMaximum":
        messages.push(
          String(params.comparison).includes("=")
            ? `numeric instance is greater than the required maximum (maximum: ${String(params.limit)}, found: ${String(value)})`
            : `numeric instance is not strictly lower than the required maximum ${String(params.limit)}`,
        );
        break;
      case "multipleOf":
        messages.push(
          `numeric instance is not a multiple of divisor (divisor: ${String(params.multipleOf)}, found: ${String(value)})`,
        );
        break;
      case "minItems":
        messages.push(
          `array is too short: must have at least ${String(params.limit)} elements but instance has ${lengthOf(value)} elements`,
        );
        break;
      case "maxItems":
        messages.push(
          `array is too long: must have at most ${String(params.limit)} elements but instance has ${lengthOf(value)} elements`,
        );
        break;
      case "uniqueItems":
        messages.push("array must not contain duplicate elements");
        break;
      case "minProperties":
        messages.push(
          `object has too few properties (found ${lengthOf(value)} but schema requires at least ${String(params.limit)})`,
        );
        break;
      case "maxProperties":
        messages.push(
          `object has too many properties (found ${lengthOf(value)} but schema requires at most ${String(params.limit)})`,
        );
        break;
      case "format":
        messages.push(formatMessage(String(params.format), value));
        break;
      case "anyOf":
        messages.push("instance failed to match at least one required schema among the anyOf alternatives");
        break;
      case "oneOf":
        messages.push("instance failed to match exactly one schema of the oneOf alternatives");
        break;
      case "not":
        messages.push("instance matched a schema which it should not have");
        break;
      default:
        messages.push(`${e.instancePath || "instance"} ${e.message ?? "is invalid"}`);
    }
  }
  return messages.map((m) => {
    const list = grouped.get(m);
    if (!list) return m;
    return m.startsWith("required\n")
      ? `object has missing required properties (${JSON.stringify(list.sort())})`
      : `object instance has properties which are not allowed by the schema: ${JSON.stringify(list.sort())}`;
  });
}

function formatMessage(format: string, value: unknown): string {
  const text = JSON.stringify(value);
  switch (format) {
    case "email":
      return `string ${text} is not a valid email address`;
    case "uri":
      return `string ${text} is not a valid URI`;
    case "date":
      return `string ${text} is invalid against requested date format(s) yyyy-MM-dd`;
    case "date-time":
      return `string ${text} is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]`;
    default:
      return `string ${text} is not a valid ${format}`;
  }
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function lengthOf(value: unknown): number {
  if (typeof value === "string") return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (value && typeof value === "object") return Object.keys(value).length;
  return 0;
}

function valueAt(data: unknown, pointer: string): unknown {
  if (pointer === "") return data;
  let current: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
