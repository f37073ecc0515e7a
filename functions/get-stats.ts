import type { APIGatewayProxyEvent } from "aws-lambda";
import { PLATFORMS } from "../infra/platforms";
import { documentClient } from "../shared/aws/dynamodb";
import { requireEnv } from "../shared/env";
import { apiHandler } from "../shared/http/api-handler";
import { headerValue } from "../shared/http/headers";
import { statsResponse } from "../shared/stats/http-cache";
import { statsReader } from "../shared/stats/read-stats";
import { StatsStore } from "../shared/stats/stats-store";

const currentStats = statsReader({
  store: new StatsStore(documentClient, requireEnv("TABLE_NAME")),
  platforms: PLATFORMS,
  now: () => new Date(),
});

/** GET /v1/stats: the public transparency statistics (no authentication, cacheable). */
export const handler = apiHandler(async (event: APIGatewayProxyEvent) => {
  const { report, etag } = await currentStats();
  return statsResponse(report, etag, headerValue(event.headers, "if-none-match"));
});
