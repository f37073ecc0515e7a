import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { consumerView } from "../shared/complaint/consumer-view";
import { consumerRequest } from "../shared/consumer/action";
import { MAX_WITHDRAWAL_BYTES } from "../shared/consumer/requests";
import { withdrawComplaint } from "../shared/consumer/withdraw";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { logger, metrics } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** POST /v1/complaints/{id}/withdraw with `Authorization: Bearer <trackingToken>`; the body is optional. */
export const handler = apiHandler(
  async (event: APIGatewayProxyEvent) => {
    const complaint = await withdrawComplaint({ store, now: () => new Date() }, consumerRequest(event));
    logger.info("Complaint withdrawn", { complaintId: complaint.complaintId });
    metrics.addMetric("ComplaintsWithdrawn", "Count", 1);
    return jsonResponse(200, consumerView(complaint));
  },
  { jsonBody: { maxBytes: MAX_WITHDRAWAL_BYTES, optional: true } },
);
