import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttemptRecord, MessageRecord } from "../../shared/complaint/record";
import { asConsumer, platformReport } from "./actors";
import {
  eventually,
  type Filed,
  fileComplaint,
  readComplaint,
  startTestCloud,
  type TestCloud,
} from "./harness";

/**
 * The consumer's side of a complaint through the local cloud, with public APIs only: file it, follow it to
 * DELIVERED at the sandbox platform, add information, withdraw it; and, with the platform reporting through its
 * own signed API, answer its request for information and accept or reject its resolutions. Every refusal is
 * covered route by route in test/unit/consumer.test.ts.
 */
let hub: TestCloud;

beforeAll(async () => {
  hub = await startTestCloud();
});

afterAll(async () => {
  await hub?.stop();
});

/** A consumer view (status, timeline) or a problem (type), as the API answers. */
interface Answer {
  status?: string;
  type?: string;
  awaitingConsumerInfo?: boolean;
  timeline: Record<string, unknown>[];
}

async function post(filed: Filed, action: string, body?: unknown, token = filed.trackingToken) {
  const answer = await asConsumer(hub.cloud, filed, action, body, token);
  return { status: answer.status, contentType: answer.contentType, json: answer.body as Answer };
}

async function delivered(filed: Filed) {
  return eventually(async () => {
    const view = await readComplaint(hub.cloud, filed);
    return view.status === "DELIVERED" ? view : undefined;
  });
}

async function storedItems<T>(complaintId: string, prefix: "MSG#" | "ATTEMPT#"): Promise<T[]> {
  const dynamo = new DynamoDBClient({
    endpoint: hub.cloud.awsEndpoint,
    region: hub.cloud.region,
    credentials: { accessKeyId: "ops", secretAccessKey: "ops" },
  });
  const { Items } = await dynamo.send(
    new QueryCommand({
      TableName: hub.cloud.output("TableName"),
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": { S: `C#${complaintId}` }, ":prefix": { S: prefix } },
    }),
  );
  dynamo.destroy();
  return (Items ?? []).map((item) => unmarshall(item) as T);
}

const storedMessages = (complaintId: string) => storedItems<MessageRecord>(complaintId, "MSG#");

describe("a consumer following a delivered complaint", () => {
  let filed: Filed;

  beforeAll(async () => {
    filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await delivered(filed);
  });

  it("adds information: kept beside the complaint, in the consumer's timeline, status unchanged", async () => {
    const text = "The courier left the parcel open at the door; photos attached.";
    const evidence = [{ url: "https://evidence.example.com/parcel.jpg", description: "Parcel as found" }];
    const added = await post(filed, "messages", { text, evidence });
    expect(added.status).toBe(200);
    expect(added.json.status).toBe("DELIVERED");
    expect(added.json.timeline.at(-1)).toMatchObject({
      from: "DELIVERED",
      to: "DELIVERED",
      reason: "consumer_added_information",
    });

    const view = await readComplaint(hub.cloud, filed);
    expect(view).toEqual(added.json);
    expect(await storedMessages(filed.complaintId)).toEqual([
      expect.objectContaining({ seq: 1, text, evidence, answersInfoRequest: false, kind: "message" }),
    ]);
  });

  it("refuses what the gateway or the function must refuse, as problem+json", async () => {
    const noToken = await post(filed, "messages", { text: "hello" }, "");
    expect(noToken).toMatchObject({ status: 401, contentType: "application/problem+json" });
    const wrongToken = await post(filed, "messages", { text: "hello" }, "A".repeat(43));
    expect(wrongToken.status).toBe(404);
    expect(wrongToken.json.type).toBe("urn:complaint-hub:problem:not-found");

    // The gateway validates against the model made from the same zod schema.
    const tooLong = await post(filed, "messages", { text: "x".repeat(2001) });
    expect(tooLong).toMatchObject({ status: 400, contentType: "application/problem+json" });
    expect(tooLong.json.type).toBe("urn:complaint-hub:problem:validation");
    const unknownField = await post(filed, "withdraw", { reason: "x", when: "now" });
    expect(unknownField.status).toBe(400);
    // Valid for the model but over the function's limit.
    const padded = await post(filed, "messages", `{"text":"hi"${" ".repeat(40 * 1024)}}`);
    expect(padded.status).toBe(413);
    expect(padded.json.type).toBe("urn:complaint-hub:problem:payload-too-large");

    // Feedback answers a resolution, and the platform has proposed none.
    const feedback = await post(filed, "feedback", { decision: "accept" });
    expect(feedback).toMatchObject({ status: 409, contentType: "application/problem+json" });
    expect(feedback.json.type).toBe("urn:complaint-hub:problem:illegal-transition");

    const view = await readComplaint(hub.cloud, filed);
    expect(view.status).toBe("DELIVERED");
    expect(await storedMessages(filed.complaintId)).toHaveLength(1);
  });

  it("withdraws it; a second withdrawal and later messages are refused with 409", async () => {
    const withdrawn = await post(filed, "withdraw", { reason: "The seller refunded me directly" });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.json.status).toBe("WITHDRAWN");
    expect(withdrawn.json.timeline.at(-1)).toMatchObject({
      from: "DELIVERED",
      to: "WITHDRAWN",
      reason: "consumer_withdrew",
      note: "The seller refunded me directly",
    });
    expect((await readComplaint(hub.cloud, filed)).status).toBe("WITHDRAWN");

    const again = await post(filed, "withdraw", {});
    expect(again).toMatchObject({ status: 409, contentType: "application/problem+json" });
    expect(again.json.type).toBe("urn:complaint-hub:problem:illegal-transition");
    const late = await post(filed, "messages", { text: "Never mind" });
    expect(late.status).toBe(409);
    expect(await storedMessages(filed.complaintId)).toHaveLength(1);
  });
});

it("withdraws a complaint without a body, before it reaches the platform or after", async () => {
  const filed = await fileComplaint(hub.cloud, { platform: "suning" });
  // The hub may be routing it at this very moment: a lost race is a 409 concurrent-change, to be retried.
  const withdrawn = await eventually(async () => {
    const answer = await post(filed, "withdraw");
    return answer.json.type === "urn:complaint-hub:problem:concurrent-change" ? undefined : answer;
  });
  expect(withdrawn.status).toBe(200);
  expect(withdrawn.json.status).toBe("WITHDRAWN");
  // The delivery that was under way settles (delivered, or skipped as withdrawn) and does not bring it back.
  const [attempt] = await eventually(async () => {
    const attempts = await storedItems<AttemptRecord>(filed.complaintId, "ATTEMPT#");
    return attempts.length > 0 ? attempts : undefined;
  });
  expect(["delivered", "skipped"]).toContain(attempt?.outcome);
  expect((await readComplaint(hub.cloud, filed)).status).toBe("WITHDRAWN");
});

/** A report by the sandbox platform the complaints go to, signed with its own secret. */
async function platformReports(filed: Filed, type: string, extra: Record<string, unknown> = {}) {
  const answer = await platformReport(hub.cloud, "suning", filed.complaintId, type, extra);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.status as string | undefined;
}

const RELIEF = { relief: { type: "return_refund", amountFen: 15_900 } };

describe("a consumer answering the platform", () => {
  it("answers its request for information: the hub stops waiting, the message marked as the answer", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await delivered(filed);
    expect(await platformReports(filed, "ACK")).toBe("ACKNOWLEDGED");
    expect(await platformReports(filed, "INFO_REQUESTED", { note: "请提供快递面单照片" })).toBe(
      "IN_PROGRESS",
    );
    expect((await readComplaint(hub.cloud, filed)).awaitingConsumerInfo).toBe(true);

    const answered = await post(filed, "messages", {
      text: "Photo of the waybill attached.",
      evidence: [{ url: "https://evidence.example.com/waybill.jpg" }],
    });
    expect(answered.status).toBe(200);
    expect(answered.json).toMatchObject({ status: "IN_PROGRESS", awaitingConsumerInfo: false });
    expect(answered.json.timeline.at(-1)).toMatchObject({
      from: "IN_PROGRESS",
      to: "IN_PROGRESS",
      reason: "consumer_added_information",
      note: expect.stringMatching(/^Answers the platform's request for information/),
    });
    expect((await storedMessages(filed.complaintId)).map((m) => m.answersInfoRequest)).toEqual([true]);
  });

  it("rejects a resolution (back to the platform), then a second one (to the association's mediation)", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await delivered(filed);
    await platformReports(filed, "ACK");
    expect(await platformReports(filed, "RESOLVED", RELIEF)).toBe("AWAITING_CONSUMER_CONFIRMATION");
    expect((await readComplaint(hub.cloud, filed)).relief).toEqual(RELIEF.relief);

    const first = await post(filed, "feedback", { decision: "reject", comment: "Only half was refunded" });
    expect(first.status).toBe(200);
    expect(first.json.status).toBe("IN_PROGRESS");
    expect(first.json.timeline.at(-1)).toMatchObject({ to: "IN_PROGRESS", reason: "resolution_rejected" });

    expect(await platformReports(filed, "RESOLVED", RELIEF)).toBe("AWAITING_CONSUMER_CONFIRMATION");
    const second = await post(filed, "feedback", { decision: "reject" });
    expect(second.status).toBe(200);
    expect(second.json.status).toBe("ASSOCIATION_MEDIATION");
    expect(second.json.timeline.at(-1)).toMatchObject({
      to: "ASSOCIATION_MEDIATION",
      reason: "second_rejection",
    });
    expect((await readComplaint(hub.cloud, filed)).status).toBe("ASSOCIATION_MEDIATION");
  });

  it("accepts a resolution: CLOSED, and nothing more to say about it", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await delivered(filed);
    await platformReports(filed, "ACK");
    await platformReports(filed, "RESOLVED", RELIEF);
    const accepted = await post(filed, "feedback", { decision: "accept" });
    expect(accepted.status).toBe(200);
    expect(accepted.json.status).toBe("CLOSED");
    expect(accepted.json.timeline.at(-1)).toMatchObject({ to: "CLOSED", reason: "resolved_accepted" });
    expect((await post(filed, "feedback", { decision: "reject" })).json.type).toBe(
      "urn:complaint-hub:problem:illegal-transition",
    );
    expect((await post(filed, "withdraw")).status).toBe(409);
  });
});
