import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { metrics } from "../shared/observability";
import { authenticatePlatform } from "../shared/platform/authenticate";
import { platformApiDependencies } from "../shared/platform/dependencies";
import { platformInbox } from "../shared/platform/inbox";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));
const deps = platformApiDependencies(store, requireEnv("PLATFORM_WEBHOOK_SECRET_ID"));

/** GET /platform/v1/complaints?status=&since=&limit=&cursor=, signed by the platform over an empty body. */
export const handler = apiHandler(async (event: APIGatewayProxyEvent) => {
  const platformId = await authenticatePlatform(deps, event.headers, "");
  const page = await platformInbox(store, platformId, event.queryStringParameters);
  metrics.addMetric("PlatformInboxPages", "Count", 1);
  return jsonResponse(200, page);
});
