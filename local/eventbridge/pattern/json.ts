/**
 * A small strict JSON parser for patterns and events. JSON.parse is not enough here because EventBridge's
 * streaming parser (Jackson) keeps two things JSON.parse throws away:
 * - the text of every number (so 12345678901234567890 is not rounded before it is compared), and
 * - every member of an object in document order, duplicates included (an event with a key twice offers
 *   both values to the pattern, and later pattern members override earlier ones in order).
 */
import { JsonNumber } from "./numbers";

export class JsonObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonValue]>) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | JsonObject;

export class JsonSyntaxError extends Error {
  override name = "JsonSyntaxError";
}

// Jackson's default limit; it also keeps a hostile document from overflowing the stack.
const MAX_NESTING_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

export function parseJson(text: string): JsonValue {
  return new Parser(text).parseDocument();
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.position < this.text.length) this.fail("expected end of input after the JSON value");
    return value;
  }

  private parseValue(): JsonValue {
    this.skipWhitespace();
    const char = this.text[this.position];
    switch (char) {
      case "{":
        return this.parseObject();
      case "[":
        return this.parseArray();
      case '"':
        return this.parseString();
      case "t":
        return this.parseLiteral("true", true);
      case "f":
        return this.parseLiteral("false", false);
      case "n":
        return this.parseLiteral("null", null);
      default:
        if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return this.parseNumber();
        return this.fail("expected a value");
    }
  }

  private parseObject(): JsonObject {
    this.enterContainer();
    const entries: (readonly [string, JsonValue])[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === "}") {
      this.position++;
    } else {
      for (;;) {
        this.skipWhitespace();
        if (this.text[this.position] !== '"') this.fail("was expecting double-quote to start field name");
        const name = this.parseString();
        this.skipWhitespace();
        if (this.text[this.position] !== ":") {
          this.fail("was expecting a colon to separate field name and value");
        }
        this.position++;
        entries.push([name, this.parseValue()]);
        this.skipWhitespace();
        const separator = this.text[this.position++];
        if (separator === "}") break;
        if (separator !== ",") this.fail("was expecting comma to separate Object entries", this.position - 1);
      }
    }
    this.depth--;
    return new JsonObject(entries);
  }

  private parseArray(): JsonValue[] {
    this.enterContainer();
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === "]") {
      this.position++;
    } else {
      for (;;) {
        items.push(this.parseValue());
        this.skipWhitespace();
        const separator = this.text[this.position++];
        if (separator === "]") break;
        if (separator !== ",") this.fail("was expecting comma to separate Array entries", this.position - 1);
      }
    }
    this.depth--;
    return items;
  }

  private enterContainer(): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new JsonSyntaxError(`Document nesting depth exceeds the maximum allowed (${MAX_NESTING_DEPTH})`);
    }
    this.position++;
  }

  private parseString(): string {
    const { text } = this;
    let position = this.position + 1;
    let value = "";
    let chunkStart = position;
    for (;;) {
      const code = text.charCodeAt(position);
      if (Number.isNaN(code)) {
        this.position = position;
        this.fail("was expecting closing quote for a string value");
      }
      if (code === 0x22) break;
      if (code < 0x20) {
        throw new JsonSyntaxError(
          `Illegal unquoted character ((CTRL-CHAR, code ${code})): has to be escaped using backslash ` +
            `to be included in string value${this.describePosition(position)}`,
        );
      }
      if (code !== 0x5c) {
        position++;
        continue;
      }
      value += text.slice(chunkStart, position);
      const escaped = text[position + 1];
      if (escaped === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(position + 2, position + 6))) {
        value += String.fromCharCode(Number.parseInt(text.slice(position + 2, position + 6), 16));
        position += 6;
      } else if (escaped !== undefined && escaped !== "u" && SIMPLE_ESCAPES[escaped] !== undefined) {
        value += SIMPLE_ESCAPES[escaped];
        position += 2;
      } else {
        throw new JsonSyntaxError(`Unrecognized character escape${this.describePosition(position)}`);
      }
      chunkStart = position;
    }
    value += text.slice(chunkStart, position);
    this.position = position + 1;
    return value;
  }

  private parseNumber(): JsonNumber {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail("expected a valid number");
    this.position += match[0].length;
    const next = this.text[this.position];
    if (next !== undefined && next >= "0" && next <= "9") {
      throw new JsonSyntaxError(
        `Invalid numeric value: Leading zeroes not allowed${this.describePosition(this.position)}`,
      );
    }
    return new JsonNumber(match[0]);
  }

  private parseLiteral<T extends boolean | null>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) {
      const token = /^[^\s{}[\],:"]*/.exec(this.text.slice(this.position))?.[0] ?? "";
      throw new JsonSyntaxError(
        `Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token ` +
          `'null', 'true' or 'false')${this.describePosition(this.position)}`,
      );
    }
    this.position += word.length;
    return value;
  }

  private skipWhitespace(): void {
    const { text } = this;
    let position = this.position;
    for (;;) {
      const code = text.charCodeAt(position);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
      position++;
    }
    this.position = position;
  }

  private fail(expectation: string, at = this.position): never {
    const char = this.text[at];
    const found =
      char === undefined
        ? "Unexpected end-of-input"
        : `Unexpected character ('${char}' (code ${char.charCodeAt(0)}))`;
    throw new JsonSyntaxError(`${found}: ${expectation}${this.describePosition(at)}`);
  }

  private describePosition(at: number): string {
    const before = this.text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    return ` at line ${line}, column ${column}`;
  }
}
