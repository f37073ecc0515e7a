/**
 * Local AWS endpoints for the cold-start runs: the template's table (dynalite) and secrets behind one AWS
 * endpoint, and the sandbox push platforms on the test stage's port. No event sources run here, so a cold
 * function's writes start nothing else and every run measures one function alone.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPush, PLATFORMS } from "../infra/platforms";
import { createAwsEndpoint, type ServiceRoute } from "../local/aws-endpoint";
import { LocalDynamoDb } from "../local/dynamodb/local-dynamodb";
import { closeServer, listen } from "../local/net";
import { createSandboxPlatforms, type SandboxPlatforms } from "../local/sandbox/sandbox-platforms";
import { LocalSecretsManager } from "../local/secrets/local-secrets-manager";
import type { StackModel } from "../local/template/stack-model";
import { ACCOUNT_ID, stackModel } from "./assembly";

/** The test stage's sandbox port: the deliver functions' PLATFORM_ENDPOINT points there. */
const TEST_SANDBOX_PORT = 4610;

export interface LocalEndpoints {
  awsEndpoint: string;
  model: StackModel;
  sandbox: SandboxPlatforms;
  stop(): Promise<void>;
}

export async function startLocalEndpoints(): Promise<LocalEndpoints> {
  const stateDir = mkdtempSync(join(tmpdir(), "hub-bench-cold-"));
  const routes: ServiceRoute[] = [];
  const server = createAwsEndpoint(routes);
  const port = await listen(server, "127.0.0.1", 0, "AWS endpoint", "--aws-port");
  const awsEndpoint = `http://127.0.0.1:${port}`;
  const model = stackModel(awsEndpoint);
  const region = model.identity.region;
  const dynamodb = await LocalDynamoDb.open({ stateDir, region, accountId: ACCOUNT_ID });
  const secrets = new LocalSecretsManager({ stateDir, region, accountId: ACCOUNT_ID });
  routes.push(
    { targetPrefix: "DynamoDB_20120810.", handle: (req, res, body) => dynamodb.handle(req, res, body) },
    { targetPrefix: "secretsmanager.", handle: (req, res, body) => secrets.handleHttp(req, res, body) },
  );
  for (const table of model.tables) await dynamodb.createTable(table);
  for (const secret of model.secrets) await secrets.provision(secret);
  const sandbox = await createSandboxPlatforms({
    platforms: PLATFORMS.filter((p) => p.enabled && isPush(p)),
    stage: "test",
    getSecret: (platformId) => secrets.currentValue(`complaint-hub/test/platforms/${platformId}/webhook`),
    stateDir,
    host: "127.0.0.1",
    port: TEST_SANDBOX_PORT,
  });
  return {
    awsEndpoint,
    model,
    sandbox,
    async stop() {
      await sandbox.close();
      await closeServer(server);
      await dynamodb.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
