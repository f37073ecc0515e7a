import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy, { type MiddlewareObj } from "@middy/core";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { logger, metrics, tracer } from "../observability";
import { ProblemError, problemResponse } from "./problem";

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Refuses oversized bodies before anything parses them. */
function bodyLimit(maxBytes: number): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: async ({ event }) => {
      const body = event.body ?? "";
      const bytes = event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
      if (bytes > maxBytes) throw new ProblemError("tooLarge", `The body must be at most ${maxBytes} bytes`);
    },
  };
}

/** Every error leaves as problem+json: known ones with their status, anything else as a 500 without details. */
function problemErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const instance = request.context.awsRequestId;
      const error = request.error;
      if (error instanceof ProblemError) {
        request.response = problemResponse(error, instance);
        return;
      }
      const middyStatus = (error as { statusCode?: number } | null)?.statusCode;
      if (middyStatus === 415 && error?.message === "Unsupported Media Type") {
        request.response = problemResponse(new ProblemError("unsupportedMediaType"), instance);
        return;
      }
      if (middyStatus === 415) {
        // @middy/http-json-body-parser reports unparsable JSON as 415; it is a malformed request.
        request.response = problemResponse(new ProblemError("malformedJson"), instance);
        return;
      }
      // Log the class of failure only: messages of AWS or parsing errors may echo input.
      logger.error("Unhandled error", { errorName: error?.name ?? "unknown" });
      metrics.addMetric("UnhandledErrors", "Count", 1);
      request.response = problemResponse(new ProblemError("internal"), instance);
    },
  };
}

/** JSON parsing; with `optional`, a request without a body (or with an empty one) is taken as `{}`. */
function jsonBodyParser(optional: boolean): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const parser = httpJsonBodyParser<APIGatewayProxyEvent>();
  return {
    before: async (request) => {
      if (optional && !request.event.body?.trim()) {
        (request.event as { body: unknown }).body = {};
        return;
      }
      await parser.before?.(request);
    },
  };
}

/**
 * The house middleware for API Gateway handlers; `jsonBody` adds size limit and JSON parsing (`optional` for
 * routes whose body may be left out).
 */
export function apiHandler(
  handler: ApiHandler,
  options: { jsonBody?: { maxBytes: number; optional?: boolean } } = {},
) {
  const chain = middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .use(problemErrors());
  if (options.jsonBody) {
    chain.use(bodyLimit(options.jsonBody.maxBytes)).use(jsonBodyParser(options.jsonBody.optional ?? false));
  }
  return chain;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}
