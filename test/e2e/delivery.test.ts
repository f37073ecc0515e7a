import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttemptRecord, ComplaintRecord } from "../../shared/complaint/record";
import { complaintNoticeSchema } from "../../shared/events/contract";
import {
  eventually,
  type Filed,
  fileComplaint,
  readComplaint,
  sqsClient,
  startTestCloud,
  type TestCloud,
} from "./harness";

let hub: TestCloud;

beforeAll(async () => {
  hub = await startTestCloud();
});

afterAll(async () => {
  await hub?.stop();
});

const dynamo = () =>
  new DynamoDBClient({
    endpoint: hub.cloud.awsEndpoint,
    region: hub.cloud.region,
    credentials: { accessKeyId: "ops", secretAccessKey: "ops" },
  });

async function storedComplaint(complaintId: string) {
  const { Item } = await dynamo().send(
    new GetItemCommand({
      TableName: hub.cloud.output("TableName"),
      Key: { pk: { S: `C#${complaintId}` }, sk: { S: "META" } },
      ConsistentRead: true,
    }),
  );
  return Item ? (unmarshall(Item) as ComplaintRecord) : undefined;
}

async function attempts(complaintId: string) {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: hub.cloud.output("TableName"),
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :attempt)",
      ExpressionAttributeValues: { ":pk": { S: `C#${complaintId}` }, ":attempt": { S: "ATTEMPT#" } },
    }),
  );
  return (Items ?? []).map((item) => unmarshall(item) as AttemptRecord);
}

async function delivered(filed: Filed) {
  return eventually(async () => {
    const view = await readComplaint(hub.cloud, filed);
    return view.status === "DELIVERED" ? view : undefined;
  });
}

describe("a complaint travels from the API to its platform", () => {
  it("reaches the push platform's sandbox signed, exactly once, and becomes DELIVERED with the case reference", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    expect(filed.status).toBe("ACCEPTED");
    const view = await delivered(filed);

    const requests = hub.cloud.sandbox
      .received("suning")
      .filter((r) => r.body?.complaintId === filed.complaintId);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.verified).toBe(true);
    expect(complaintNoticeSchema.safeParse(requests[0]?.body).success).toBe(true);
    const caseRef = (view.delivery as { platformCaseRef?: string }).platformCaseRef;
    expect(caseRef).toBeTruthy();
    expect(hub.cloud.sandbox.cases("suning")).toContain(caseRef);
  });

  it("lets a pull platform take the ComplaintNotice from its queue with a plain SQS client", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "jd" });
    const sqs = sqsClient(hub.cloud);
    const queueUrl = hub.cloud.output("Queuejd");
    const notice = await eventually(async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      for (const message of Messages ?? []) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        const body = JSON.parse(message.Body ?? "{}");
        if (body.complaintId === filed.complaintId) return body;
      }
      return undefined;
    });
    expect(complaintNoticeSchema.parse(notice).platform).toBe("jd");
    expect(notice).not.toHaveProperty("trackingTokenHash");
    expect((await readComplaint(hub.cloud, filed)).status).toBe("QUEUED");
  });

  it("routes a complaint about a non-member platform to the association's triage queue", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "pinduoduo" });
    const sqs = sqsClient(hub.cloud);
    const queueUrl = hub.cloud.output("TriageQueueUrl");
    const notice = await eventually(async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      return (Messages ?? [])
        .map((m) => JSON.parse(m.Body ?? "{}"))
        .find((b) => b.complaintId === filed.complaintId);
    });
    expect(notice.platform).toBe("pinduoduo");
  });
});

describe("a platform that fails", () => {
  it("gets retries on the schedule, then the DLQ with the reason; a redrive delivers once it recovers", async () => {
    hub.cloud.sandbox.setMode("gome", { mode: "fail" });
    const filed = await fileComplaint(hub.cloud, { platform: "gome" });

    const parked = await eventually(async () => {
      const item = await storedComplaint(filed.complaintId);
      return item?.delivery?.state === "dead_lettered" ? item : undefined;
    });
    expect(parked.delivery.parkedReason).toMatch(/retries exhausted after 3 attempts: status 503/);

    const tried = (await attempts(filed.complaintId)).sort((a, b) => a.attempt - b.attempt);
    expect(tried.map((a) => a.outcome)).toEqual(["retry", "retry", "dead_lettered"]);
    // Test stage schedule: 1 s base, doubling, capped at 2 s, equal jitter, rounded up to whole seconds.
    for (let i = 1; i < tried.length; i++) {
      expect(Date.parse(tried[i]?.at ?? "") - Date.parse(tried[i - 1]?.at ?? "")).toBeGreaterThanOrEqual(900);
    }

    const sqs = sqsClient(hub.cloud);
    const dlqUrl = hub.cloud.output("DeadLetterQueuegome");
    await eventually(async () => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "QueueArn"],
        }),
      );
      return Attributes?.ApproximateNumberOfMessages === "1" ? Attributes : undefined;
    });

    hub.cloud.sandbox.setMode("gome", { mode: "ok" });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
    );
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes?.QueueArn }));
    const view = await delivered(filed);

    const successes = hub.cloud.sandbox
      .received("gome")
      .filter((r) => r.body?.complaintId === filed.complaintId && r.status >= 200 && r.status < 300);
    expect(successes).toHaveLength(1);
    expect((view.delivery as { platformCaseRef?: string }).platformCaseRef).toBeTruthy();
  });
});

describe("a restart of the local cloud in the middle of delivery", () => {
  it("loses nothing and opens no second case at the platform", async () => {
    hub.cloud.sandbox.setMode("vip", { mode: "slow", delayMs: 1500 });
    const filed = await Promise.all(
      Array.from({ length: 5 }, () => fileComplaint(hub.cloud, { platform: "vip" })),
    );
    await eventually(() => (hub.cloud.sandbox.received("vip").length > 0 ? true : undefined));

    await hub.restart();
    for (const complaint of filed) await delivered(complaint);

    const ids = new Set(filed.map((f) => f.complaintId));
    const cases = new Map<string, Set<string>>();
    for (const request of hub.cloud.sandbox.received("vip")) {
      if (!ids.has(request.body?.complaintId) || !request.caseRef) continue;
      const set = cases.get(request.body.complaintId) ?? new Set<string>();
      set.add(request.caseRef);
      cases.set(request.body.complaintId, set);
    }
    expect(cases.size).toBe(5);
    for (const refs of cases.values()) expect(refs.size).toBe(1);
    for (const complaint of filed) {
      const stored = await storedComplaint(complaint.complaintId);
      expect([...(cases.get(complaint.complaintId) ?? [])]).toEqual([stored?.delivery.caseRef]);
    }
  });
});
