/**
 * EventBridge event patterns for the local cloud, held to the semantics of AWS's own matcher (Event Ruler):
 * exact values, prefix/suffix/equals-ignore-case/wildcard, anything-but in all its forms, numeric ranges,
 * exists, cidr, $or, array consistency, and EventBridge's reasons for rejecting a pattern.
 * The cases in ../shared/fixtures/eventbridge-patterns are the reference (see test/local/event-pattern.test.ts).
 *
 * Known gaps:
 * - EventBridge's unpublished "Rule is too complex" limit on wildcard patterns is not enforced
 *   (fixture case content_wildcard_complex_EXC is accepted here).
 * - Rejection reasons carry EventBridge's text but not the parser location it appends
 *   (" at [Source: ...; line: 1, column: N]"); malformed JSON is described in our own words.
 *
 * Use: compile each rule once, then call matches() per event. To match one event against many rules,
 * prepareEvent() it once and pass the result to each rule.
 */
import { compileSubRules } from "./pattern/compile";
import { InvalidEventPatternError } from "./pattern/errors";
import { FlattenedEvent } from "./pattern/event-fields";
import { JsonSyntaxError, type JsonValue, parseJson } from "./pattern/json";
import { subRuleMatches } from "./pattern/match";

export { InvalidEventPatternError } from "./pattern/errors";

export interface CompiledPattern {
  /**
   * Whether the event matches. The event may be JSON text, a parsed object, or a PreparedEvent; anything
   * that is not a JSON object matches nothing. Throws SyntaxError for malformed JSON text.
   */
  matches(event: unknown): boolean;
}

/** An event parsed and flattened once, ready to be matched against any number of patterns. */
export class PreparedEvent {
  private constructor(readonly flattened: FlattenedEvent | undefined) {}

  static from(event: string | object): PreparedEvent {
    return new PreparedEvent(flattenEvent(event));
  }
}

/**
 * Parses and validates a pattern (JSON text or already-parsed object). Throws InvalidEventPatternError with
 * EventBridge's own error text (e.g. "Event pattern is not valid. Reason: ...") for invalid patterns.
 */
export function compileEventPattern(pattern: string | object): CompiledPattern {
  const subRules = compileSubRules(parsePattern(pattern));
  return {
    matches: (event) => {
      const flattened = event instanceof PreparedEvent ? event.flattened : flattenEvent(event);
      return flattened !== undefined && subRules.some((rule) => subRuleMatches(rule, flattened));
    },
  };
}

/** Convenience: parse event JSON text (keeping number forms so 300.0 == 300 and "300" != 300) and match. */
export function matchesEventPattern(pattern: string | object, event: string | object): boolean {
  return compileEventPattern(pattern).matches(event);
}

/** Parses and flattens an event once, for matching against many patterns. */
export function prepareEvent(event: string | object): PreparedEvent {
  return PreparedEvent.from(event);
}

function flattenEvent(event: unknown): FlattenedEvent | undefined {
  if (typeof event !== "string") return FlattenedEvent.fromJavaScriptValue(event);
  try {
    return FlattenedEvent.fromJsonText(event);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new SyntaxError(`Event is not valid JSON: ${error.message}`);
    throw error;
  }
}

function parsePattern(pattern: string | object): JsonValue {
  let text: string | undefined;
  if (typeof pattern === "string") {
    text = pattern;
  } else {
    try {
      // An object pattern goes through its JSON text so both forms are read the same way.
      text = JSON.stringify(pattern);
    } catch (error) {
      throw new InvalidEventPatternError(`Filter is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (text === undefined) throw new InvalidEventPatternError("Filter is not an object");
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new InvalidEventPatternError(error.message);
    throw error;
  }
}
