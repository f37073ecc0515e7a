import type { SuccessRule } from "../../infra/platforms";

export type Judgement = { ok: true; caseRef: string } | { ok: false; reason: string };

/** Reads a dot path ("data.caseId") from a parsed JSON body. */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Decides whether a 2xx answer really is a success for this platform: some after-sale APIs answer 200
 * with an error code in the body, and a success must name the case it opened.
 */
export function judgeAnswer(rule: SuccessRule, status: number, bodyText: string): Judgement {
  if (!rule.statuses.includes(status))
    return { ok: false, reason: `status ${status} is not a success status` };
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { ok: false, reason: `status ${status} with a body that is not JSON` };
  }
  if (rule.body) {
    const actual = readPath(body, rule.body.field);
    if (!rule.body.equals.some((expected) => expected === actual)) {
      return { ok: false, reason: `status ${status} with ${rule.body.field}=${describe(actual)}` };
    }
  }
  const caseRef = readPath(body, rule.caseRefField);
  if ((typeof caseRef !== "string" && typeof caseRef !== "number") || String(caseRef).length === 0) {
    return { ok: false, reason: `status ${status} without a case reference at ${rule.caseRefField}` };
  }
  return { ok: true, caseRef: String(caseRef).slice(0, 128) };
}

const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,40}$/;

/** Describes an error code without echoing arbitrary platform text into records. */
function describe(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  // Only a code-like token is named; free text (which may quote the consumer back) is described by its type.
  if (typeof value === "string") return ERROR_CODE.test(value) ? JSON.stringify(value) : "a text";
  return value === undefined ? "missing" : typeof value;
}
