/**
 * Deploying the template's queues again on restart, as a stack update does: what the template did not change
 * stays as it was changed out of band; what it changed is applied.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DEPLOYED_QUEUES_FILE_NAME,
  deployQueues,
  type QueueDeclaration,
} from "../../local/sqs/queue-deployment.js";
import { SqsEngine, sqsStateDirectory } from "../../local/sqs/sqs-engine.js";

let stateDir: string;
const open: SqsEngine[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "queue-deployment-"));
});

afterEach(async () => {
  for (const engine of open.splice(0)) await engine.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function start(): Promise<SqsEngine> {
  for (const engine of open.splice(0)) await engine.close();
  const engine = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:4566", region: "cn-north-1" });
  open.push(engine);
  return engine;
}

const template = (visibility: string, retention = "345600"): QueueDeclaration[] => [
  { name: "work-dlq", attributes: { MessageRetentionPeriod: "1209600" } },
  {
    name: "work",
    attributes: {
      VisibilityTimeout: visibility,
      MessageRetentionPeriod: retention,
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: "arn:aws:sqs:cn-north-1:000000000000:work-dlq",
        maxReceiveCount: 3,
      }),
    },
  },
];

const attribute = (sqs: SqsEngine, name: string) =>
  sqs.getQueueAttributes("work", [name])[name] as string | undefined;

describe("deploying the template's queues", () => {
  it("creates them, and keeps an out-of-band change across restarts while the template leaves it alone", async () => {
    let sqs = await start();
    await deployQueues(sqs, stateDir, template("150"));
    expect(attribute(sqs, "VisibilityTimeout")).toBe("150");
    await sqs.setQueueAttributes("work", { VisibilityTimeout: "30" });

    sqs = await start();
    await deployQueues(sqs, stateDir, template("150"));
    expect(attribute(sqs, "VisibilityTimeout")).toBe("30");
    expect(attribute(sqs, "MessageRetentionPeriod")).toBe("345600");

    // The template changes another attribute: only that one is applied.
    sqs = await start();
    await deployQueues(sqs, stateDir, template("150", "86400"));
    expect(attribute(sqs, "VisibilityTimeout")).toBe("30");
    expect(attribute(sqs, "MessageRetentionPeriod")).toBe("86400");

    // The template changes the attribute itself: the template wins.
    sqs = await start();
    await deployQueues(sqs, stateDir, template("180", "86400"));
    expect(attribute(sqs, "VisibilityTimeout")).toBe("180");
  });

  it("applies every template attribute to state that has no record of the last deploy", async () => {
    let sqs = await start();
    await deployQueues(sqs, stateDir, template("150"));
    await sqs.setQueueAttributes("work", { VisibilityTimeout: "30" });
    await rm(join(sqsStateDirectory(stateDir), DEPLOYED_QUEUES_FILE_NAME));

    sqs = await start();
    await deployQueues(sqs, stateDir, template("150"));
    expect(attribute(sqs, "VisibilityTimeout")).toBe("150");
  });
});
