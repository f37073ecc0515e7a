/**
 * The SQS journal: state survives restarts and hard kills, torn writes are tolerated,
 * corruption stops start-up with a clear message, and the journal stays compact.
 */
import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resetSqsState, SqsEngine } from "../../local/sqs/sqs-engine.js";
import { startLocalSqsServer } from "../../local/sqs/sqs-server.js";
import { JOURNAL_FILE_NAME, SqsJournalCorruptError } from "../../local/sqs/sqs-store.js";

class ManualClock {
  current = Date.UTC(2025, 0, 15, 9, 0, 0);
  now(): number {
    return this.current;
  }
  advanceSeconds(seconds: number): void {
    this.current += seconds * 1000;
  }
}

let stateDir: string;
let clock: ManualClock;
const openEngines: SqsEngine[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "sqs-persistence-"));
  clock = new ManualClock();
});

afterEach(async () => {
  for (const engine of openEngines.splice(0)) await engine.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function openEngine(): Promise<SqsEngine> {
  const engine = await SqsEngine.open({
    stateDir,
    baseUrl: "http://127.0.0.1:4566",
    region: "cn-north-1",
    clock,
  });
  openEngines.push(engine);
  return engine;
}

async function closeEngine(engine: SqsEngine): Promise<void> {
  openEngines.splice(openEngines.indexOf(engine), 1);
  await engine.close();
}

const journalPath = () => join(stateDir, "sqs", JOURNAL_FILE_NAME);

describe("restart", () => {
  it("keeps queues, messages, receive counts and in-flight state", async () => {
    const first = await openEngine();
    const dlqUrl = await first.createQueue("dlq");
    const url = await first.createQueue(
      "orders",
      {
        VisibilityTimeout: "30",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: first.queueArn("dlq"), maxReceiveCount: 2 }),
      },
      { team: "hub" },
    );
    const sent = [];
    for (const body of ["a", "b", "c", "poison"]) {
      sent.push(
        await first.sendMessage(url, body, {
          messageAttributes: { kind: { DataType: "String", StringValue: body } },
        }),
      );
    }
    const received = await first.receiveMessages(url, { max: 10 });
    expect(received.map((message) => message.Body)).toEqual(["a", "b", "c", "poison"]);
    const [a, b, c, poison] = received;
    await first.deleteMessage(url, c?.ReceiptHandle ?? "");
    await first.changeVisibility(url, poison?.ReceiptHandle ?? "", 0);
    const [poisonAgain] = await first.receiveMessages(url);
    await first.changeVisibility(url, poisonAgain?.ReceiptHandle ?? "", 0);
    // The third receive moves "poison" (received twice, maxReceiveCount 2) to the DLQ.
    expect(await first.receiveMessages(url)).toEqual([]);
    await closeEngine(first);

    const second = await openEngine();
    expect(second.listQueues()).toEqual([dlqUrl, url]);
    expect(second.listQueueTags(url)).toEqual({ team: "hub" });
    expect(second.queueDepth(url)).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
    // A receipt handle issued before the restart still works.
    await second.deleteMessage(url, a?.ReceiptHandle ?? "");
    expect(second.queueDepth(url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    clock.advanceSeconds(30);
    const [again] = await second.receiveMessages(url, {
      attributeNames: ["All"],
      messageAttributeNames: ["All"],
    });
    expect(again?.MessageId).toBe(b?.MessageId);
    expect(again?.Attributes.ApproximateReceiveCount).toBe("2");
    expect(again?.MessageAttributes?.kind?.StringValue).toBe("b");
    expect(again?.MD5OfMessageAttributes).toBe(sent[1]?.MD5OfMessageAttributes);

    const [dead] = await second.receiveMessages(dlqUrl, { attributeNames: ["DeadLetterQueueSourceArn"] });
    expect(dead?.Body).toBe("poison");
    expect(dead?.Attributes).toEqual({ DeadLetterQueueSourceArn: second.queueArn("orders") });
  });

  it("loses no acknowledged message when the process is killed with SIGKILL", async () => {
    const childScript = join(stateDir, "sqs-child.mts");
    const serverModule = fileURLToPath(new URL("../../local/sqs/sqs-server.ts", import.meta.url));
    await writeFile(
      childScript,
      [
        `import { startLocalSqsServer } from ${JSON.stringify(serverModule)};`,
        "const local = await startLocalSqsServer({ stateDir: process.argv[2], port: 0, region: 'cn-north-1' });",
        "await local.engine.createQueue('durable');",
        "process.stdout.write(local.endpoint + '\\n');",
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["--import", "tsx", childScript, stateDir], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("\n")) resolve(output.trim());
        });
        child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
      });
      const sqs = new SQSClient({
        endpoint,
        region: "cn-north-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const QueueUrl = `${endpoint}/000000000000/durable`;
      const singles = Array.from({ length: 40 }, (_, i) =>
        sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `single-${i}` })),
      );
      const batch = sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `b${i}`, MessageBody: `batch-${i}` })),
        }),
      );
      await Promise.all([...singles, batch]);
      child.kill("SIGKILL");
      await exited;
      sqs.destroy();
    } finally {
      child.kill("SIGKILL");
    }

    // The child used the real clock, so must the engine that checks its work.
    const engine = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:4566", region: "cn-north-1" });
    openEngines.push(engine);
    const url = engine.queueUrl("durable");
    expect(engine.queueDepth(url).visible).toBe(50);
    const bodies: string[] = [];
    for (;;) {
      const messages = await engine.receiveMessages(url, { max: 10 });
      if (messages.length === 0) break;
      bodies.push(...messages.map((message) => message.Body));
    }
    expect(bodies.sort()).toEqual(
      [
        ...Array.from({ length: 40 }, (_, i) => `single-${i}`),
        ...Array.from({ length: 10 }, (_, i) => `batch-${i}`),
      ].sort(),
    );
  });

  it("serves the same queues over HTTP after a restart on a new port", async () => {
    const first = await startLocalSqsServer({ stateDir, port: 0, region: "cn-north-1", clock });
    await first.engine.createQueue("http-restart");
    await first.engine.sendMessage("http-restart", "survives");
    await first.close();

    const second = await startLocalSqsServer({ stateDir, port: 0, region: "cn-north-1", clock });
    const sqs = new SQSClient({
      endpoint: second.endpoint,
      region: "cn-north-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    try {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: `${second.endpoint}/000000000000/http-restart` }),
      );
      expect(Messages?.map((message) => message.Body)).toEqual(["survives"]);
    } finally {
      sqs.destroy();
      await second.close();
    }
  });
});

describe("journal damage", () => {
  it("tolerates a torn last line", async () => {
    const first = await openEngine();
    const url = await first.createQueue("torn");
    await first.sendMessage(url, "kept");
    await closeEngine(first);
    await appendFile(journalPath(), '{"op":"send","queue":"torn","message":{"id":"half-writ');

    const second = await openEngine();
    expect(second.queueDepth(url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    const [message] = await second.receiveMessages(url);
    expect(message?.Body).toBe("kept");
    // Start-up rewrote the journal from the live state: every line is whole again.
    const lines = (await readFile(journalPath(), "utf8")).trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("refuses to start on a corrupt journal, naming the file and the way out", async () => {
    const first = await openEngine();
    await first.createQueue("corrupt");
    await first.sendMessage("corrupt", "one");
    await closeEngine(first);
    const text = await readFile(journalPath(), "utf8");
    await writeFile(journalPath(), `garbage that is not json\n${text}`);

    const error = await SqsEngine.open({
      stateDir,
      baseUrl: "http://127.0.0.1:4566",
      region: "cn-north-1",
    }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(SqsJournalCorruptError);
    const message = (error as Error).message;
    expect(message).toContain(journalPath());
    expect(message).toContain("line 1");
    expect(message).toContain("--reset");
    expect(message).not.toContain("\n");

    await resetSqsState(stateDir);
    const fresh = await openEngine();
    expect(fresh.listQueues()).toEqual([]);
  });

  it("compacts the journal while running and replays the compacted state", async () => {
    const engine = await SqsEngine.open({
      stateDir,
      baseUrl: "http://127.0.0.1:4566",
      region: "cn-north-1",
      clock,
      compactAfterBytes: 20_000,
    });
    openEngines.push(engine);
    const url = await engine.createQueue("busy");
    const body = "x".repeat(500);
    for (let round = 0; round < 30; round += 1) {
      await Promise.all(Array.from({ length: 10 }, () => engine.sendMessage(url, body)));
      const messages = await engine.receiveMessages(url, { max: 10 });
      await Promise.all(messages.map((message) => engine.deleteMessage(url, message.ReceiptHandle)));
    }
    await Promise.all(Array.from({ length: 10 }, () => engine.sendMessage(url, "kept")));
    expect(engine.queueDepth(url).visible).toBe(10);
    // Without compaction the journal would hold ~350 kB of sends, receives and deletes.
    expect((await stat(journalPath())).size).toBeLessThan(40_000);
    await closeEngine(engine);

    const reopened = await openEngine();
    expect(reopened.queueDepth(url)).toEqual({ visible: 10, inFlight: 0, delayed: 0 });
  });
});
