/**
 * Counts every AWS request that reaches a local cloud in this process (the functions' DynamoDB, EventBridge,
 * SQS, Secrets Manager and CloudWatch calls, by X-Amz-Target), with the DynamoDB request units each would
 * cost on AWS (bench/dynamo-units.ts). It listens on http.Server's "request" event, so nothing in local/
 * changes: the chunks of a request body reach this listener and the server's own alike.
 */
import { Server } from "node:http";
import {
  type AttributeMap,
  dynamoItemBytes,
  type IndexModel,
  indexWriteUnits,
  readUnits,
  writeUnits,
} from "./dynamo-units";

export interface MeterSnapshot {
  /** "DynamoDB_20120810.PutItem" → requests. */
  requests: Record<string, number>;
  /** Entries in PutEvents requests (EventBridge bills per entry). */
  eventEntries: number;
  /** Bytes of those entries (Detail, DetailType, Source and the envelope EventBridge adds, ~250 bytes). */
  eventBytes: number;
  /** Entries per DetailType. */
  eventTypes: Record<string, number>;
  /** SQS messages sent by the functions (SendMessage entries). */
  sqsMessagesSent: number;
  writeUnits: number;
  readUnits: number;
  /** Of writeUnits: the global secondary indexes' share (an estimate, see dynamo-units.ts). */
  indexWriteUnits: number;
}

export class AwsMeter {
  private state: MeterSnapshot = AwsMeter.empty();
  /** Bytes of the last complaint item (sk META) written, for updates and reads of it. */
  private metaBytes = 2048;
  private readonly restore: () => void;

  constructor(public indexes: IndexModel[] = []) {
    const meter = this;
    const original = Server.prototype.emit;
    Server.prototype.emit = function meteredEmit(this: Server, event: string, ...args: unknown[]) {
      if (event === "request") {
        const req = args[0] as import("node:http").IncomingMessage;
        const target = req.headers["x-amz-target"];
        if (typeof target === "string") {
          const chunks: Buffer[] = [];
          req.on("data", (chunk: Buffer) => chunks.push(chunk));
          req.on("end", () => meter.record(target, Buffer.concat(chunks).toString("utf8")));
        }
      }
      return Reflect.apply(original, this, [event, ...args]) as boolean;
    } as typeof Server.prototype.emit;
    this.restore = () => {
      Server.prototype.emit = original;
    };
  }

  static empty(): MeterSnapshot {
    return {
      requests: {},
      eventEntries: 0,
      eventBytes: 0,
      eventTypes: {},
      sqsMessagesSent: 0,
      writeUnits: 0,
      readUnits: 0,
      indexWriteUnits: 0,
    };
  }

  reset(): void {
    this.state = AwsMeter.empty();
  }

  snapshot(): MeterSnapshot {
    return structuredClone(this.state);
  }

  stop(): void {
    this.restore();
  }

  private record(target: string, text: string): void {
    const s = this.state;
    s.requests[target] = (s.requests[target] ?? 0) + 1;
    // biome-ignore lint/suspicious/noExplicitAny: a JSON request as the SDK sent it
    let input: any;
    try {
      input = text ? JSON.parse(text) : {};
    } catch {
      return;
    }
    const [service, operation] = target.split(".");
    if (service === "AWSEvents" && operation === "PutEvents") {
      for (const entry of input.Entries ?? []) {
        s.eventEntries += 1;
        const type = String(entry.DetailType ?? "");
        s.eventTypes[type] = (s.eventTypes[type] ?? 0) + 1;
        s.eventBytes += String(entry.Detail ?? "").length + String(entry.DetailType ?? "").length + 250;
      }
    }
    if (service === "AmazonSQS" && operation === "SendMessage") s.sqsMessagesSent += 1;
    if (service === "AmazonSQS" && operation === "SendMessageBatch")
      s.sqsMessagesSent += input.Entries?.length ?? 0;
    if (service === "DynamoDB_20120810") this.dynamo(operation ?? "", input, 1);
  }

  /** Units of one DynamoDB request; `factor` 2 inside a transaction. */
  // biome-ignore lint/suspicious/noExplicitAny: a JSON request as the SDK sent it
  private dynamo(operation: string, input: any, factor: number): void {
    const s = this.state;
    const isMeta = (key: AttributeMap | undefined) => key?.sk?.S === "META";
    switch (operation) {
      case "PutItem": {
        const bytes = dynamoItemBytes(input.Item ?? {});
        if (isMeta(input.Item)) this.metaBytes = bytes;
        const index = indexWriteUnits("PutItem", input, this.indexes);
        s.writeUnits += factor * writeUnits(bytes) + index;
        s.indexWriteUnits += index;
        break;
      }
      case "UpdateItem":
      case "DeleteItem": {
        // An update is billed on the larger of the item before and after: the complaint item's size.
        const bytes = isMeta(input.Key) ? this.metaBytes : 200;
        const index = indexWriteUnits(operation, input, this.indexes);
        s.writeUnits += factor * writeUnits(bytes) + index;
        s.indexWriteUnits += index;
        break;
      }
      case "GetItem":
        s.readUnits +=
          factor * readUnits(isMeta(input.Key) ? this.metaBytes : 200, input.ConsistentRead === true);
        break;
      case "Query":
        // The answer's size is not seen here: one 4 KB page, eventually consistent unless asked.
        s.readUnits += readUnits(4096, input.ConsistentRead === true);
        break;
      case "TransactWriteItems":
        for (const item of input.TransactItems ?? []) {
          if (item.Put) this.dynamo("PutItem", item.Put, 2);
          else if (item.Update) this.dynamo("UpdateItem", item.Update, 2);
          else if (item.Delete) this.dynamo("DeleteItem", item.Delete, 2);
          else if (item.ConditionCheck) s.readUnits += 2;
        }
        break;
      case "TransactGetItems":
        for (const item of input.TransactItems ?? [])
          if (item.Get) this.dynamo("GetItem", { ...item.Get, ConsistentRead: true }, 2);
        break;
      case "BatchWriteItem":
        for (const requests of Object.values(input.RequestItems ?? {}) as Array<
          Array<{ PutRequest?: { Item: AttributeMap }; DeleteRequest?: unknown }>
        >) {
          for (const request of requests) {
            if (request.PutRequest) this.dynamo("PutItem", { Item: request.PutRequest.Item }, 1);
            else s.writeUnits += 1;
          }
        }
        break;
      default:
        break;
    }
  }
}

/** The index model of a table as the template declares its global secondary indexes. */
export function indexModels(
  indexes: ReadonlyArray<{ KeySchema: unknown[]; Projection: unknown; IndexName: string }>,
): IndexModel[] {
  return indexes.map((index) => {
    const projection = index.Projection as { ProjectionType?: string; NonKeyAttributes?: string[] };
    return {
      name: index.IndexName,
      keys: (index.KeySchema as Array<{ AttributeName: string }>).map((k) => k.AttributeName),
      projected:
        projection.ProjectionType === "ALL"
          ? "ALL"
          : projection.ProjectionType === "INCLUDE"
            ? (projection.NonKeyAttributes ?? [])
            : [],
    };
  });
}
