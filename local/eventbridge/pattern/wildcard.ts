/**
 * The "wildcard" operator: `*` stands for any run of characters (including none); `\*` is a literal
 * asterisk and `\\` a literal backslash. Any other backslash, and two `*` in a row, are rejected.
 */
import { rejectPattern } from "./errors";

/** Parses a wildcard operand and returns a matcher for string values. */
export function compileWildcard(pattern: string): (value: string) => boolean {
  const segments = splitOnWildcards(pattern);
  const [first = "", ...rest] = segments;
  const last = rest.pop();
  if (last === undefined) return (value) => value === first;
  const middle = rest;
  const minimumLength = segments.reduce((total, segment) => total + segment.length, 0);

  // Anchor the first and last literal segments, then find each middle one leftmost-first: for `*` alone
  // that greedy choice never loses a match, and it keeps matching linear in the value's length.
  return (value) => {
    if (value.length < minimumLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    let position = first.length;
    const end = value.length - last.length;
    for (const segment of middle) {
      const found = value.indexOf(segment, position);
      if (found === -1 || found + segment.length > end) return false;
      position = found + segment.length;
    }
    return true;
  };
}

/** The literal text between unescaped wildcards (one more segment than there are wildcards). */
function splitOnWildcards(pattern: string): string[] {
  const segments: string[] = [];
  let current = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === "*") {
      if (pattern[index + 1] === "*") {
        rejectPattern(`Consecutive wildcard characters at pos ${reportedPosition(pattern, index)}`);
      }
      segments.push(current);
      current = "";
    } else if (char === "\\") {
      const escaped = pattern[index + 1];
      if (escaped !== "*" && escaped !== "\\") {
        rejectPattern(`Invalid escape character at pos ${reportedPosition(pattern, index)}`);
      }
      current += escaped;
      index++;
    } else {
      current += char;
    }
  }
  segments.push(current);
  return segments;
}

/**
 * EventBridge reports the byte offset of the fault in the operand's UTF-8 form wrapped in quotes, so the
 * first character is at position 1.
 */
function reportedPosition(pattern: string, index: number): number {
  return Buffer.byteLength(pattern.slice(0, index), "utf8") + 1;
}
