/**
 * In-memory AWS for the warm-handler benchmark: every AWS SDK v3 client in this process answers from memory
 * instead of the network, after its whole middleware stack (serialization, signing, retries, parsing) ran.
 * It replaces the Node HTTP handler every client uses by default, so the hub's module-scope clients, the
 * Powertools parameters provider and the baseline's bare clients are all served the same way, and
 * `globalThis.fetch` (the platforms' after-sale APIs) is answered from memory too.
 *
 * Each call is recorded (service, operation, request bytes): the benchmark checks that the hub and its
 * baseline make the same calls, and the cost model reads the delivery's call inventory from it.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { HttpResponse } from "@smithy/core/protocols";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export interface AwsCall {
  /** The X-Amz-Target prefix: DynamoDB_20120810, secretsmanager, AmazonSQS, AWSEvents. */
  service: string;
  operation: string;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON request as the SDK serialized it
  input: any;
  requestBytes: number;
}

/** What to answer a call with: a JSON body (status 200), or an AWS error. */
export type AwsAnswer = { body: object } | { error: { status: number; type: string; message: string } };

export type AwsResponder = (call: AwsCall) => AwsAnswer | undefined;

export interface PlatformAnswer {
  status: number;
  body: string;
}

export interface InMemoryAws {
  calls: AwsCall[];
  fetches: number;
  /** Replaces how calls are answered (e.g. another complaint item). */
  respond: AwsResponder;
  platform: () => PlatformAnswer;
  restore(): void;
}

const JSON_TYPES: Record<string, string> = {
  DynamoDB_20120810: "application/x-amz-json-1.0",
  AmazonSQS: "application/x-amz-json-1.0",
  secretsmanager: "application/x-amz-json-1.1",
  AWSEvents: "application/x-amz-json-1.1",
};

/** The answers every benchmark needs whatever the responder says: empty successes and SQS's MD5s. */
function defaultAnswer(call: AwsCall): AwsAnswer {
  switch (`${call.service}.${call.operation}`) {
    case "AmazonSQS.SendMessage":
      return {
        body: {
          MessageId: "00000000-0000-4000-8000-000000000000",
          MD5OfMessageBody: createHash("md5").update(String(call.input.MessageBody)).digest("hex"),
        },
      };
    case "AWSEvents.PutEvents":
      return {
        body: {
          FailedEntryCount: 0,
          Entries: (call.input.Entries as unknown[]).map((_, i) => ({ EventId: `event-${i}` })),
        },
      };
    default:
      return { body: {} };
  }
}

export function installInMemoryAws(
  respond: AwsResponder,
  platform: () => PlatformAnswer = () => ({ status: 200, body: "{}" }),
): InMemoryAws {
  const originalHandle = NodeHttpHandler.prototype.handle;
  const originalFetch = globalThis.fetch;
  const state: InMemoryAws = {
    calls: [],
    fetches: 0,
    respond,
    platform,
    restore() {
      NodeHttpHandler.prototype.handle = originalHandle;
      globalThis.fetch = originalFetch;
    },
  };

  NodeHttpHandler.prototype.handle = async function inMemoryHandle(request) {
    const target = String(request.headers["x-amz-target"] ?? request.headers["X-Amz-Target"] ?? "");
    const [service = "unknown", operation = "unknown"] = target.split(".");
    const body: unknown = request.body;
    const text =
      typeof body === "string"
        ? body
        : body instanceof Uint8Array
          ? // The SDK's JSON body adapter is a Uint8Array that also acts as a string: read its bytes.
            Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")
          : "";
    const call: AwsCall = {
      service,
      operation,
      input: text ? JSON.parse(text) : {},
      requestBytes: Buffer.byteLength(text),
    };
    state.calls.push(call);
    const answer = state.respond(call) ?? defaultAnswer(call);
    const status = "error" in answer ? answer.error.status : 200;
    const payload = JSON.stringify(
      "error" in answer ? { __type: answer.error.type, message: answer.error.message } : answer.body,
    );
    return {
      response: new HttpResponse({
        statusCode: status,
        headers: {
          "content-type": JSON_TYPES[service] ?? "application/json",
          "content-length": String(Buffer.byteLength(payload)),
          "x-amzn-requestid": "in-memory",
          ...("error" in answer ? { "x-amzn-errortype": answer.error.type } : {}),
        },
        body: Readable.from([Buffer.from(payload)]),
      }),
    };
  };

  globalThis.fetch = async () => {
    state.fetches++;
    const answer = state.platform();
    return new Response(answer.body, {
      status: answer.status,
      headers: { "content-type": "application/json" },
    });
  };
  return state;
}

/** "DynamoDB_20120810.GetItem" → counts, in first-seen order. */
export function callInventory(calls: readonly AwsCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    const key = `${call.service}.${call.operation}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
