/**
 * What a rule target receives: the whole event, a constant `Input`, the part of the event an `InputPath`
 * selects, or an `InputTransformer` template filled from the event.
 *
 * Events are handled as JSON trees from pattern/json.ts, which keep the text of every number, so a detail
 * such as {"amount": 1.50} or a 20-digit id reaches the target as it was written.
 *
 * Input transformer rules (AWS EventBridge user guide, "input transformation", and LocalStack's recordings
 * of real EventBridge in tests/aws/services/events/test_events_inputs.snapshot.json):
 * - `<name>` outside a JSON string is replaced by the value as JSON (a string gains quotes), inside a JSON
 *   string by the raw value, without escaping ("EventBridge doesn't escape values extracted by Input Path").
 * - A path that selects nothing yields an empty value: `""` outside a string, nothing inside one.
 * - Predefined variables: aws.events.rule-arn, aws.events.rule-name, aws.events.event.ingestion-time, and
 *   aws.events.event (the event without `detail`, with `detail-type` spelled `detailType`) and
 *   aws.events.event.json (the whole event).
 * - The text passed on is minified when it is JSON; a template that is a JSON string keeps its quotes.
 */
import { constraintViolation, validationError } from "./eventbridge-errors.js";
import { JsonObject, type JsonValue, parseJson } from "./pattern/json.js";
import { JsonNumber } from "./pattern/numbers.js";

// ---- JSON trees ----

/** Minified JSON text for a tree; numbers keep their text, objects their member order. */
export function serializeJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(serializeJson).join(",")}]`;
  return `{${value.entries.map(([key, member]) => `${JSON.stringify(key)}:${serializeJson(member)}`).join(",")}}`;
}

/** The member of an object; with duplicate keys the last one wins, as in a parsed Jackson tree. */
export function memberOf(value: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!(value instanceof JsonObject)) return undefined;
  let found: JsonValue | undefined;
  for (const [name, member] of value.entries) if (name === key) found = member;
  return found;
}

// ---- JSON paths ----

type PathSegment = { kind: "member"; name: string } | { kind: "index"; index: number } | { kind: "wildcard" };

/** A JSON path in the subset EventBridge takes: `$`, `.name`, `[0]`, `[*]` and `.*`. */
export interface JsonPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
  /** No wildcard: selects at most one value (otherwise the selection is a list). */
  readonly definite: boolean;
}

/** Parses a path, or returns undefined when EventBridge's path subset does not cover it. */
export function parseJsonPath(text: string): JsonPath | undefined {
  if (!text.startsWith("$")) return undefined;
  const segments: PathSegment[] = [];
  let position = 1;
  while (position < text.length) {
    const rest = text.slice(position);
    const index = /^\[(\d+|\*)\]/.exec(rest);
    if (index?.[1]) {
      segments.push(index[1] === "*" ? { kind: "wildcard" } : { kind: "index", index: Number(index[1]) });
      position += index[0].length;
      continue;
    }
    const member = /^\.([^.[\]]+)/.exec(rest);
    if (member?.[1]) {
      segments.push(member[1] === "*" ? { kind: "wildcard" } : { kind: "member", name: member[1] });
      position += member[0].length;
      continue;
    }
    return undefined;
  }
  return { text, segments, definite: segments.every((segment) => segment.kind !== "wildcard") };
}

/** The value a path selects: one value (or undefined) for a definite path, a list otherwise. */
export function evaluateJsonPath(path: JsonPath, root: JsonValue): JsonValue | undefined {
  let current: JsonValue[] = [root];
  for (const segment of path.segments) {
    const next: JsonValue[] = [];
    for (const value of current) {
      if (segment.kind === "member") {
        const member = memberOf(value, segment.name);
        if (member !== undefined) next.push(member);
      } else if (segment.kind === "index") {
        const element = Array.isArray(value) ? value[segment.index] : undefined;
        if (element !== undefined) next.push(element);
      } else if (Array.isArray(value)) {
        next.push(...value);
      } else if (value instanceof JsonObject) {
        next.push(...value.entries.map(([, member]) => member));
      }
    }
    current = next;
  }
  return path.definite ? current[0] : current;
}

/** Target input for an InputPath: the selected value as JSON, or empty text when the path selects nothing. */
export function renderInputPath(path: JsonPath, event: JsonValue): string {
  const value = evaluateJsonPath(path, event);
  return value === undefined ? "" : serializeJson(value);
}

// ---- input transformers ----

export const PREDEFINED_VARIABLES = [
  "aws.events.rule-arn",
  "aws.events.rule-name",
  "aws.events.event.ingestion-time",
  "aws.events.event",
  "aws.events.event.json",
] as const;

const PREDEFINED = new Set<string>(PREDEFINED_VARIABLES);
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/y;
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;
const MAX_VARIABLES = 100;
const MAX_TEMPLATE_LENGTH = 8192;

export interface CompiledInputTransformer {
  readonly inputTemplate: string;
  readonly inputPathsMap: Readonly<Record<string, string>>;
  readonly paths: ReadonlyMap<string, JsonPath>;
}

export interface TransformContext {
  /** The event as a JSON tree. */
  event: JsonValue;
  ruleArn: string;
  ruleName: string;
  /** ISO 8601, second precision, like the event's `time`. */
  ingestionTime: string;
}

/** Validates an InputTransformer as PutTargets does; throws ValidationException. */
export function compileInputTransformer(
  targetId: string,
  inputPathsMap: Readonly<Record<string, string>> | undefined,
  inputTemplate: string,
): CompiledInputTransformer {
  if (typeof inputTemplate !== "string" || inputTemplate.length === 0) {
    throw constraintViolation(
      String(inputTemplate ?? "null"),
      "inputTemplate",
      "have length greater than or equal to 1",
    );
  }
  if (inputTemplate.length > MAX_TEMPLATE_LENGTH) {
    throw constraintViolation(
      `${inputTemplate.slice(0, 40)}...`,
      "inputTemplate",
      `have length less than or equal to ${MAX_TEMPLATE_LENGTH}`,
    );
  }
  const entries = Object.entries(inputPathsMap ?? {});
  if (entries.length > MAX_VARIABLES) {
    throw validationError(`InputPathsMap for target ${targetId} has more than ${MAX_VARIABLES} variables.`);
  }
  const paths = new Map<string, JsonPath>();
  for (const [name, pathText] of entries) {
    if (!VARIABLE_NAME.test(name) || name.length > 256) {
      throw validationError(
        `InputPathsMap for target ${targetId} has an invalid key ${name}: keys are 1-256 of [A-Za-z0-9_-].`,
      );
    }
    if (/^aws\./i.test(name)) {
      throw validationError(`InputPathsMap for target ${targetId} has a key that starts with AWS.: ${name}.`);
    }
    const path = typeof pathText === "string" ? parseJsonPath(pathText) : undefined;
    if (!path) {
      throw validationError(
        `InputPathsMap for target ${targetId} has an invalid JSON path for ${name}: ${pathText}.`,
      );
    }
    paths.set(name, path);
  }
  for (const name of placeholdersIn(inputTemplate)) {
    if (!paths.has(name) && !PREDEFINED.has(name)) {
      throw validationError(`InputTemplate for target ${targetId} contains invalid placeholder ${name}.`);
    }
  }
  return { inputTemplate, inputPathsMap: Object.fromEntries(entries), paths };
}

/** Fills the template for one event. */
export function renderInputTemplate(
  transformer: CompiledInputTransformer,
  context: TransformContext,
): string {
  const values = new Map<string, JsonValue | undefined>();
  for (const [name, path] of transformer.paths) values.set(name, evaluateJsonPath(path, context.event));
  const predefined = predefinedValues(context);
  const template = transformer.inputTemplate;
  let output = "";
  let inString = false;
  let position = 0;
  while (position < template.length) {
    const char = template[position] as string;
    if (char === "<") {
      PLACEHOLDER.lastIndex = position;
      const match = PLACEHOLDER.exec(template);
      const name = match?.[1];
      if (match && name && (values.has(name) || predefined.has(name))) {
        const value = values.has(name) ? values.get(name) : predefined.get(name);
        output += inString ? rawText(value) : value === undefined ? '""' : serializeJson(value);
        position += match[0].length;
        continue;
      }
    }
    output += char;
    if (inString && char === "\\") {
      output += template[position + 1] ?? "";
      position += 2;
      continue;
    }
    if (char === '"') inString = !inString;
    position++;
  }
  return minifyIfJson(output);
}

function predefinedValues(context: TransformContext): Map<string, JsonValue> {
  const { event } = context;
  const summary =
    event instanceof JsonObject
      ? new JsonObject(
          event.entries
            .filter(([key]) => key !== "detail")
            .map(([key, value]): [string, JsonValue] =>
              key === "detail-type"
                ? ["detailType", value]
                : key === "time"
                  ? [key, context.ingestionTime]
                  : [key, value],
            ),
        )
      : event;
  return new Map<string, JsonValue>([
    ["aws.events.rule-arn", context.ruleArn],
    ["aws.events.rule-name", context.ruleName],
    ["aws.events.event.ingestion-time", context.ingestionTime],
    ["aws.events.event", summary],
    ["aws.events.event.json", event],
  ]);
}

/** A value as it goes inside a JSON string: strings as they are, anything else as JSON text. */
function rawText(value: JsonValue | undefined): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : serializeJson(value);
}

function placeholdersIn(template: string): string[] {
  return [...template.matchAll(/<([A-Za-z0-9_.-]+)>/g)].map((match) => match[1] as string);
}

/** Template output that is valid JSON goes out minified (and with EventBridge's escaping); other text as is. */
function minifyIfJson(text: string): string {
  try {
    return serializeJson(parseJson(text));
  } catch {
    return text;
  }
}
