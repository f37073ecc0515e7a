/**
 * Urgent (safety) complaints are delivered ahead of others, end to end through the local cloud: the template's
 * second queue per platform, its own event source for push platforms, the pull client reading it first, and
 * the one DLQ that both queues dead-letter into and that a redrive empties back into each.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAFETY_NATURES } from "../../shared/complaint/submission";
import {
  eventually,
  fileComplaint,
  readComplaint,
  sqsClient,
  startTestCloud,
  type TestCloud,
} from "./harness";

let hub: TestCloud;

beforeAll(async () => {
  // The local cloud's pull clients, as `npm start` runs them; stopped so each test decides when they read.
  hub = await startTestCloud({ pullClients: true });
  for (const client of hub.cloud.pullClients) await client.stop();
});

afterAll(async () => {
  await hub?.stop();
});

/** A food safety complaint: urgent by its nature. */
const SAFETY = { category: { nature: "food_safety", domain: "food" } };

async function queueAttribute(queueUrl: string, name: "ApproximateNumberOfMessages" | "QueueArn") {
  const { Attributes } = await sqsClient(hub.cloud).send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [name] }),
  );
  return Attributes?.[name] ?? "";
}

describe("a push platform with a backlog", () => {
  it("gets an urgent complaint before most of the complaints that were waiting", async () => {
    expect(SAFETY_NATURES.has(SAFETY.category.nature)).toBe(true);
    // Every answer takes 8 s (under the 10 s request timeout): the normal queue's pollers are soon all busy.
    hub.cloud.sandbox.setMode("suning", { mode: "slow", delayMs: 8000 });
    try {
      const backlog = await Promise.all(
        Array.from({ length: 60 }, () => fileComplaint(hub.cloud, { platform: "suning" })),
      );
      // A backlog: complaints waiting in the queue behind the ones being delivered.
      await eventually(async () =>
        Number(await queueAttribute(hub.cloud.output("Queuesuning"), "ApproximateNumberOfMessages")) >= 20
          ? true
          : undefined,
      );
      const urgent = await fileComplaint(hub.cloud, { platform: "suning", ...SAFETY });

      const ours = new Set([...backlog.map((f) => f.complaintId), urgent.complaintId]);
      const arrivals = await eventually(() => {
        const ids = hub.cloud.sandbox
          .received("suning")
          .map((r) => r.body?.complaintId as string)
          .filter((id) => ours.has(id));
        return ids.includes(urgent.complaintId) ? ids : undefined;
      });
      const backlogBefore = new Set(arrivals.slice(0, arrivals.indexOf(urgent.complaintId)));
      expect(backlogBefore.size).toBeLessThan(backlog.length / 2);

      const view = await eventually(async () => {
        const current = await readComplaint(hub.cloud, urgent);
        return current.status === "DELIVERED" ? current : undefined;
      });
      expect(view.urgent).toBe(true);
    } finally {
      hub.cloud.sandbox.setMode("suning", { mode: "ok" });
    }
  }, 90_000);
});

describe("a pull platform", () => {
  it("takes the urgent notice before the ones waiting in its queue, and acknowledges on the hub's time", async () => {
    const client = hub.cloud.pullClients.find((c) => c.platformId === "jd");
    if (!client) throw new Error("the local cloud runs no pull client for jd");
    const waiting = await Promise.all(
      Array.from({ length: 5 }, () => fileComplaint(hub.cloud, { platform: "jd" })),
    );
    const urgentQueueUrl = hub.cloud.output("UrgentQueuejd");
    await eventually(async () =>
      (await queueAttribute(hub.cloud.output("Queuejd"), "ApproximateNumberOfMessages")) === "5"
        ? true
        : undefined,
    );
    const urgent = await fileComplaint(hub.cloud, { platform: "jd", ...SAFETY });
    await eventually(async () =>
      (await queueAttribute(urgentQueueUrl, "ApproximateNumberOfMessages")) === "1" ? true : undefined,
    );

    // An hour on: acknowledgements signed on the machine's time would be refused as stale.
    hub.cloud.clock.advance(60 * 60 * 1000);
    try {
      client.start();
      const taken = await eventually(() => {
        const all = client.received();
        return all.filter((t) => t.deleted).length === waiting.length + 1 ? all : undefined;
      });
      expect(taken[0]).toMatchObject({
        queueUrl: urgentQueueUrl,
        notice: { complaintId: urgent.complaintId, urgent: true },
      });
      expect(new Set(taken.slice(1).map((t) => t.notice?.complaintId))).toEqual(
        new Set(waiting.map((f) => f.complaintId)),
      );
      for (const t of taken) expect(t.ack?.status, t.notice?.complaintId).toBe(200);
      expect(Date.parse(taken[0]?.at ?? "")).toBeGreaterThan(Date.now() + 30 * 60 * 1000);
    } finally {
      await client.stop();
      hub.cloud.clock.reset();
    }
  });
});

describe("the platform's one dead-letter queue", () => {
  it("is fed by both queues, and a redrive without a destination returns each message to its own", async () => {
    const sqs = sqsClient(hub.cloud);
    const queues = { normal: hub.cloud.output("Queuectrip"), urgent: hub.cloud.output("UrgentQueuectrip") };
    for (const [which, QueueUrl] of Object.entries(queues)) {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `poison from the ${which} queue` }));
      // The test stage dead-letters after 3 receives: the next receive moves the message to the DLQ.
      for (let receive = 1; receive <= 4; receive++) {
        await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
      }
    }
    const dlqUrl = hub.cloud.output("DeadLetterQueuectrip");
    await eventually(async () =>
      (await queueAttribute(dlqUrl, "ApproximateNumberOfMessages")) === "2" ? true : undefined,
    );

    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: await queueAttribute(dlqUrl, "QueueArn") }));
    for (const [which, QueueUrl] of Object.entries(queues)) {
      const message = await eventually(async () => {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
        return Messages?.[0];
      });
      expect(message.Body).toBe(`poison from the ${which} queue`);
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  });
});
