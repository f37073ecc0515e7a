/**
 * The warm benchmark's baseline for POST /v1/complaints: what a hand-written handler with the bare AWS SDK
 * and no middleware does for the same AWS calls as the hub's submit function (the token key from Secrets
 * Manager, cached per environment; one conditional PutItem of the complaint). No validation, no screening,
 * no logging or metrics: the difference to the hub is what the hub's own code adds.
 */
import { createHash, createHmac } from "node:crypto";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const tableName = process.env.TABLE_NAME ?? "complaints";
const secretId = process.env.TRACKING_TOKEN_SECRET_ID ?? "tracking-token-key";
let tokenKey: { value: string; at: number } | undefined;

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const submission = JSON.parse(event.body ?? "{}") as Record<string, unknown>;
  const key = event.headers["idempotency-key"] ?? "";
  if (!tokenKey || Date.now() - tokenKey.at > 300_000) {
    const answer = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    tokenKey = { value: answer.SecretString ?? "", at: Date.now() };
  }
  const complaintId = `CH${createHash("sha256").update(key).digest("hex").slice(0, 20).toUpperCase()}`;
  const trackingToken = createHmac("sha256", tokenKey.value).update(complaintId).digest("base64url");
  const now = new Date().toISOString();
  await dynamodb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall(
        {
          pk: `C#${complaintId}`,
          sk: "META",
          complaintId,
          status: "ACCEPTED",
          submittedAt: now,
          submission,
        },
        { removeUndefinedValues: true },
      ),
      ConditionExpression: "attribute_not_exists(pk)",
    }),
  );
  return {
    statusCode: 201,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ complaintId, trackingToken, status: "ACCEPTED" }),
  };
}
