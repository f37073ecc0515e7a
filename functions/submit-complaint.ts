import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { secretString } from "../shared/aws/secrets";
import { MAX_SUBMISSION_BYTES } from "../shared/complaint/submission";
import { submitComplaint } from "../shared/complaint/submit-complaint";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { headerValue } from "../shared/http/headers";
import { logger, metrics } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));
const tokenSecretId = requireEnv("TRACKING_TOKEN_SECRET_ID");

/** POST /v1/complaints */
export const handler = apiHandler(
  async (event: APIGatewayProxyEvent) => {
    const outcome = await submitComplaint(
      { store, trackingTokenKey: () => secretString(tokenSecretId), now: () => new Date() },
      event.body as unknown,
      headerValue(event.headers, "idempotency-key"),
    );
    const { complaintId } = outcome.receipt;
    logger.info(outcome.created ? "Complaint accepted" : "Idempotent repeat", { complaintId });
    metrics.addMetric(outcome.created ? "ComplaintsAccepted" : "IdempotentRepeats", "Count", 1);
    return jsonResponse(outcome.created ? 201 : 200, outcome.receipt, {
      location: `/v1/complaints/${complaintId}`,
    });
  },
  { jsonBody: { maxBytes: MAX_SUBMISSION_BYTES } },
);
