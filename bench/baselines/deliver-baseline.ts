/**
 * The warm benchmark's baseline for a push delivery: a hand-written SQS handler with the bare AWS SDK and no
 * middleware making the same AWS calls as the hub's delivery function on success (read the complaint, POST
 * the signed notice, write the attempt, read again and mark it delivered with a conditional update), the
 * webhook key cached per environment. No schema validation, batch processor, logging, metrics or tracing.
 */
import { createHmac } from "node:crypto";
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});
const tableName = process.env.TABLE_NAME ?? "complaints";
const endpoint = process.env.PLATFORM_ENDPOINT ?? "https://platform.example/after-sale";
const secretId = process.env.WEBHOOK_SECRET_ID ?? "webhook";
let webhookKey: { value: Buffer; at: number } | undefined;

async function key(): Promise<Buffer> {
  if (!webhookKey || Date.now() - webhookKey.at > 300_000) {
    const answer = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    const { current } = JSON.parse(answer.SecretString ?? "{}") as { current: string };
    webhookKey = { value: Buffer.from(current.replace(/^whsec_/, ""), "base64"), at: Date.now() };
  }
  return webhookKey.value;
}

async function readComplaint(complaintId: string) {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: marshall({ pk: `C#${complaintId}`, sk: "META" }),
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const notice = JSON.parse(record.body) as { noticeId: string; complaintId: string };
    const complaint = await readComplaint(notice.complaintId);
    if (!complaint) continue;
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac("sha256", await key())
      .update(`${notice.noticeId}.${timestamp}.${record.body}`)
      .digest("base64");
    const started = performance.now();
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": notice.noticeId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": `v1,${signature}`,
      },
      body: record.body,
    });
    const answer = await response.text();
    if (!response.ok) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const caseRef = String((JSON.parse(answer) as { data?: { caseId?: string } }).data?.caseId ?? "");
    const at = new Date().toISOString();
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({
          pk: `C#${notice.complaintId}`,
          sk: `ATTEMPT#${at}#1`,
          at,
          outcome: "delivered",
          httpStatus: response.status,
          latencyMs: Math.round(performance.now() - started),
        }),
      }),
    );
    const current = await readComplaint(notice.complaintId);
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ pk: `C#${notice.complaintId}`, sk: "META" }),
        UpdateExpression: "SET #status = :delivered, #delivery.#caseRef = :caseRef, #version = :next",
        ConditionExpression: "#version = :version",
        ExpressionAttributeNames: {
          "#status": "status",
          "#delivery": "delivery",
          "#caseRef": "caseRef",
          "#version": "version",
        },
        ExpressionAttributeValues: marshall({
          ":delivered": "DELIVERED",
          ":caseRef": caseRef,
          ":next": Number(current?.version ?? 0) + 1,
          ":version": Number(current?.version ?? 0),
        }),
      }),
    );
  }
  return { batchItemFailures: failures };
}
