/**
 * The realistic events the cold and warm benchmarks hand the functions: the README's example complaint as
 * API Gateway delivers POST /v1/complaints, and the ComplaintNotice of a queued complaint as SQS delivers it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ComplaintRecord } from "../shared/complaint/record";
import { submissionSchema } from "../shared/complaint/submission";
import { newComplaintRecord } from "../shared/complaint/submit-complaint";
import { noticeFor } from "../shared/events/notice";
import { hashToken } from "../shared/security/tracking-token";

export function exampleComplaint(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(process.cwd(), "docs", "examples", "complaint.json"), "utf8"));
}

export function submitEvent(idempotencyKey: string, body = JSON.stringify(exampleComplaint())): object {
  return {
    resource: "/v1/complaints",
    path: "/v1/complaints",
    httpMethod: "POST",
    headers: {
      "content-type": "application/json",
      "idempotency-key": idempotencyKey,
      Host: "api.example",
      "User-Agent": "bench",
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: "/v1/complaints",
      httpMethod: "POST",
      path: "/test/v1/complaints",
      stage: "test",
      requestId: `req-${idempotencyKey}`,
      identity: { sourceIp: "127.0.0.1", userAgent: "bench" },
      accountId: "000000000000",
      apiId: "bench",
      protocol: "HTTP/1.1",
      requestTimeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

/** A complaint as the table holds it once routed (QUEUED), for `platform`. */
export function queuedRecord(complaintId: string, platform = "taobao"): ComplaintRecord {
  const submission = submissionSchema.parse({ ...exampleComplaint(), platform });
  const record = newComplaintRecord(complaintId, submission, new Date(), hashToken("bench-token"));
  return { ...record, status: "QUEUED", version: 2 };
}

/** The SQS event a push delivery function receives for `record`'s notice, from the queue at `queueUrl`. */
export function deliverEvent(
  record: ComplaintRecord,
  queueUrl: string,
  messageId: string,
  receiveCount = 1,
): object {
  const [, account, queueName] = new URL(queueUrl).pathname.split("/");
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: `rh-${messageId}`,
        body: JSON.stringify(noticeFor(record)),
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: now,
          SenderId: "AROA",
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: `arn:aws:sqs:cn-north-1:${account}:${queueName}`,
        awsRegion: "cn-north-1",
      },
    ],
  };
}
