import type { SuccessRule } from "../../infra/platforms";

/**
 * Answers in the style of each platform's after-sale API, built from its success rule: the body field the
 * rule checks holds its first accepted value and the case reference sits at `caseRefField`, e.g.
 * `{ caseId }`, `{ success: true, data: { caseId } }` or `{ code: 0, result: { ticketNo } }`.
 */
export function successBody(rule: SuccessRule, caseRef: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (rule.body) setPath(body, rule.body.field, rule.body.equals[0]);
  setPath(body, rule.caseRefField, caseRef);
  return body;
}

/** 200 with an error in the body (no case reference): the rule's field holds a value it does not accept. */
export function errorBody(rule: SuccessRule): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (rule.body) setPath(body, rule.body.field, errorValue(rule.body.equals));
  else body.error = "internal error";
  body.errorMessage = "sandbox: simulated error answer";
  return body;
}

/** A value of the accepted values' type that is not accepted: false for `true`, 500 for `0`, "ERROR" for "0". */
export function errorValue(equals: readonly (string | number | boolean)[]): string | number | boolean {
  const first = equals[0];
  const candidates =
    typeof first === "boolean"
      ? [!first, "error"]
      : typeof first === "number"
        ? [500, -1, "error"]
        : ["ERROR", 500];
  return candidates.find((c) => !equals.includes(c)) ?? "sandbox-error";
}

/** Sets a dot path, creating the objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== "object") current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1] as string] = value;
}
