/**
 * The local Secrets Manager driven by the real @aws-sdk/client-secrets-manager over HTTP.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { randomPassword } from "../../local/secrets/generate-secret-string";
import { LocalSecretsManager } from "../../local/secrets/local-secrets-manager";

const REGION = "cn-north-1";
const NAME = "complaint-hub/test/platforms/suning/webhook";
const ARN = `arn:aws-cn:secretsmanager:${REGION}:000000000000:secret:${NAME}-AbC123`;
/** What infra/constructs/platform-channel.ts declares, as it appears in the template. */
const WEBHOOK_GENERATE = {
  SecretStringTemplate: "{}",
  GenerateStringKey: "current",
  PasswordLength: 44,
  ExcludePunctuation: true,
};

let stateDir: string;
let servers: Server[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "secrets-"));
});

afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
  await rm(stateDir, { recursive: true, force: true });
});

/** A node http server wrapping the handler, as the shared AWS endpoint does, and an SDK client for it. */
async function serve(manager: LocalSecretsManager): Promise<SecretsManagerClient> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      manager.handleHttp(req, res, Buffer.concat(chunks)).catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

async function start() {
  const manager = new LocalSecretsManager({ stateDir, region: REGION, accountId: "000000000000" });
  await manager.provision(NAME, ARN, WEBHOOK_GENERATE);
  return { manager, client: await serve(manager) };
}

describe("GetSecretValue of a provisioned secret", () => {
  it("returns the template JSON with a generated key of the requested length and characters", async () => {
    const { client } = await start();
    const out = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(out.ARN).toBe(ARN);
    expect(out.Name).toBe(NAME);
    expect(out.VersionStages).toEqual(["AWSCURRENT"]);
    expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((out.CreatedDate as Date).getTime() - Date.now())).toBeLessThan(60_000);
    const value = JSON.parse(out.SecretString as string);
    expect(Object.keys(value)).toEqual(["current"]);
    expect(value.current).toMatch(/^[A-Za-z0-9]{44}$/);
    // Valid base64 key material for Standard Webhooks: 44 characters decode to 33 bytes.
    expect(Buffer.from(value.current, "base64")).toHaveLength(33);
  });

  it("finds the secret by full ARN and by partial ARN", async () => {
    const { client } = await start();
    const byName = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: ARN }));
    const partial = ARN.slice(0, -7);
    const byPartialArn = await client.send(new GetSecretValueCommand({ SecretId: partial }));
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(byPartialArn.SecretString).toBe(byName.SecretString);
  });

  it("keeps the value across a restart on the same folder, written with owner-only permissions", async () => {
    const first = await start();
    const before = await first.client.send(new GetSecretValueCommand({ SecretId: NAME }));
    const second = await start();
    const after = await second.client.send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(after.SecretString).toBe(before.SecretString);
    expect(after.VersionId).toBe(before.VersionId);
    const file = join(stateDir, "secrets.json");
    expect(JSON.parse(await readFile(file, "utf8")).secrets).toHaveLength(1);
    expect((await stat(file)).mode & 0o077).toBe(0);
  });

  it("creates a secret from a literal SecretString and from the local cloud's secret model", async () => {
    const manager = new LocalSecretsManager({ stateDir });
    await manager.provision(
      "plain",
      "arn:aws:secretsmanager:us-east-1:0:secret:plain-xYz987",
      undefined,
      "hello",
    );
    await manager.provision({
      name: "tracking-token-key",
      arn: "arn:aws:secretsmanager:us-east-1:0:secret:tracking-token-key-Q1w2E3",
      generate: { PasswordLength: 64, ExcludePunctuation: true },
    });
    expect(await manager.currentValue("plain")).toBe("hello");
    expect(await manager.currentValue("tracking-token-key")).toMatch(/^[A-Za-z0-9]{64}$/);
  });

  it("answers ResourceNotFoundException for an unknown secret and an absent stage", async () => {
    const { client } = await start();
    const missing = client.send(new GetSecretValueCommand({ SecretId: "complaint-hub/test/nope" }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      client.send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: "AWSPREVIOUS" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("answers the JSON protocol error shape from handle()", async () => {
    const { manager } = await start();
    const response = await manager.handle("GetSecretValue", { SecretId: "nope" });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      __type: "ResourceNotFoundException",
      Message: "Secrets Manager can't find the specified secret.",
    });
  });
});

describe("PutSecretValue rotation", () => {
  it("makes the new version AWSCURRENT and the old one AWSPREVIOUS, and keeps it across a restart", async () => {
    const { client } = await start();
    const original = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    const oldKey = JSON.parse(original.SecretString as string).current as string;
    const newKey = Buffer.from("a fresh 33-byte key for rotation!").toString("base64");
    const rotated = JSON.stringify({ current: newKey, previous: oldKey });

    const put = await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: rotated }));
    expect(put.VersionStages).toEqual(["AWSCURRENT"]);
    expect(put.VersionId).not.toBe(original.VersionId);

    const current = await client.send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(current.SecretString).toBe(rotated);
    expect(current.VersionId).toBe(put.VersionId);
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: ARN, VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.SecretString).toBe(original.SecretString);
    expect(previous.VersionStages).toEqual(["AWSPREVIOUS"]);
    const byVersion = await client.send(
      new GetSecretValueCommand({ SecretId: NAME, VersionId: original.VersionId as string }),
    );
    expect(byVersion.SecretString).toBe(original.SecretString);

    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(described.VersionIdsToStages).toEqual({
      [original.VersionId as string]: ["AWSPREVIOUS"],
      [put.VersionId as string]: ["AWSCURRENT"],
    });

    // A second rotation: the first version drops its label, the second becomes AWSPREVIOUS.
    const third = await client.send(
      new PutSecretValueCommand({ SecretId: NAME, SecretString: '{"current":"c2Vjb25k"}' }),
    );
    const after = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(after.VersionIdsToStages).toEqual({
      [put.VersionId as string]: ["AWSPREVIOUS"],
      [third.VersionId as string]: ["AWSCURRENT"],
    });

    // The template's generate props are unchanged: a restart keeps the operator's rotation.
    const restarted = await start();
    const kept = await restarted.client.send(new GetSecretValueCommand({ SecretId: NAME }));
    expect(kept.SecretString).toBe('{"current":"c2Vjb25k"}');
  });

  it("is idempotent on ClientRequestToken and refuses to rewrite a version", async () => {
    const { client } = await start();
    const token = "11111111-2222-3333-4444-555555555555";
    const first = await client.send(
      new PutSecretValueCommand({ SecretId: NAME, SecretString: "one", ClientRequestToken: token }),
    );
    const again = await client.send(
      new PutSecretValueCommand({ SecretId: NAME, SecretString: "one", ClientRequestToken: token }),
    );
    expect(again.VersionId).toBe(first.VersionId);
    await expect(
      client.send(
        new PutSecretValueCommand({ SecretId: NAME, SecretString: "two", ClientRequestToken: token }),
      ),
    ).rejects.toMatchObject({ name: "ResourceExistsException" });
  });

  it("refuses a put for an unknown secret", async () => {
    const { client } = await start();
    await expect(
      client.send(new PutSecretValueCommand({ SecretId: "nope", SecretString: "x" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe("DescribeSecret and ListSecrets", () => {
  it("lists the secrets with their version stages, filtered by name prefix and paginated", async () => {
    const { manager, client } = await start();
    await manager.provision(
      "complaint-hub/test/tracking-token-key",
      "arn:aws:secretsmanager:x:0:secret:t-aaaaaa",
      {
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(described.ARN).toBe(ARN);
    expect(described.CreatedDate).toBeInstanceOf(Date);

    const all = await client.send(new ListSecretsCommand({}));
    expect(all.SecretList?.map((s) => s.Name).sort()).toEqual([
      NAME,
      "complaint-hub/test/tracking-token-key",
    ]);
    expect(Object.values(all.SecretList?.[0]?.SecretVersionsToStages ?? {})).toEqual([["AWSCURRENT"]]);

    const filtered = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["complaint-hub/test/platforms/"] }] }),
    );
    expect(filtered.SecretList?.map((s) => s.Name)).toEqual([NAME]);

    const page1 = await client.send(new ListSecretsCommand({ MaxResults: 1 }));
    expect(page1.SecretList).toHaveLength(1);
    const page2 = await client.send(new ListSecretsCommand({ MaxResults: 1, NextToken: page1.NextToken }));
    expect(page2.SecretList).toHaveLength(1);
    expect(page2.NextToken).toBeUndefined();
    expect(page2.SecretList?.[0]?.Name).not.toBe(page1.SecretList?.[0]?.Name);
  });
});

describe("password generation", () => {
  it("honours the character options and includes each required type", () => {
    for (let i = 0; i < 50; i++) {
      const value = randomPassword({ PasswordLength: 4, ExcludeCharacters: "abcdefghijklmnopqrstuvwxy" });
      expect(value).toHaveLength(4);
      expect(value).toMatch(/z/);
      expect(value).toMatch(/[A-Z]/);
      expect(value).toMatch(/[0-9]/);
      expect(value).toMatch(/[^A-Za-z0-9]/);
    }
    expect(
      randomPassword({
        PasswordLength: 20,
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludePunctuation: true,
      }),
    ).toMatch(/^[0-9]{20}$/);
    expect(() => randomPassword({ PasswordLength: 3 })).toThrow(/at least 4/);
  });
});
