/**
 * Platform reports end to end through the local cloud: platforms sign with their own secret (read from the local
 * Secrets Manager, as a platform would hold it), report through the REST API the template declares, and the
 * consumer, the bus and the other platform's sandbox see the outcome.
 */
import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComplaintNotice, complaintNoticeSchema } from "../../shared/events/contract";
import { asPlatform as asPlatformIn, platformReport } from "./actors";
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
  // With the local cloud's pull clients, as `npm start` runs them; jd's is stopped so the tests pull jd themselves.
  hub = await startTestCloud({ pullClients: true });
  await hub.cloud.pullClients.find((client) => client.platformId === "jd")?.stop();
});

afterAll(async () => {
  await hub?.stop();
});

/** A request as the platform sends it, signed with its own secret. */
const asPlatform = (
  platformId: string,
  method: "GET" | "POST",
  path: string,
  body?: object,
  options: { signAs?: string } = {},
) => asPlatformIn(hub.cloud, platformId, method, path, body, options);

/** A platform's report on a complaint, with a fresh eventId. */
const report = (
  platformId: string,
  complaintId: string,
  type: string,
  extra: Record<string, unknown> = {},
  options: { signAs?: string } = {},
) => platformReport(hub.cloud, platformId, complaintId, type, extra, options);

async function viewWhen(filed: Filed, status: string) {
  return eventually(async () => {
    const view = await readComplaint(hub.cloud, filed);
    return view.status === status ? view : undefined;
  });
}

interface ViewEntry {
  from: string | null;
  to: string;
  reason?: string;
  note?: string;
}
const timelineOf = (view: Record<string, unknown>) => view.timeline as ViewEntry[];

/** Takes the complaint's notice off a pull platform's queue with a plain SQS client, as the platform would. */
async function takeNotice(platformId: string, complaintId: string): Promise<ComplaintNotice> {
  const sqs = sqsClient(hub.cloud);
  const queueUrl = hub.cloud.output(`Queue${platformId}`);
  return eventually(async () => {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    let found: ComplaintNotice | undefined;
    for (const message of Messages ?? []) {
      const notice = complaintNoticeSchema.parse(JSON.parse(message.Body ?? "{}"));
      if (notice.complaintId !== complaintId) continue;
      found = notice;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    return found;
  });
}

describe("a push platform reports progress", () => {
  it("ACKs then RESOLVES a delivered complaint; the consumer sees it awaiting confirmation", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await viewWhen(filed, "DELIVERED");

    const ack = await report("suning", filed.complaintId, "ACK");
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body).toMatchObject({ complaintId: filed.complaintId, type: "ACK", status: "ACKNOWLEDGED" });

    const resolved = await report("suning", filed.complaintId, "RESOLVED", {
      relief: { type: "return_refund", amountFen: 15_900 },
      note: "退货退款已批准，请寄回商品",
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.status).toBe("AWAITING_CONSUMER_CONFIRMATION");

    const view = await readComplaint(hub.cloud, filed);
    expect(view.status).toBe("AWAITING_CONSUMER_CONFIRMATION");
    expect(timelineOf(view).slice(-3)).toEqual([
      expect.objectContaining({ from: "QUEUED", to: "DELIVERED" }),
      expect.objectContaining({ from: "DELIVERED", to: "ACKNOWLEDGED", reason: "acknowledged_by_platform" }),
      expect.objectContaining({
        from: "ACKNOWLEDGED",
        to: "AWAITING_CONSUMER_CONFIRMATION",
        reason: "platform_resolved",
        note: "退货退款已批准，请寄回商品",
      }),
    ]);
  });

  it("answers the same eventId again with the same outcome, and a report the lifecycle refuses with 409", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await viewWhen(filed, "DELIVERED");
    const body = { eventId: `e2e-repeat-${randomUUID()}`, type: "ACK", occurredAt: new Date().toISOString() };
    const path = `/platform/v1/complaints/${filed.complaintId}/events`;
    const first = await asPlatform("suning", "POST", path, body);
    const again = await asPlatform("suning", "POST", path, body);
    expect(again).toEqual(first);

    const refused = await report("suning", filed.complaintId, "ACK");
    expect(refused.status).toBe(409);
    expect(refused.contentType).toBe("application/problem+json");
    expect(refused.body.type).toBe("urn:complaint-hub:problem:illegal-transition");
  });
});

describe("a pull platform", () => {
  it("takes the notice with a plain SQS client and ACKs: DELIVERED and ACKNOWLEDGED with its case reference", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "jd" });
    const notice = await takeNotice("jd", filed.complaintId);
    expect((await readComplaint(hub.cloud, filed)).status).toBe("QUEUED");

    const ack = await report("jd", notice.complaintId, "ACK", { caseRef: "JD-AS-20260001" });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body.status).toBe("ACKNOWLEDGED");

    const view = await readComplaint(hub.cloud, filed);
    expect(view.status).toBe("ACKNOWLEDGED");
    expect(view.delivery).toMatchObject({ delivered: true, platformCaseRef: "JD-AS-20260001" });
    expect(view.deadlines).toMatchObject({ basis: "from_delivery" });
    expect(timelineOf(view).slice(-2)).toEqual([
      expect.objectContaining({ from: "QUEUED", to: "DELIVERED", reason: "received_by_platform" }),
      expect.objectContaining({ from: "DELIVERED", to: "ACKNOWLEDGED" }),
    ]);
  });

  it("run by the local cloud (ctrip's client) acknowledges every notice it takes", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "ctrip" });
    const client = hub.cloud.pullClients.find((c) => c.platformId === "ctrip");
    expect(client?.running).toBe(true);
    const view = await viewWhen(filed, "ACKNOWLEDGED");
    const taken = client?.received().find((t) => t.notice?.complaintId === filed.complaintId);
    expect(taken).toMatchObject({ deleted: true, ack: { status: 200, hubStatus: "ACKNOWLEDGED" } });
    expect(view.delivery).toMatchObject({
      delivered: true,
      platformCaseRef: client?.caseRefFor(taken?.notice as ComplaintNotice),
    });
  });

  it("lists its own complaints in its inbox, signed over an empty body", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "jd" });
    const inbox = await eventually(async () => {
      const answer = await asPlatform("jd", "GET", "/platform/v1/complaints?status=QUEUED&limit=100");
      return answer.body.items?.some((i: { complaintId: string }) => i.complaintId === filed.complaintId)
        ? answer
        : undefined;
    });
    expect(inbox.status).toBe(200);
    expect(inbox.body.items.every((i: { status: string }) => i.status === "QUEUED")).toBe(true);
    expect(JSON.stringify(inbox.body)).not.toContain("13800138000");

    const unsigned = await fetch(`${hub.cloud.apiUrl}/platform/v1/complaints`);
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("REDIRECT to another member", () => {
  it("re-routes the complaint at once, and it reaches the other platform's sandbox", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    await viewWhen(filed, "DELIVERED");

    const redirect = await report("suning", filed.complaintId, "REDIRECT", {
      redirectTo: "vip",
      note: "The shop sells on Vip.com, not on Suning",
    });
    expect(redirect.status, JSON.stringify(redirect.body)).toBe(200);
    expect(redirect.body).toMatchObject({ status: "QUEUED", reroutedTo: "vip" });

    const view = await viewWhen(filed, "DELIVERED");
    expect(view.platform).toBe("vip");
    const delivered = hub.cloud.sandbox
      .received("vip")
      .filter((r) => r.body?.complaintId === filed.complaintId);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.verified).toBe(true);
    expect(complaintNoticeSchema.parse(delivered[0]?.body)).toMatchObject({
      platform: "vip",
      noticeId: `${filed.complaintId}-r2`,
    });
    expect(hub.cloud.sandbox.cases("vip")).toContain(
      (view.delivery as { platformCaseRef: string }).platformCaseRef,
    );
    // The platform's note stays between it and the hub; the consumer sees the re-route.
    const timeline = timelineOf(view);
    expect(timeline.map((e) => e.note)).not.toContain("The shop sells on Vip.com, not on Suning");
    expect(timeline).toContainEqual(expect.objectContaining({ from: "REROUTE_REVIEW", to: "QUEUED" }));

    // Suning may no longer act on it; vip may.
    expect((await report("suning", filed.complaintId, "CONTACTED_CONSUMER")).status).toBe(403);
    expect((await report("vip", filed.complaintId, "ACK")).body.status).toBe("ACKNOWLEDGED");
  });
});

describe("tenancy and signatures", () => {
  it("refuses a platform reporting on another platform's complaint with 403, and nothing changes", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    const before = await viewWhen(filed, "DELIVERED");
    const refused = await report("gome", filed.complaintId, "RESOLVED", {
      relief: { type: "refund", amountFen: 1 },
    });
    expect(refused.status).toBe(403);
    expect(refused.contentType).toBe("application/problem+json");
    expect(refused.body.type).toBe("urn:complaint-hub:problem:forbidden");
    expect(await readComplaint(hub.cloud, filed)).toEqual(before);
  });

  it("refuses a report signed with another platform's secret with 401", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    const before = await viewWhen(filed, "DELIVERED");
    const refused = await report("suning", filed.complaintId, "ACK", {}, { signAs: "jd" });
    expect(refused.status).toBe(401);
    expect(refused.body.type).toBe("urn:complaint-hub:problem:signature-refused");
    expect(await readComplaint(hub.cloud, filed)).toEqual(before);
  });
});
