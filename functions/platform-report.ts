import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { ProblemError } from "../shared/http/problem";
import { logger, metrics } from "../shared/observability";
import { authenticatePlatform } from "../shared/platform/authenticate";
import { platformApiDependencies } from "../shared/platform/dependencies";
import { processReport } from "../shared/platform/process-report";
import { MAX_REPORT_BYTES } from "../shared/platform/report";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));
const deps = platformApiDependencies(store, requireEnv("PLATFORM_WEBHOOK_SECRET_ID"));

/** POST /platform/v1/complaints/{id}/events, signed by the platform (Standard Webhooks). */
export const handler = apiHandler(async (event: APIGatewayProxyEvent) => {
  const body = rawBody(event);
  const platformId = await authenticatePlatform(deps, event.headers, body);
  const outcome = await processReport(deps, platformId, event.pathParameters?.id ?? "", body);
  const { replayed, ...answer } = outcome;
  logger.info(replayed ? "Platform report repeated" : "Platform report accepted", {
    complaintId: outcome.complaintId,
    platform: platformId,
    type: outcome.type,
    status: outcome.status,
  });
  metrics.addMetric(replayed ? "PlatformReportRepeats" : "PlatformReports", "Count", 1);
  return jsonResponse(200, answer, replayed ? { "idempotent-replayed": "true" } : {});
});

/** The body exactly as signed: verified before anything parses it. */
function rawBody(event: APIGatewayProxyEvent): string {
  const body = event.isBase64Encoded
    ? Buffer.from(event.body ?? "", "base64").toString("utf8")
    : (event.body ?? "");
  if (Buffer.byteLength(body) > MAX_REPORT_BYTES) {
    throw new ProblemError("tooLarge", `The body must be at most ${MAX_REPORT_BYTES} bytes`);
  }
  return body;
}
