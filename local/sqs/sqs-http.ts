/**
 * HTTP adapter for the SQS JSON protocol. The shared local endpoint reads the request body and
 * calls the handler when `X-Amz-Target` starts with "AmazonSQS."; signatures are not checked.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { SqsEngine } from "./sqs-engine.js";
import { SqsError } from "./sqs-errors.js";
import { handleSqsRequest, type SqsResponse, sqsErrorResponse } from "./sqs-json-protocol.js";

export const SQS_TARGET_PREFIX = "AmazonSQS.";

export type SqsHttpHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;

/** Largest request body accepted by createSqsRequestListener: a 1 MiB batch with base64 attributes fits. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export function isSqsRequest(req: IncomingMessage): boolean {
  return headerValue(req, "x-amz-target")?.startsWith(SQS_TARGET_PREFIX) ?? false;
}

export function createSqsHttpHandler(engine: SqsEngine): SqsHttpHandler {
  return async (req, res, body) => {
    const response = await dispatch(engine, req, res, body);
    const payload = JSON.stringify(response.body);
    if (res.destroyed) return; // the client gave up (e.g. during a long poll)
    res.writeHead(response.status, {
      ...response.headers,
      "x-amzn-requestid": randomUUID(),
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  };
}

/** A complete `http` request listener serving only SQS (handy for tests or a standalone SQS endpoint). */
export function createSqsRequestListener(engine: SqsEngine): RequestListener {
  const handle = createSqsHttpHandler(engine);
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_REQUEST_BYTES) {
        res.writeHead(413).end();
        return;
      }
      handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        console.error(error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  };
}

async function dispatch(
  engine: SqsEngine,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<SqsResponse> {
  const target = headerValue(req, "x-amz-target");
  if (!target?.startsWith(SQS_TARGET_PREFIX)) {
    return sqsErrorResponse(
      new SqsError(
        "UnknownOperationException",
        "Only the SQS JSON protocol is supported: send X-Amz-Target: AmazonSQS.<Action> (AWS SDK v3 does).",
      ),
    );
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    return sqsErrorResponse(new SqsError("SerializationException", "The request body is not valid JSON."));
  }
  addQueueUrlFromPath(input, req.url);
  const clientGone = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) clientGone.abort();
  };
  res.on("close", onClose);
  try {
    return await handleSqsRequest(engine, target.slice(SQS_TARGET_PREFIX.length), input, {
      signal: clientGone.signal,
    });
  } finally {
    res.off("close", onClose);
  }
}

/** Leniency for clients that post to the queue URL itself without QueueUrl in the body. */
function addQueueUrlFromPath(input: unknown, url: string | undefined): void {
  if (typeof input !== "object" || input === null || "QueueUrl" in input) return;
  const path = (url ?? "/").split("?")[0] ?? "/";
  if (/^\/[^/]+\/[^/]+\/?$/.test(path)) (input as Record<string, unknown>).QueueUrl = path;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
