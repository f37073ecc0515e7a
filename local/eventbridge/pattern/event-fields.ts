/**
 * An event flattened the way EventBridge sees it: every leaf value (string, number, boolean or null) under
 * the dot-joined path of keys leading to it. Objects and empty arrays are not values themselves, and array
 * elements share their array's path. So {"a": {"b.c": 1}} and {"a.b": {"c": 1}} both give "a.b.c" = 1.
 *
 * Each value also records which element of each enclosing array it came from (its array membership), so
 * that one match cannot combine values from different elements of the same array.
 */
import { JsonObject, type JsonValue, parseJson } from "./json";
import { JsonNumber } from "./numbers";

export type EventLeaf = string | boolean | null | JsonNumber;

export interface EventField {
  readonly value: EventLeaf;
  readonly membership: ArrayMembership;
}

/** Which element of which array (arrays numbered in document order) a value sits in. */
export class ArrayMembership {
  static readonly NONE = new ArrayMembership(new Map(), "");

  private constructor(
    private readonly elementByArray: ReadonlyMap<number, number>,
    /** Equal for equal memberships; used to remember failed searches. */
    readonly signature: string,
  ) {}

  within(arrayId: number, elementIndex: number): ArrayMembership {
    const elementByArray = new Map(this.elementByArray).set(arrayId, elementIndex);
    return ArrayMembership.of(elementByArray);
  }

  /** Both memberships together, or undefined if they name different elements of the same array. */
  combinedWith(other: ArrayMembership): ArrayMembership | undefined {
    if (other.elementByArray.size === 0) return this;
    if (this.elementByArray.size === 0) return other;
    let combined: Map<number, number> | undefined;
    for (const [arrayId, elementIndex] of other.elementByArray) {
      const mine = this.elementByArray.get(arrayId);
      if (mine === undefined) {
        combined ??= new Map(this.elementByArray);
        combined.set(arrayId, elementIndex);
      } else if (mine !== elementIndex) {
        return undefined;
      }
    }
    return combined ? ArrayMembership.of(combined) : this;
  }

  isConsistentWith(other: ArrayMembership): boolean {
    for (const [arrayId, elementIndex] of other.elementByArray) {
      const mine = this.elementByArray.get(arrayId);
      if (mine !== undefined && mine !== elementIndex) return false;
    }
    return true;
  }

  private static of(elementByArray: Map<number, number>): ArrayMembership {
    const signature = [...elementByArray]
      .sort(([left], [right]) => left - right)
      .map(([arrayId, elementIndex]) => `${arrayId}:${elementIndex}`)
      .join(",");
    return new ArrayMembership(elementByArray, signature);
  }
}

/** An event ready to be matched against any number of patterns. */
export class FlattenedEvent {
  private constructor(readonly fieldsByPath: ReadonlyMap<string, readonly EventField[]>) {}

  static fromJsonText(text: string): FlattenedEvent | undefined {
    return FlattenedEvent.fromJsonValue(parseJson(text));
  }

  /** Undefined when the event is not a JSON object, which no pattern matches. */
  static fromJsonValue(root: JsonValue): FlattenedEvent | undefined {
    if (!(root instanceof JsonObject)) return undefined;
    const collector = new FieldCollector();
    collector.collectJsonObject(root, undefined, ArrayMembership.NONE);
    return new FlattenedEvent(collector.fieldsByPath);
  }

  /** Reads a JavaScript value as JSON.stringify would write it. */
  static fromJavaScriptValue(root: unknown): FlattenedEvent | undefined {
    const value = toJsonLike(root);
    if (!isJavaScriptContainer(value) || Array.isArray(value)) return undefined;
    const collector = new FieldCollector();
    collector.collectJavaScriptObject(value, undefined, ArrayMembership.NONE);
    return new FlattenedEvent(collector.fieldsByPath);
  }

  fieldsAt(path: string): readonly EventField[] {
    return this.fieldsByPath.get(path) ?? NO_FIELDS;
  }
}

const NO_FIELDS: readonly EventField[] = [];

class FieldCollector {
  readonly fieldsByPath = new Map<string, EventField[]>();
  private arrayCount = 0;

  collectJsonObject(object: JsonObject, path: string | undefined, membership: ArrayMembership): void {
    for (const [key, value] of object.entries) {
      this.collectJson(value, path === undefined ? key : `${path}.${key}`, membership);
    }
  }

  collectJavaScriptObject(object: object, path: string | undefined, membership: ArrayMembership): void {
    for (const [key, value] of Object.entries(object)) {
      const jsonValue = toJsonLike(value);
      // JSON.stringify leaves out members it cannot write.
      if (jsonValue !== undefined) {
        this.collectJavaScript(jsonValue, path === undefined ? key : `${path}.${key}`, membership);
      }
    }
  }

  private collectJson(value: JsonValue, path: string, membership: ArrayMembership): void {
    if (value instanceof JsonObject) {
      this.collectJsonObject(value, path, membership);
    } else if (Array.isArray(value)) {
      const arrayId = this.arrayCount++;
      value.forEach((element, index) => {
        // Only objects and arrays inside an array belong to one of its elements; scalars do not.
        const isContainer = element instanceof JsonObject || Array.isArray(element);
        this.collectJson(element, path, isContainer ? membership.within(arrayId, index) : membership);
      });
    } else {
      this.add(path, value, membership);
    }
  }

  private collectJavaScript(value: unknown, path: string, membership: ArrayMembership): void {
    if (Array.isArray(value)) {
      const arrayId = this.arrayCount++;
      value.forEach((element, index) => {
        // Inside arrays, JSON.stringify writes what it cannot represent as null.
        const jsonElement = toJsonLike(element) ?? null;
        const isContainer = isJavaScriptContainer(jsonElement);
        this.collectJavaScript(
          jsonElement,
          path,
          isContainer ? membership.within(arrayId, index) : membership,
        );
      });
    } else if (isJavaScriptContainer(value)) {
      this.collectJavaScriptObject(value, path, membership);
    } else {
      this.add(path, value as EventLeaf, membership);
    }
  }

  private add(path: string, value: EventLeaf, membership: ArrayMembership): void {
    const field = { value, membership };
    const existing = this.fieldsByPath.get(path);
    if (existing) existing.push(field);
    else this.fieldsByPath.set(path, [field]);
  }
}

function isJavaScriptContainer(value: unknown): value is object {
  return value !== null && typeof value === "object" && !(value instanceof JsonNumber);
}

/**
 * A JavaScript value in the shape JSON.stringify would give it: numbers become JsonNumbers (non-finite
 * ones null), toJSON() is honoured, and undefined means "left out".
 */
function toJsonLike(value: unknown): unknown {
  let current = value;
  if (
    current !== null &&
    typeof current === "object" &&
    typeof (current as { toJSON?: unknown }).toJSON === "function"
  ) {
    current = (current as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof current) {
    case "number":
      return Number.isFinite(current) ? JsonNumber.fromDouble(current) : null;
    case "bigint":
      return new JsonNumber(current.toString());
    case "string":
    case "boolean":
      return current;
    case "object":
      return current;
    default:
      return undefined;
  }
}
