/**
 * The local Lambda runtime: execution environments as worker threads, held to the Lambda contract the
 * handlers rely on (environment variables, module state per environment, the context object, timeouts,
 * errors, logs) and to the local cloud's own rule that no request leaves the machine.
 */
import { createSocket } from "node:dgram";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type FunctionSpec, type InvokeResult, LocalFunction } from "../../local/lambda/local-function";

const REGION = "cn-north-1";
const ENDPOINT = "http://127.0.0.1:4566";
const FIXTURES = fileURLToPath(new URL("../fixtures/lambda/", import.meta.url));

let logDir: string;
let functions: LocalFunction[];

beforeEach(async () => {
  logDir = await mkdtemp(join(tmpdir(), "lambda-runtime-"));
  functions = [];
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(functions.map((fn) => fn.close()));
  await rm(logDir, { recursive: true, force: true });
});

function localFunction(name: string, file: string, overrides: Partial<FunctionSpec> = {}): LocalFunction {
  const spec: FunctionSpec = {
    logicalId: name.replace(/[^A-Za-z0-9]/g, ""),
    name,
    arn: `arn:aws-cn:lambda:${REGION}:000000000000:function:${name}`,
    handlerFile: join(FIXTURES, file),
    handlerExport: "handler",
    environment: {},
    timeoutSeconds: 3,
    memorySize: 128,
    logGroupName: `/aws/lambda/${name}`,
    maxConcurrency: 1,
    ...overrides,
  };
  const fn = new LocalFunction(spec, { region: REGION, awsEndpoint: ENDPOINT, logDir });
  functions.push(fn);
  return fn;
}

interface StateReply {
  count: number;
  threadId: number;
  env: Record<string, string | null>;
}

function payloadOf<T>(result: InvokeResult): T {
  if (!result.ok) throw new Error(`invocation failed: ${result.errorType}: ${result.errorMessage}`);
  return result.payload as T;
}

describe("execution environment", () => {
  it("gets the spec's variables plus Lambda's, and never another function's or the host's", async () => {
    vi.stubEnv("HOST_ONLY_SECRET", "must-not-leak");
    const intake = localFunction("hub-intake", "state.mjs", {
      environment: { TABLE_NAME: "complaints", ONLY_INTAKE: "intake" },
    });
    const chaser = localFunction("hub-chaser", "state.mjs", {
      environment: { TABLE_NAME: "deadlines", ONLY_CHASER: "chaser" },
      memorySize: 256,
    });
    const names = [
      "TABLE_NAME",
      "ONLY_INTAKE",
      "ONLY_CHASER",
      "HOST_ONLY_SECRET",
      "AWS_LAMBDA_FUNCTION_NAME",
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
      "AWS_LAMBDA_LOG_GROUP_NAME",
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_ENDPOINT_URL",
      "AWS_ACCESS_KEY_ID",
    ];
    const [a, b] = await Promise.all([intake.invoke({ names }), chaser.invoke({ names })]);
    expect(payloadOf<StateReply>(a as InvokeResult).env).toEqual({
      TABLE_NAME: "complaints",
      ONLY_INTAKE: "intake",
      ONLY_CHASER: null,
      HOST_ONLY_SECRET: null,
      AWS_LAMBDA_FUNCTION_NAME: "hub-intake",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/hub-intake",
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ENDPOINT_URL: ENDPOINT,
      // Fixed local credentials, not the test process's (vitest sets AWS_ACCESS_KEY_ID=test).
      AWS_ACCESS_KEY_ID: "local",
    });
    const chaserEnv = payloadOf<StateReply>(b as InvokeResult).env;
    expect(chaserEnv).toMatchObject({
      TABLE_NAME: "deadlines",
      ONLY_INTAKE: null,
      ONLY_CHASER: "chaser",
      HOST_ONLY_SECRET: null,
      AWS_LAMBDA_FUNCTION_NAME: "hub-chaser",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
    });
    expect(new URL(chaserEnv.AWS_ENDPOINT_URL as string).hostname).toBe("127.0.0.1");
  });

  it("keeps module state per environment: one environment counts on, two concurrent calls get two", async () => {
    const single = localFunction("hub-single", "state.mjs", { maxConcurrency: 1 });
    const replies: StateReply[] = [];
    for (let i = 0; i < 3; i++) replies.push(payloadOf<StateReply>(await single.invoke({})));
    expect(replies.map((r) => r.count)).toEqual([1, 2, 3]);
    expect(new Set(replies.map((r) => r.threadId)).size).toBe(1);

    const pair = localFunction("hub-pair", "state.mjs", { maxConcurrency: 2 });
    const [first, second] = (
      await Promise.all([pair.invoke({ sleepMs: 300 }), pair.invoke({ sleepMs: 300 })])
    )
      .map((result) => payloadOf<StateReply>(result))
      .sort((x, y) => x.threadId - y.threadId) as [StateReply, StateReply];
    expect(first.threadId).not.toBe(second.threadId);
    expect([first.count, second.count]).toEqual([1, 1]);
    // A later call reuses one of the two warm environments.
    const third = payloadOf<StateReply>(await pair.invoke({}));
    expect([first.threadId, second.threadId]).toContain(third.threadId);
    expect(third.count).toBe(2);
  });

  it("queues invocations beyond maxConcurrency instead of starting more environments", async () => {
    const fn = localFunction("hub-queued", "state.mjs", { maxConcurrency: 1 });
    const replies = (await Promise.all([1, 2, 3].map(() => fn.invoke({ sleepMs: 50 })))).map((r) =>
      payloadOf<StateReply>(r),
    );
    expect(replies.map((r) => r.count).sort()).toEqual([1, 2, 3]);
    expect(new Set(replies.map((r) => r.threadId)).size).toBe(1);
  });

  it("replaces an environment that died while idle", async () => {
    const fn = localFunction("hub-exit", "behaviour.mjs", { timeoutSeconds: 3 });
    expect(await fn.invoke({ action: "exit-after-return" })).toEqual({ ok: true, payload: "bye" });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the environment exits 20 ms after answering
    const started = Date.now();
    expect(await fn.invoke({ action: "echo", n: 1 })).toEqual({
      ok: true,
      payload: { echo: { action: "echo", n: 1 } },
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("fails invocations still waiting for an environment when the function shuts down", async () => {
    const fn = localFunction("hub-shutdown", "behaviour.mjs", { maxConcurrency: 1, timeoutSeconds: 10 });
    const running = fn.invoke({ action: "sleep", ms: 5000 });
    const queued = [fn.invoke({ action: "undefined" }), fn.invoke({ action: "undefined" })];
    const outcomes = Promise.allSettled([running, ...queued]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fn.close();
    const settled = await Promise.race([
      outcomes,
      new Promise((resolve) => setTimeout(() => resolve("hung"), 2000)),
    ]);
    expect(settled).not.toBe("hung");
    const [first, ...rest] = settled as PromiseSettledResult<InvokeResult>[];
    expect(first).toMatchObject({
      status: "fulfilled",
      value: { ok: false, errorType: "Runtime.ExitError" },
    });
    for (const outcome of rest) {
      expect(outcome).toMatchObject({
        status: "rejected",
        reason: { message: expect.stringMatching(/shut down/) },
      });
    }
  });
});

describe("invocation", () => {
  it("gives a context whose remaining time counts down from the timeout", async () => {
    const fn = localFunction("hub-remaining", "behaviour.mjs", { timeoutSeconds: 3 });
    const reply = payloadOf<{ first: number; second: number; requestId: string }>(
      await fn.invoke({ action: "remaining", ms: 150 }),
    );
    expect(reply.first).toBeLessThanOrEqual(3000);
    expect(reply.first).toBeGreaterThan(2000);
    expect(reply.first - reply.second).toBeGreaterThanOrEqual(100);
    expect(reply.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("times out after the function's timeout and runs the next call in a fresh environment", async () => {
    const fn = localFunction("hub-timeout", "state.mjs", { timeoutSeconds: 1 });
    const warm = payloadOf<StateReply>(await fn.invoke({}));
    const started = Date.now();
    const timedOut = await fn.invoke({ sleepMs: 5000 });
    const elapsed = Date.now() - started;
    expect(timedOut).toEqual({
      ok: false,
      errorType: "Sandbox.Timedout",
      errorMessage: "Task timed out after 1.00 seconds",
      timedOut: true,
    });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1800);
    const next = payloadOf<StateReply>(await fn.invoke({}));
    expect(next.count).toBe(1); // module state starts over: the timed-out environment was discarded
    expect(next.threadId).not.toBe(warm.threadId);
  });

  it("reports a thrown error with its type and message", async () => {
    const fn = localFunction("hub-throw", "behaviour.mjs");
    const result = await fn.invoke({ action: "throw", message: "seller unknown" });
    expect(result).toEqual({ ok: false, errorType: "ComplaintRejected", errorMessage: "seller unknown" });
    expect(result).not.toHaveProperty("timedOut");
    // The environment survives a handled error.
    expect(await fn.invoke({ action: "echo" })).toEqual({ ok: true, payload: { echo: { action: "echo" } } });
  });

  it("turns an undefined return into a null payload", async () => {
    const fn = localFunction("hub-undefined", "behaviour.mjs");
    expect(await fn.invoke({ action: "undefined" })).toEqual({ ok: true, payload: null });
  });

  it("writes the handler's output to the function's log file between START and END", async () => {
    const fn = localFunction("hub/logs", "behaviour.mjs");
    const markers = Array.from({ length: 8 }, (_, i) => `call-${i}`);
    for (const marker of markers) {
      expect(await fn.invoke({ action: "log", marker })).toEqual({ ok: true, payload: "logged" });
    }
    await fn.close();
    const lines = (await readFile(join(logDir, "hub_logs.log"), "utf8")).trimEnd().split("\n");
    const blocks: string[][] = [];
    for (const line of lines) {
      if (line.startsWith("START ")) blocks.push([]);
      blocks.at(-1)?.push(line);
    }
    expect(blocks).toHaveLength(markers.length);
    blocks.forEach((block, i) => {
      const marker = markers[i];
      const requestId = /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$/.exec(block[0] as string)?.[1];
      expect(requestId).toBeDefined();
      expect(block.slice(1).sort()).toEqual(
        [`END RequestId: ${requestId}`, `stderr line ${marker}`, `stdout line ${marker}`].sort(),
      );
      expect(block.at(-1)).toBe(`END RequestId: ${requestId}`);
    });
  });
});

describe("network guard", () => {
  it("refuses fetch, TCP and UDP to non-loopback addresses before anything is sent", async () => {
    const fn = localFunction("hub-egress", "network.mjs", { timeoutSeconds: 5 });
    const result = payloadOf<Record<string, unknown>>(await fn.invoke({ action: "egress" }));
    const refusal = (address: string) => ({
      refused: true,
      code: "ECONNREFUSED",
      message: expect.stringMatching(
        new RegExp(`${address.replace(/\./g, "\\.")}.*only loopback is reachable`),
      ),
    });
    expect(result).toEqual({
      fetch: refusal("203.0.113.10"),
      net: refusal("198.51.100.7"),
      dgramSend: refusal("192.0.2.1"),
      dgramConnect: refusal("192.0.2.1"),
    });
  });

  it("lets TCP, HTTP and UDP to a loopback server through", async () => {
    const tcp: TcpServer = createTcpServer((socket) => socket.end("hello from loopback"));
    const http: HttpServer = createHttpServer((_request, response) => response.end("pong"));
    const udp = createSocket("udp4");
    const datagrams: string[] = [];
    udp.on("message", (message) => datagrams.push(message.toString()));
    await Promise.all([
      new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve)),
      new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve)),
      new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve)),
    ]);
    try {
      const fn = localFunction("hub-loopback", "network.mjs", { timeoutSeconds: 5 });
      const result = await fn.invoke({
        action: "loopback",
        tcpPort: (tcp.address() as AddressInfo).port,
        httpPort: (http.address() as AddressInfo).port,
        udpPort: udp.address().port,
      });
      expect(result).toEqual({
        ok: true,
        payload: {
          tcp: { refused: false, data: "hello from loopback" },
          fetch: { status: 200, body: "pong" },
          udp: { refused: false },
        },
      });
      await expect.poll(() => datagrams).toEqual(["over loopback"]);
    } finally {
      http.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => tcp.close(resolve)),
        new Promise((resolve) => http.close(resolve)),
        new Promise<void>((resolve) => udp.close(resolve)),
      ]);
    }
  });
});

describe("CPU profiles (npm run bench)", () => {
  it("records each environment between startProfiling and stopProfiling, new ones included", async () => {
    const fn = localFunction("hub-profiled", "state.mjs", { maxConcurrency: 2 });
    payloadOf(await fn.invoke({}));
    const dir = join(logDir, "profiles");
    fn.startProfiling(dir);
    // One environment was running before the profiling started, a second one starts during it.
    await Promise.all([fn.invoke({ sleepMs: 20 }), fn.invoke({ sleepMs: 20 })]);
    await fn.stopProfiling();

    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(file).toMatch(/^hub-profiled\.[0-9a-f]{8}\.cpuprofile$/);
      const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as {
        nodes: { callFrame: { url: string } }[];
        samples: number[];
      };
      expect(profile.nodes.length).toBeGreaterThan(1);
      expect(Array.isArray(profile.samples)).toBe(true);
    }
    // Stopped: environments started afterwards record nothing, and the function still answers.
    payloadOf(await fn.invoke({}));
    await fn.stopProfiling();
    expect(await readdir(dir)).toHaveLength(2);
  });
});
