import type { APIGatewayProxyResult } from "aws-lambda";
import type { FieldError } from "../complaint/submission";

/** RFC 9457 problem details. `type` values are stable: clients may switch on them. */
export const PROBLEM_TYPES = {
  malformedJson: {
    type: "urn:complaint-hub:problem:malformed-json",
    title: "The body is not valid JSON",
    status: 400,
  },
  validation: {
    type: "urn:complaint-hub:problem:validation",
    title: "The request is not valid",
    status: 400,
  },
  unauthorized: {
    type: "urn:complaint-hub:problem:unauthorized",
    title: "Credentials are missing",
    status: 401,
  },
  signatureRefused: {
    type: "urn:complaint-hub:problem:signature-refused",
    title: "The request signature was refused",
    status: 401,
  },
  forbidden: {
    type: "urn:complaint-hub:problem:forbidden",
    title: "The caller may not act on this resource",
    status: 403,
  },
  notFound: { type: "urn:complaint-hub:problem:not-found", title: "No such resource", status: 404 },
  eventIdConflict: {
    type: "urn:complaint-hub:problem:event-id-conflict",
    title: "The eventId was already used with a different report",
    status: 409,
  },
  idempotencyConflict: {
    type: "urn:complaint-hub:problem:idempotency-conflict",
    title: "The Idempotency-Key was already used with a different body",
    status: 409,
  },
  illegalTransition: {
    type: "urn:complaint-hub:problem:illegal-transition",
    title: "The complaint's status does not allow this",
    status: 409,
  },
  concurrentChange: {
    type: "urn:complaint-hub:problem:concurrent-change",
    title: "The complaint changed while the request was processed; read it again and retry",
    status: 409,
  },
  throttled: { type: "urn:complaint-hub:problem:throttled", title: "Too many requests", status: 429 },
  tooLarge: {
    type: "urn:complaint-hub:problem:payload-too-large",
    title: "The body is too large",
    status: 413,
  },
  unsupportedMediaType: {
    type: "urn:complaint-hub:problem:unsupported-media-type",
    title: "The body must be application/json",
    status: 415,
  },
  internal: {
    type: "urn:complaint-hub:problem:internal",
    title: "Something went wrong on our side",
    status: 500,
  },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export class ProblemError extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? PROBLEM_TYPES[kind].title);
    this.name = "ProblemError";
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemResponse(error: ProblemError, instance?: string): APIGatewayProxyResult {
  const { type, title, status } = PROBLEM_TYPES[error.kind];
  return {
    statusCode: status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store", ...error.headers },
    body: JSON.stringify({
      type,
      title,
      status,
      ...(error.detail ? { detail: error.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(error.errors?.length ? { errors: error.errors } : {}),
    }),
  };
}
