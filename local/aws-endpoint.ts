import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** A service behind the shared endpoint, chosen by the X-Amz-Target prefix the AWS SDK sends. */
export interface ServiceRoute {
  targetPrefix: string;
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;
}

/** Larger than any AWS request limit we emulate (SQS batches are 1 MiB), smaller than a memory problem. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * One endpoint for every AWS service, as LocalStack does: point AWS_ENDPOINT_URL (or any SDK's endpoint)
 * at it. Signatures are not verified; nothing here is reachable from outside the loopback interface.
 */
export function createAwsEndpoint(routes: readonly ServiceRoute[]): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return awsError(res, 413, "RequestEntityTooLarge", "Request body too large");
      const target = String(req.headers["x-amz-target"] ?? "");
      const route = routes.find((r) => target.startsWith(r.targetPrefix));
      if (!route) {
        return awsError(
          res,
          400,
          "UnknownOperationException",
          `The local cloud does not serve ${target || "this request"}`,
        );
      }
      route.handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        console.error(`[aws-endpoint] ${target}:`, error);
        if (!res.headersSent)
          awsError(res, 500, "InternalFailure", "The local cloud failed to handle the request");
        else res.end();
      });
    });
  });
}

function awsError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ __type: code, message });
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
