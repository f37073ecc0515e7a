import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAwsEndpoint } from "../../local/aws-endpoint";
import { DYNAMODB_TARGET_PREFIX, LocalDynamoDb } from "../../local/dynamodb/local-dynamodb";
import { closeServer, listen } from "../../local/net";
import { dynamoClients, type LocalDynamo } from "./dynalite";

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
  return dynamoClients(`http://127.0.0.1:${port}`, async () => {
    await closeServer(server);
    await db.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
}
