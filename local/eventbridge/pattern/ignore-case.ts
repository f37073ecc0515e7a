/**
 * Case-insensitive comparison as EventBridge does it: each character of the operand matches its own
 * lower-case or upper-case form (locale-independent), which may be several characters long ("ß" also
 * matches "SS"). That is not the same as lower-casing both sides, so it is compiled to a regular expression.
 */

export type IgnoreCaseAnchor = "whole" | "prefix" | "suffix";

export function compileIgnoreCase(operand: string, anchor: IgnoreCaseAnchor): (value: string) => boolean {
  let body = "";
  for (const char of operand) {
    const forms = [...new Set([char.toLowerCase(), char.toUpperCase()])].map(escapeForRegExp);
    body += forms.length === 1 ? forms[0] : `(?:${forms.join("|")})`;
  }
  const source = anchor === "whole" ? `^${body}$` : anchor === "prefix" ? `^${body}` : `${body}$`;
  const expression = new RegExp(source);
  return (value) => expression.test(value);
}

function escapeForRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}
