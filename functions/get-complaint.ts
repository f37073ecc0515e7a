import type { APIGatewayProxyEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { consumerView } from "../shared/complaint/consumer-view";
import { COMPLAINT_ID_PATTERN } from "../shared/complaint/identity";
import { requireEnv } from "../shared/env";
import { apiHandler, jsonResponse } from "../shared/http/api-handler";
import { headerValue } from "../shared/http/headers";
import { ProblemError } from "../shared/http/problem";
import { tokenMatches } from "../shared/security/tracking-token";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** GET /v1/complaints/{id} with `Authorization: Bearer <trackingToken>`. */
export const handler = apiHandler(async (event: APIGatewayProxyEvent) => {
  const token = bearerToken(headerValue(event.headers, "authorization"));
  if (!token) {
    throw new ProblemError(
      "unauthorized",
      "Send the tracking token as Authorization: Bearer <token>",
      undefined,
      {
        "www-authenticate": 'Bearer realm="complaint-hub"',
      },
    );
  }
  const complaintId = event.pathParameters?.id ?? "";
  const record = COMPLAINT_ID_PATTERN.test(complaintId) ? await store.get(complaintId) : undefined;
  // The same answer for "no such complaint" and "wrong token": ids cannot be probed.
  if (!record || !tokenMatches(token, record.trackingTokenHash)) {
    throw new ProblemError("notFound", "No complaint with this id and token");
  }
  return jsonResponse(200, consumerView(record));
});

function bearerToken(header: string | undefined): string | undefined {
  // The auth scheme is case-insensitive (RFC 9110 §11.1); the token itself is not.
  return header?.match(/^Bearer\s+([A-Za-z0-9_-]{16,128})\s*$/i)?.[1];
}
