/**
 * The values a pattern field may list: exact values, and match expressions such as {"prefix": "x"}.
 * Each compiles to a test of one event value; the operands are validated in document order with
 * EventBridge's own reasons, so the first fault reported is the one EventBridge would report.
 */
import { rejectPattern } from "./errors";
import type { EventLeaf } from "./event-fields";
import { compileIgnoreCase } from "./ignore-case";
import { cidrContains, ipAddressHex, parseCidr, parseIpAddress } from "./ip";
import { JsonObject, type JsonValue } from "./json";
import { JsonNumber } from "./numbers";
import { compileWildcard } from "./wildcard";

export type ValueMatcher = (value: EventLeaf) => boolean;

/** One alternative in a field's list: a test of the field's value, or "the field is absent". */
export type Alternative =
  | { readonly kind: "value"; readonly matches: ValueMatcher }
  | { readonly kind: "absent" };

const ABSENT: Alternative = { kind: "absent" };
const ANY_VALUE: Alternative = valueTest(() => true);

function valueTest(matches: ValueMatcher): Alternative {
  return { kind: "value", matches };
}

/** A plain value in a field's list. */
export function compileExactValue(value: string | boolean | null | JsonNumber): Alternative {
  if (typeof value === "string") return valueTest(exactString(value));
  if (value instanceof JsonNumber) return valueTest(exactNumber(value));
  return valueTest((candidate) => candidate === value);
}

function exactString(expected: string): ValueMatcher {
  // A string that is an IP address matches that address however it is written ("::0" is "::").
  const address = parseIpAddress(expected);
  if ("hex" in address) {
    const { hex } = address;
    return (value) => typeof value === "string" && (value === expected || ipAddressHex(value) === hex);
  }
  return (value) => value === expected;
}

function exactNumber(expected: JsonNumber): ValueMatcher {
  // Same text always matches; otherwise both numbers must be exact doubles of equal value (300 = 300.0).
  const expectedDouble = expected.comparable;
  return (value) => {
    if (!(value instanceof JsonNumber)) return false;
    if (value.text === expected.text) return true;
    const actual = value.comparable;
    return expectedDouble !== undefined && actual === expectedDouble;
  };
}

/** A match expression: an object with one operator, such as {"prefix": "x"} or {"numeric": [">", 0]}. */
export function compileMatchExpression(expression: JsonObject): Alternative {
  const [first, ...others] = expression.entries;
  if (!first) return rejectPattern("Match expression name not found");
  const [operator, operand] = first;
  const hasOtherKeys = others.length > 0;
  const onlyOneKey = <T>(compiled: T): T =>
    hasOtherKeys ? rejectPattern("Only one key allowed in match expression") : compiled;

  switch (operator) {
    case "exactly": {
      // Event Ruler's explicit spelling of an exact string, without reading it as an IP address.
      const text = requireString(operand, "exact match");
      return onlyOneKey(valueTest((value) => value === text));
    }
    case "prefix":
    case "suffix":
      return compileAffix(operator, operand, hasOtherKeys);
    case "equals-ignore-case": {
      const text = requireString(operand, "equals-ignore-case match");
      return onlyOneKey(valueTest(onStrings(compileIgnoreCase(text, "whole"))));
    }
    case "wildcard":
      return onlyOneKey(valueTest(onStrings(compileWildcard(requireString(operand, "wildcard match")))));
    case "cidr": {
      // "prefix" is not a typo here: it is the text EventBridge answers with.
      const block = parseCidr(requireString(operand, "prefix match"));
      return onlyOneKey(
        valueTest((value) => {
          const hex = typeof value === "string" ? ipAddressHex(value) : undefined;
          return hex !== undefined && cidrContains(block, hex);
        }),
      );
    }
    case "exists":
      if (typeof operand !== "boolean") {
        return rejectPattern("exists match pattern must be either true or false.");
      }
      // exists:true is any leaf value at all (null included); exists:false is no leaf value at the path.
      return onlyOneKey(operand ? ANY_VALUE : ABSENT);
    case "numeric": {
      if (!Array.isArray(operand)) return rejectPattern("Value of numeric must be an array.");
      const matcher = compileNumeric(operand);
      return hasOtherKeys ? rejectPattern(TOO_MANY_ELEMENTS) : valueTest(matcher);
    }
    case "anything-but":
      return valueTest(compileAnythingBut(operand, hasOtherKeys));
    default:
      return rejectPattern(`Unrecognized match type ${operator}`);
  }
}

// EventBridge gives this text for any surplus after a numeric or anything-but operand.
const TOO_MANY_ELEMENTS = "Too many elements in numeric expression";

function requireString(operand: JsonValue, what: string): string {
  return typeof operand === "string" ? operand : rejectPattern(`${what} pattern must be a string`);
}

/** String operators never match numbers, booleans or null. */
function onStrings(test: (value: string) => boolean): ValueMatcher {
  return (value) => typeof value === "string" && test(value);
}

function compileAffix(operator: "prefix" | "suffix", operand: JsonValue, hasOtherKeys: boolean): Alternative {
  let matcher: ValueMatcher;
  if (operand instanceof JsonObject) {
    // {"prefix": {"equals-ignore-case": "x"}}
    const [inner, ...innerOthers] = operand.entries;
    const capitalized = operator === "prefix" ? "Prefix" : "Suffix";
    if (!inner) return rejectPattern(`${capitalized} expression name not found`);
    const [innerOperator, innerOperand] = inner;
    if (innerOperator !== "equals-ignore-case") {
      return rejectPattern(`Unsupported ${operator} pattern: ${innerOperator}`);
    }
    const text = requireString(innerOperand, "equals-ignore-case match");
    if (innerOthers.length > 0) return rejectPattern("Only one key allowed in match expression");
    matcher = onStrings(compileIgnoreCase(text, operator));
  } else {
    const text = requireString(operand, `${operator} match`);
    matcher = onStrings(
      operator === "prefix" ? (value) => value.startsWith(text) : (value) => value.endsWith(text),
    );
  }
  return hasOtherKeys ? rejectPattern("Only one key allowed in match expression") : valueTest(matcher);
}

interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

/** {"numeric": ["=", 5]}, [">", 0], ["<=", 9], or a lower bound followed by an upper one. */
function compileNumeric(terms: readonly JsonValue[]): ValueMatcher {
  const [operator, operand, secondOperator, secondOperand] = terms;
  if (typeof operator !== "string") {
    return rejectPattern(`Invalid member in numeric match: ${tokenText(operator)}`);
  }
  const operandName = operator === "=" ? "equals" : operator;
  const requireNumber = (term: JsonValue | undefined, name: string): JsonNumber =>
    term instanceof JsonNumber ? term : rejectPattern(`Value of ${name} must be numeric`);

  switch (operator) {
    case "=": {
      const expected = requireNumber(operand, operandName);
      if (terms.length > 2) return rejectPattern(TOO_MANY_ELEMENTS);
      const expectedDouble = comparableOperand(expected);
      return (value) => value instanceof JsonNumber && value.comparable === expectedDouble;
    }
    case "<":
    case "<=": {
      const top = requireNumber(operand, operandName);
      if (terms.length > 2) return rejectPattern(TOO_MANY_ELEMENTS);
      return numericRange(undefined, { value: comparableOperand(top), inclusive: operator === "<=" });
    }
    case ">":
    case ">=": {
      const bottom = requireNumber(operand, operandName);
      const lower = (): Bound => ({ value: comparableOperand(bottom), inclusive: operator === ">=" });
      if (terms.length === 2) return numericRange(lower(), undefined);
      if (typeof secondOperator !== "string") {
        return rejectPattern(`Bad value in numeric range: ${tokenText(secondOperator)}`);
      }
      if (secondOperator !== "<" && secondOperator !== "<=") {
        return rejectPattern(`Bad numeric range operator: ${secondOperator}`);
      }
      const top = requireNumber(secondOperand, secondOperator);
      if (terms.length > 4) return rejectPattern("Too many terms in numeric range expression");
      const lowerBound = lower();
      const upperBound = { value: comparableOperand(top), inclusive: secondOperator === "<=" };
      if (lowerBound.value >= upperBound.value) {
        return rejectPattern("Bottom must be less than top");
      }
      return numericRange(lowerBound, upperBound);
    }
    default:
      return rejectPattern(`Unrecognized numeric range operator: ${operator}`);
  }
}

function numericRange(lower: Bound | undefined, upper: Bound | undefined): ValueMatcher {
  return (value) => {
    if (!(value instanceof JsonNumber)) return false;
    const actual = value.comparable;
    if (actual === undefined) return false;
    if (lower && (lower.inclusive ? actual < lower.value : actual <= lower.value)) return false;
    if (upper && (upper.inclusive ? actual > upper.value : actual >= upper.value)) return false;
    return true;
  };
}

/** Operands of numeric comparisons must be numbers a double holds exactly. */
function comparableOperand(number: JsonNumber): number {
  return number.comparable ?? rejectPattern(`Cannot compare number : ${number.text}`);
}

/** How EventBridge's streaming parser names a token in its messages. */
function tokenText(token: JsonValue | undefined): string {
  if (token === undefined) return "]";
  if (typeof token === "string") return token;
  if (token instanceof JsonNumber) return token.text;
  if (Array.isArray(token)) return "[";
  if (token instanceof JsonObject) return "{";
  return String(token);
}

type AnythingButKind = "equals-ignore-case" | "prefix" | "suffix" | "wildcard";

/**
 * {"anything-but": ...}: a plain value or list of values, or {"prefix" | "suffix" | "wildcard" |
 * "equals-ignore-case": value or list}. It matches any present value that is not excluded — null, booleans
 * and numbers included when the exclusions are strings — but never a missing field.
 */
function compileAnythingBut(operand: JsonValue, hasOtherKeys: boolean): ValueMatcher {
  let kind: AnythingButKind | undefined;
  let values = operand;
  let nestedHasOtherKeys = false;
  if (operand instanceof JsonObject) {
    const [inner, ...innerOthers] = operand.entries;
    if (!inner) return rejectPattern("Anything-But expression name not found");
    const [innerOperator, innerOperand] = inner;
    if (
      innerOperator !== "equals-ignore-case" &&
      innerOperator !== "prefix" &&
      innerOperator !== "suffix" &&
      innerOperator !== "wildcard"
    ) {
      return rejectPattern(`Unsupported anything-but pattern: ${innerOperator}`);
    }
    kind = innerOperator;
    values = innerOperand;
    nestedHasOtherKeys = innerOthers.length > 0;
  }
  if (!(Array.isArray(values) || typeof values === "string" || values instanceof JsonNumber)) {
    return rejectPattern("Value of anything-but must be an array or single string/number value.");
  }
  const list = Array.isArray(values) ? values : [values];
  // An empty nested list ({"prefix": []}) is accepted and excludes nothing.
  const matcher =
    kind === undefined
      ? plainAnythingBut(list)
      : stringsAnythingBut(
          kind,
          list.map((value) => requireAnythingButString(kind, value)),
        );
  if (nestedHasOtherKeys || hasOtherKeys) return rejectPattern(TOO_MANY_ELEMENTS);
  return matcher;
}

/** Plain exclusions: all strings or all numbers, never null or booleans. */
function plainAnythingBut(values: readonly JsonValue[]): ValueMatcher {
  const excludedStrings = new Set<string>();
  const excludedDoubles = new Set<number>();
  for (const value of values) {
    if (typeof value === "string") excludedStrings.add(value);
    else if (value instanceof JsonNumber) excludedDoubles.add(comparableOperand(value));
    else return rejectPattern("Inside anything but list, start|null|boolean is not supported.");
  }
  const hasStrings = excludedStrings.size > 0;
  if (hasStrings === excludedDoubles.size > 0) {
    return rejectPattern(
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    );
  }
  if (hasStrings) return (value) => typeof value !== "string" || !excludedStrings.has(value);
  return (value) => {
    const actual = value instanceof JsonNumber ? value.comparable : undefined;
    return actual === undefined || !excludedDoubles.has(actual);
  };
}

function requireAnythingButString(kind: AnythingButKind, value: JsonValue): string {
  if (typeof value === "string") {
    if ((kind === "prefix" || kind === "suffix") && value === "") {
      return rejectPattern("Null prefix/suffix not allowed");
    }
    return value;
  }
  if (kind === "equals-ignore-case") {
    return rejectPattern(
      "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    );
  }
  if (kind === "wildcard") return rejectPattern("wildcard match pattern must be a string");
  return rejectPattern("prefix/suffix match pattern must be a string");
}

/** What each nested anything-but operator excludes: the strings its operand matches. */
const EXCLUDERS: Readonly<Record<AnythingButKind, (operand: string) => (value: string) => boolean>> = {
  prefix: (operand) => (value) => value.startsWith(operand),
  suffix: (operand) => (value) => value.endsWith(operand),
  "equals-ignore-case": (operand) => compileIgnoreCase(operand, "whole"),
  wildcard: (operand) => compileWildcard(operand),
};

function stringsAnythingBut(kind: AnythingButKind, operands: readonly string[]): ValueMatcher {
  const excluders = operands.map(EXCLUDERS[kind]);
  return (value) => typeof value !== "string" || !excluders.some((isExcluded) => isExcluded(value));
}
