/**
 * The people and systems around the hub, as end-to-end tests play them through the local cloud: a platform
 * signing its requests with its own secret, a consumer holding a tracking token, an operator with table access.
 * Every timestamp comes from the local cloud's clock, so tests that move the clock stay consistent.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { LocalCloud } from "../../local/local-cloud";
import { parseWebhookSecrets, signWebhook } from "../../shared/delivery/signing";
import type { OperatorDependencies } from "../../shared/operator/operator-actions";
import { isEnabledPlatform } from "../../shared/platform/dependencies";
import { ComplaintStore } from "../../shared/store/complaint-store";
import type { Filed } from "./harness";

export interface Answer {
  status: number;
  contentType: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, inspected freely
  body: any;
}

async function answerOf(response: Response): Promise<Answer> {
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.json(),
  };
}

/** A request as the platform sends it: `platform-id` and Standard Webhooks headers with its own secret. */
export async function asPlatform(
  cloud: LocalCloud,
  platformId: string,
  method: "GET" | "POST",
  path: string,
  body?: object,
  options: { signAs?: string } = {},
): Promise<Answer> {
  const payload = body ? JSON.stringify(body) : "";
  const secret = await cloud.secrets.currentValue(
    `complaint-hub/${cloud.stage}/platforms/${options.signAs ?? platformId}/webhook`,
  );
  const response = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: {
      ...(body ? { "content-type": "application/json" } : {}),
      "platform-id": platformId,
      ...signWebhook(parseWebhookSecrets(secret), `msg_${randomUUID()}`, cloud.clock.now(), payload),
    },
    ...(body ? { body: payload } : {}),
  });
  return answerOf(response);
}

/** A platform's report on a complaint (POST /platform/v1/complaints/{id}/events) with a fresh eventId. */
export function platformReport(
  cloud: LocalCloud,
  platformId: string,
  complaintId: string,
  type: string,
  extra: Record<string, unknown> = {},
  options: { signAs?: string } = {},
): Promise<Answer> {
  return asPlatform(
    cloud,
    platformId,
    "POST",
    `/platform/v1/complaints/${complaintId}/events`,
    { eventId: `e2e-${randomUUID()}`, type, occurredAt: cloud.clock.now().toISOString(), ...extra },
    options,
  );
}

/** The consumer acting on their complaint (POST /v1/complaints/{id}/<action>) with its tracking token. */
export async function asConsumer(
  cloud: LocalCloud,
  filed: Filed,
  action: string,
  body?: unknown,
  token: string | undefined = filed.trackingToken,
): Promise<Answer> {
  const response = await fetch(`${cloud.apiUrl}/v1/complaints/${filed.complaintId}/${action}`, {
    method: "POST",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return answerOf(response);
}

/** What the ops CLI works with: the complaints table through the local cloud's DynamoDB, on its clock. */
export function operatorDependencies(cloud: LocalCloud): OperatorDependencies {
  const client = new DynamoDBClient({
    endpoint: cloud.awsEndpoint,
    region: cloud.region,
    credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    store: new ComplaintStore(doc, cloud.output("TableName")),
    now: () => cloud.clock.now(),
    isMember: isEnabledPlatform,
  };
}
