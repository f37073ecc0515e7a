import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalCloud, type LocalCloudOptions } from "../../local/local-cloud";
import { TEST_ASSEMBLY_DIR } from "./harness";

const folders: string[] = [];
const blockers: Server[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  for (const server of blockers.splice(0)) await new Promise((r) => server.close(r));
});

function options(overrides: Partial<LocalCloudOptions> = {}): LocalCloudOptions {
  const stateDir = mkdtempSync(join(tmpdir(), "hub-start-"));
  folders.push(stateDir);
  return {
    projectRoot: process.cwd(),
    stateDir,
    assemblyDir: TEST_ASSEMBLY_DIR,
    stage: "test",
    apiPort: 0,
    awsPort: 0,
    sandboxPort: 4610,
    ...overrides,
  };
}

async function startupError(opts: LocalCloudOptions): Promise<string> {
  try {
    const cloud = await LocalCloud.start(opts);
    await cloud.stop();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the local cloud started");
}

describe("start-up problems are one line that says what to do", () => {
  it("names a port in use and the flag that changes it", async () => {
    const blocker = createServer();
    blockers.push(blocker);
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    const message = await startupError(options({ awsPort: port }));
    expect(message).toBe(
      `Port ${port} (AWS endpoint) is in use: stop what uses it or pass --aws-port <port>`,
    );
  });

  it("names a corrupt state file and --reset", async () => {
    const opts = options();
    mkdirSync(join(opts.stateDir, "test", "sqs"), { recursive: true });
    writeFileSync(
      join(opts.stateDir, "test", "sqs", "journal.jsonl"),
      'not json\n{also not json}\n{"op":1}\n',
    );
    const message = await startupError(opts);
    expect(message).not.toContain("\n");
    expect(message).toContain("journal.jsonl");
    expect(message).toContain("--reset");
  });

  it("refuses to bind anywhere but loopback", async () => {
    const message = await startupError(options({ host: "0.0.0.0" }));
    expect(message).toMatch(/binds to loopback only/);
  });

  it("explains a CDK app that does not synthesize", async () => {
    const assemblyDir = mkdtempSync(join(tmpdir(), "hub-assembly-"));
    folders.push(assemblyDir);
    const message = await startupError(options({ assemblyDir, stage: "nope" }));
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^CDK synth failed: .*Unknown stage "nope": pass -c stage=<dev\|test\|prod>/);
  });
});
