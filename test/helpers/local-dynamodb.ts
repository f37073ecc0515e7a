import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createAwsEndpoint } from "../../local/aws-endpoint";
import { DYNAMODB_TARGET_PREFIX, LocalDynamoDb } from "../../local/dynamodb/local-dynamodb";
import { closeServer, listen } from "../../local/net";
import { complaintTableDefinition, type LocalDynamo } from "./dynalite";

/**
 * The local cloud's DynamoDB (dynalite plus TransactWriteItems and streams) on a loopback port, for tests of
 * code that writes in transactions, which plain dynalite (./dynalite.ts) lacks.
 */
export async function startLocalDynamoDb(): Promise<LocalDynamo> {
  const stateDir = mkdtempSync(join(tmpdir(), "hub-test-dynamodb-"));
  const db = await LocalDynamoDb.open({ stateDir, region: "cn-north-1", accountId: "000000000000" });
  const server: Server = createAwsEndpoint([
    { targetPrefix: DYNAMODB_TARGET_PREFIX, handle: (req, res, body) => db.handle(req, res, body) },
  ]);
  const port = await listen(server, "127.0.0.1", 0, "AWS endpoint", "--aws-port");
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "cn-north-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let tables = 0;
  return {
    endpoint,
    client,
    doc,
    async createComplaintTable() {
      const tableName = `complaints-${++tables}`;
      await client.send(new CreateTableCommand(complaintTableDefinition(tableName)));
      return tableName;
    },
    async stop() {
      client.destroy();
      await closeServer(server);
      await db.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
