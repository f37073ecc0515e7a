import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { consumerView } from "../shared/complaint/consumer-view";
import { consumerRequest } from "../shared/consumer/action";
import { addMessage } from "../shared/consumer/message";
import { MAX_MESSAGE_BYTES } from "../shared/consumer/requests";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { logger, metrics } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** POST /v1/complaints/{id}/messages with `Authorization: Bearer <trackingToken>`. */
export const handler = apiHandler(
  async (event: APIGatewayProxyEvent) => {
    const complaint = await addMessage({ store, now: () => new Date() }, consumerRequest(event));
    // Never the text: ids and counts only.
    logger.info("Consumer information added", {
      complaintId: complaint.complaintId,
      messages: complaint.consumerMessages,
    });
    metrics.addMetric("ConsumerMessages", "Count", 1);
    return jsonResponse(200, consumerView(complaint));
  },
  { jsonBody: { maxBytes: MAX_MESSAGE_BYTES } },
);
