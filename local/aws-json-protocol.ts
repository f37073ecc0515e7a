import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface JsonProtocolResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface JsonProtocolService {
  /** e.g. "AWSEvents." or "secretsmanager." */
  targetPrefix: string;
  handle: (action: string, input: unknown, req: IncomingMessage) => Promise<JsonProtocolResponse>;
  /** The service's own error answers for a request it cannot read. */
  unknownOperation: () => JsonProtocolResponse;
  malformedBody: () => JsonProtocolResponse;
}

/**
 * The HTTP side of an AWS JSON-protocol service (`X-Amz-Target: <Prefix><Action>`, JSON body): the shared
 * local endpoint has read the body; this parses it, calls the service and writes its answer.
 */
export function jsonProtocolHandler(service: JsonProtocolService) {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const target = String(req.headers["x-amz-target"] ?? "");
    let response: JsonProtocolResponse;
    if (!target.startsWith(service.targetPrefix)) {
      response = service.unknownOperation();
    } else {
      const input = parseJson(body);
      response =
        input === undefined
          ? service.malformedBody()
          : await service.handle(target.slice(service.targetPrefix.length), input, req);
    }
    if (res.destroyed) return;
    const payload = JSON.stringify(response.body);
    res.writeHead(response.status, {
      ...response.headers,
      "x-amzn-requestid": randomUUID(),
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}
