/**
 * The shape of a pattern: nested objects name paths, arrays list a field's alternatives, and "$or" forks
 * the pattern into several sub-rules (the pattern matches when any sub-rule does). Validation follows the
 * document order, as EventBridge's streaming parser does, so the first fault found is the one it reports.
 */
import { rejectPattern } from "./errors";
import { JsonObject, type JsonValue } from "./json";
import { type Alternative, compileExactValue, compileMatchExpression, type ValueMatcher } from "./operators";

/** What a sub-rule asks of the values at one path. */
export interface FieldCondition {
  readonly path: string;
  /** Tests a value at the path; undefined when exists:false is the only alternative. */
  readonly matchesValue: ValueMatcher | undefined;
  /** exists:false is among the alternatives. */
  readonly acceptsAbsence: boolean;
}

/** One way for the pattern to match: every condition must hold. Sorted by path, as EventBridge walks them. */
export type SubRule = readonly FieldCondition[];

// Inside "$or", these cannot be field names (EventBridge keeps them for operators).
const RESERVED_IN_OR = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

/** Sub-rules under construction: path → condition, a later mention of a path replacing an earlier one. */
interface Drafts {
  rules: Map<string, FieldCondition>[];
}

export function compileSubRules(pattern: JsonValue): SubRule[] {
  if (!(pattern instanceof JsonObject)) return rejectPattern("Filter is not an object");
  const drafts: Drafts = { rules: [] };
  compileObject(drafts, undefined, pattern, false);
  return drafts.rules.map((rule) =>
    [...rule.values()].sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0)),
  );
}

function compileObject(
  drafts: Drafts,
  path: string | undefined,
  object: JsonObject,
  insideOr: boolean,
): void {
  if (object.entries.length === 0) rejectPattern("Empty objects are not allowed");
  for (const [name, value] of object.entries) {
    if (name === "$or") {
      compileOr(drafts, path, value);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(name)) {
      rejectPattern(`${name} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    // A key with dots names the same path as the nested keys would: {"a.b": ...} is {"a": {"b": ...}}.
    const fieldPath = path === undefined ? name : `${path}.${name}`;
    if (value instanceof JsonObject) {
      compileObject(drafts, fieldPath, value, insideOr);
    } else if (Array.isArray(value)) {
      setCondition(drafts, compileCondition(fieldPath, value));
    } else {
      rejectPattern(`"${name}" must be an object or an array`);
    }
  }
}

/** "$or": [ {...}, {...} ] — every sub-rule so far is copied once per branch, and each branch adds to it. */
function compileOr(drafts: Drafts, path: string | undefined, branches: JsonValue): void {
  const before = drafts.rules;
  drafts.rules = [];
  if (!Array.isArray(branches)) rejectPattern("It must be an Array followed with $or.");
  for (const branch of branches) {
    if (!(branch instanceof JsonObject)) {
      rejectPattern("Only JSON object is allowed in array of $or relationship.");
    }
    const branchDrafts: Drafts = {
      rules: before.length > 0 ? before.map((rule) => new Map(rule)) : [new Map()],
    };
    compileObject(branchDrafts, path, branch, true);
    drafts.rules.push(...branchDrafts.rules);
  }
  if (branches.length < 2) rejectPattern("There must have at least 2 Objects in $or relationship.");
}

function setCondition(drafts: Drafts, condition: FieldCondition): void {
  if (drafts.rules.length === 0) drafts.rules.push(new Map());
  for (const rule of drafts.rules) rule.set(condition.path, condition);
}

/** A field's list of alternatives, any one of which may match. */
function compileCondition(path: string, values: readonly JsonValue[]): FieldCondition {
  const alternatives: Alternative[] = values.map((value) => {
    if (value instanceof JsonObject) return compileMatchExpression(value);
    if (Array.isArray(value)) {
      return rejectPattern("Match value must be String, number, true, false, or null");
    }
    return compileExactValue(value);
  });
  if (alternatives.length === 0) rejectPattern("Empty arrays are not allowed");
  const valueMatchers = alternatives.flatMap((alternative) =>
    alternative.kind === "value" ? [alternative.matches] : [],
  );
  return {
    path,
    matchesValue: anyOf(valueMatchers),
    acceptsAbsence: alternatives.some((alternative) => alternative.kind === "absent"),
  };
}

function anyOf(matchers: readonly ValueMatcher[]): ValueMatcher | undefined {
  const [only] = matchers;
  if (matchers.length <= 1) return only;
  return (value) => {
    for (const matches of matchers) if (matches(value)) return true;
    return false;
  };
}
