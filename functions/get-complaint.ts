import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { consumerView } from "../shared/complaint/consumer-view";
import { complaintForToken, requireBearerToken } from "../shared/consumer/authenticate";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** GET /v1/complaints/{id} with `Authorization: Bearer <trackingToken>`. */
export const handler = apiHandler(async (event: APIGatewayProxyEvent) => {
  const token = requireBearerToken(event.headers);
  const record = await complaintForToken(store, event.pathParameters?.id ?? "", token);
  return jsonResponse(200, consumerView(record));
});
