/**
 * A standalone SQS-only endpoint: an `http` server plus an engine whose queue URLs point at it.
 * The shared local endpoint mounts createSqsHttpHandler instead; this serves tests and tools
 * that want SQS alone (port 0 picks a free port).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SqsEngine, type SqsEngineOptions } from "./sqs-engine.js";
import { createSqsRequestListener } from "./sqs-http.js";

export interface LocalSqsServerOptions extends Omit<SqsEngineOptions, "baseUrl"> {
  host?: string;
  port?: number;
}

export interface LocalSqsServer {
  engine: SqsEngine;
  /** e.g. "http://127.0.0.1:4566" — pass as `endpoint` to SQSClient. */
  endpoint: string;
  server: Server;
  close(): Promise<void>;
}

export async function startLocalSqsServer(options: LocalSqsServerOptions): Promise<LocalSqsServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4566, host, () => resolve());
  });
  // Queue URLs need the real port, known only once listening.
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  let engine: SqsEngine;
  try {
    engine = await SqsEngine.open({ ...options, baseUrl: endpoint });
  } catch (error) {
    server.close();
    throw error;
  }
  server.on("request", createSqsRequestListener(engine));
  return {
    engine,
    endpoint,
    server,
    async close() {
      await engine.close(); // ends long polls first, so their connections can finish
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
