/**
 * Numbers as EventBridge (Event Ruler) compares them.
 *
 * A JSON number is compared numerically only when a double holds exactly the value written: Event Ruler
 * reads the text as a decimal, converts it to a double and refuses the comparison ("Cannot compare number")
 * when the double's shortest decimal form is a different value. So 300, 300.0 and 3e2 are one number, while
 * 12345678901234567890 (which float64 would round) only ever matches the same text.
 */

/** A JSON number that keeps the text it was written with. */
export class JsonNumber {
  readonly text: string;
  // undefined: not worked out yet; null: the double would not hold this value exactly.
  #comparable: number | null | undefined;

  constructor(text: string, comparable?: number) {
    this.text = text;
    this.#comparable = comparable;
  }

  /** A number that started life as a JavaScript double, which by definition compares exactly. */
  static fromDouble(value: number): JsonNumber {
    // -0 reads as 0, as JSON.stringify writes it.
    const normalized = value === 0 ? 0 : value;
    return new JsonNumber(String(normalized), normalized);
  }

  /** The value as a double when the double is exactly the number written, otherwise undefined. */
  get comparable(): number | undefined {
    if (this.#comparable === undefined) this.#comparable = comparableDouble(this.text) ?? null;
    return this.#comparable ?? undefined;
  }
}

/** The double for a JSON number text, or undefined when no double holds that exact value. */
export function comparableDouble(text: string): number | undefined {
  const double = Number(text);
  if (!Number.isFinite(double)) return undefined;
  if (canonicalDecimal(text) !== canonicalDecimal(String(double))) return undefined;
  // EventBridge reads the text as a decimal first, and a decimal has no negative zero.
  return double === 0 ? 0 : double;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** "sign digits e exponent" with no leading or trailing zeros, so equal values give equal strings. */
function canonicalDecimal(text: string): string | undefined {
  const parts = DECIMAL.exec(text);
  if (!parts) return undefined;
  const [, sign = "", integerDigits = "", fractionDigits = "", exponentText = "0"] = parts;
  let digits = integerDigits + fractionDigits;
  let exponent = Number(exponentText) - fractionDigits.length;
  const firstSignificant = digits.search(/[1-9]/);
  if (firstSignificant === -1) return "0";
  digits = digits.slice(firstSignificant);
  const trimmed = digits.replace(/0+$/, "");
  exponent += digits.length - trimmed.length;
  return `${sign === "-" ? "-" : ""}${trimmed}e${exponent}`;
}
