import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { consumerView } from "../shared/complaint/consumer-view";
import { consumerRequest } from "../shared/consumer/action";
import { giveFeedback } from "../shared/consumer/feedback";
import { MAX_FEEDBACK_BYTES } from "../shared/consumer/requests";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { logger, metrics } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** POST /v1/complaints/{id}/feedback with `Authorization: Bearer <trackingToken>`. */
export const handler = apiHandler(
  async (event: APIGatewayProxyEvent) => {
    const complaint = await giveFeedback({ store, now: () => new Date() }, consumerRequest(event));
    logger.info("Consumer feedback recorded", {
      complaintId: complaint.complaintId,
      status: complaint.status,
    });
    metrics.addMetric("ConsumerFeedback", "Count", 1);
    return jsonResponse(200, consumerView(complaint));
  },
  { jsonBody: { maxBytes: MAX_FEEDBACK_BYTES } },
);
