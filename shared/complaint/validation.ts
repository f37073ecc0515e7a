import type * as z from "zod";
import { ProblemError } from "../http/problem";
import type { FieldError } from "./submission";

/** zod issues as RFC 9457 per-field errors; messages name the rule, never echo the input. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.slice(0, 50).map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path] : issue.path;
    const pointer = `/${path.map((segment) => String(segment).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
    const detail =
      issue.code === "unrecognized_keys"
        ? `unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.map((k) => k.slice(0, 40)).join(", ")}`
        : issue.message;
    return { pointer: pointer === "/" ? "" : pointer, detail };
  });
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new ProblemError("validation", `${what} is not valid`, fieldErrors(result.error));
  return result.data;
}
