import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { LocalClock } from "../../local/clock";
import { LocalCloud } from "../../local/local-cloud";

/** The test stage's sandbox port is part of its template (infra/stages.ts); everything else is ephemeral. */
const TEST_SANDBOX_PORT = 4610;
/** One assembly for every end-to-end suite: synthesized once, reused while the sources are unchanged. */
export const TEST_ASSEMBLY_DIR = join(process.cwd(), ".hub", "assembly-e2e");

export interface TestCloud {
  cloud: LocalCloud;
  stateDir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCloud(
  options: {
    stateDir?: string;
    /** Run the local cloud's pull clients (off by default: tests pull themselves). */
    pullClients?: boolean;
    /** Schedule rules run only on `cloud.events.runSchedules()` ("manual", the default) or by the clock. */
    schedules?: "auto" | "manual";
  } = {},
): Promise<TestCloud> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "hub-e2e-"));
  const start = (clock?: LocalClock) =>
    LocalCloud.start({
      projectRoot: process.cwd(),
      stateDir,
      assemblyDir: TEST_ASSEMBLY_DIR,
      stage: "test",
      apiPort: 0,
      awsPort: 0,
      sandboxPort: TEST_SANDBOX_PORT,
      pullClients: options.pullClients ?? false,
      schedules: options.schedules ?? "manual",
      ...(clock ? { clock } : {}),
    });
  const handle: TestCloud = {
    cloud: await start(),
    stateDir,
    async restart() {
      await handle.cloud.stop();
      // The restarted cloud keeps the clock where the test moved it.
      handle.cloud = await start(handle.cloud.clock);
    },
    async stop() {
      await handle.cloud.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return handle;
}

export function sqsClient(cloud: LocalCloud): SQSClient {
  return new SQSClient({
    endpoint: cloud.awsEndpoint,
    region: cloud.region,
    credentials: { accessKeyId: "platform", secretAccessKey: "platform" },
  });
}

/** The README's example complaint: the end-to-end tests file exactly what a new user would. */
export function exampleComplaint(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(process.cwd(), "docs", "examples", "complaint.json"), "utf8"));
}

export interface Filed {
  complaintId: string;
  trackingToken: string;
  status: string;
}

export async function fileComplaint(
  cloud: LocalCloud,
  overrides: Record<string, unknown> = {},
  idempotencyKey = `e2e-${crypto.randomUUID()}`,
): Promise<Filed> {
  const response = await fetch(`${cloud.apiUrl}/v1/complaints`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify({ ...exampleComplaint(), ...overrides }),
  });
  if (response.status !== 201) throw new Error(`filing failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Filed;
}

export async function readComplaint(cloud: LocalCloud, filed: Filed): Promise<Record<string, unknown>> {
  const response = await fetch(`${cloud.apiUrl}/v1/complaints/${filed.complaintId}`, {
    headers: { authorization: `Bearer ${filed.trackingToken}` },
  });
  if (response.status !== 200) throw new Error(`reading failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ""}`);
}
