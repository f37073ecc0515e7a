/**
 * Deadlines and the chase end to end: the schedule rule from the template runs the chase function in the
 * local cloud against its movable clock. A platform that never answers walks the whole chain and the
 * association's triage queue sees each escalation; one that answers on day 6 is never chased; an operator
 * supervises, pauses mediation for appraisal and closes it, and the consumer follows every step.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addWorkingDays } from "../../shared/calendar/working-days";
import {
  closeComplaint,
  pauseMediation,
  resumeMediation,
  supervise,
} from "../../shared/operator/operator-actions";
import { asConsumer, operatorDependencies, platformReport } from "./actors";
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

interface View {
  status: string;
  deadlines: Record<string, string | number>;
  currentDeadline?: { kind: string; dueBy: string };
  delivery: { deliveredAt?: string };
  timeline: { from: string | null; to: string; reason?: string; note?: string }[];
}

const view = async (filed: Filed) => (await readComplaint(hub.cloud, filed)) as unknown as View;

async function viewWhen(filed: Filed, status: string): Promise<View> {
  return eventually(async () => {
    const current = await view(filed);
    return current.status === status ? current : undefined;
  });
}

/** Moves the local cloud's clock to `at` and runs the schedule rules once, as EventBridge would then. */
async function chaseAt(at: Date | string): Promise<void> {
  hub.cloud.clock.set(new Date(at));
  await hub.cloud.events.runSchedules();
}

const justAfter = (iso: string) => new Date(Date.parse(iso) + 60_000);
const justBefore = (iso: string) => new Date(Date.parse(iso) - 60_000);

/** Status Changed events the triage queue received for a complaint, by their target status. */
const escalations = new Map<string, string[]>();
async function escalatedTo(complaintId: string, status: string): Promise<void> {
  const sqs = sqsClient(hub.cloud);
  const queueUrl = hub.cloud.output("TriageQueueUrl");
  await eventually(async () => {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    for (const message of Messages ?? []) {
      const event = JSON.parse(message.Body ?? "{}");
      if (event["detail-type"] === "Complaint Status Changed") {
        const seen = escalations.get(event.detail.complaintId) ?? [];
        escalations.set(event.detail.complaintId, [...seen, event.detail.to]);
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    return escalations.get(complaintId)?.includes(status) ? true : undefined;
  });
}

describe("a platform that never answers", () => {
  it("walks the whole chain on the Chinese calendar, each escalation reaching the association", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    const delivered = await viewWhen(filed, "DELIVERED");
    const deliveredAt = new Date(delivered.delivery.deliveredAt as string);
    const responseDue = addWorkingDays(deliveredAt, 7).toISOString();
    expect(delivered.currentDeadline).toEqual({ kind: "platform_response", dueBy: responseDue });

    await chaseAt(justBefore(responseDue));
    expect((await view(filed)).status).toBe("DELIVERED");

    await chaseAt(justAfter(responseDue));
    const overdue = await view(filed);
    expect(overdue.status).toBe("OVERDUE");
    expect(overdue.currentDeadline?.kind).toBe("supervision_start");

    await chaseAt(justAfter(overdue.currentDeadline?.dueBy as string));
    const supervised = await view(filed);
    expect(supervised.status).toBe("SUPERVISED");
    expect(supervised.currentDeadline?.dueBy).toBe(
      addWorkingDays(justAfter(overdue.currentDeadline?.dueBy as string), 3).toISOString(),
    );
    await escalatedTo(filed.complaintId, "SUPERVISED");

    await chaseAt(justAfter(supervised.currentDeadline?.dueBy as string));
    const mediating = await view(filed);
    expect(mediating.status).toBe("ASSOCIATION_MEDIATION");
    expect(mediating.currentDeadline?.kind).toBe("mediation");
    await escalatedTo(filed.complaintId, "ASSOCIATION_MEDIATION");

    await chaseAt(justAfter(mediating.currentDeadline?.dueBy as string));
    const closed = await view(filed);
    expect(closed.status).toBe("CLOSED");
    expect(closed.currentDeadline).toBeUndefined();
    expect(closed.timeline.slice(-4).map((entry) => [entry.to, entry.reason])).toEqual([
      ["OVERDUE", "response_deadline_missed"],
      ["SUPERVISED", "supervision_opened"],
      ["ASSOCIATION_MEDIATION", "supervision_deadline_missed"],
      ["CLOSED", "mediation_time_limit_reached"],
    ]);
    // Nothing is left to chase: a later run changes nothing.
    await chaseAt(justAfter(addWorkingDays(new Date(), 400).toISOString()));
    expect((await view(filed)).timeline).toHaveLength(closed.timeline.length);
  });
});

describe("a platform that answers on day 6", () => {
  it("is never chased, and the unanswered resolution closes as resolved after 7 days", async () => {
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    const delivered = await viewWhen(filed, "DELIVERED");
    const deliveredAt = new Date(delivered.delivery.deliveredAt as string);
    // During the sixth working day after delivery, in Shanghai.
    hub.cloud.clock.set(new Date(addWorkingDays(deliveredAt, 6).getTime() - 6 * 3600_000));
    const resolved = await platformReport(hub.cloud, "suning", filed.complaintId, "RESOLVED", {
      relief: { type: "return_refund", amountFen: 15_900 },
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    const answered = await view(filed);
    expect(answered.status).toBe("AWAITING_CONSUMER_CONFIRMATION");
    expect(answered.currentDeadline?.kind).toBe("consumer_confirmation");

    // Well past the response deadline (day 7) and any supervision date: no chase for an answered complaint.
    await chaseAt(justAfter(delivered.currentDeadline?.dueBy as string));
    await chaseAt(addWorkingDays(deliveredAt, 9));
    expect((await view(filed)).status).toBe("AWAITING_CONSUMER_CONFIRMATION");

    await chaseAt(justAfter(answered.currentDeadline?.dueBy as string));
    const closed = await view(filed);
    expect(closed.status).toBe("CLOSED");
    expect(closed.timeline.map((entry) => entry.to)).not.toContain("OVERDUE");
    expect(closed.timeline.at(-1)).toMatchObject({
      from: "AWAITING_CONSUMER_CONFIRMATION",
      to: "CLOSED",
      reason: "resolved_without_feedback",
    });
  });
});

describe("an operator and a consumer through supervision and mediation", () => {
  it("supervises early, mediates after two rejections, pauses for appraisal and closes it settled", async () => {
    const operator = operatorDependencies(hub.cloud);
    const filed = await fileComplaint(hub.cloud, { platform: "suning" });
    const delivered = await viewWhen(filed, "DELIVERED");
    await chaseAt(justAfter(delivered.currentDeadline?.dueBy as string));
    expect((await view(filed)).status).toBe("OVERDUE");

    // The operator does not wait for the grace day to end.
    await supervise(operator, {
      complaintId: filed.complaintId,
      operator: "wang.fang",
      note: "Phoned the desk",
    });
    await escalatedTo(filed.complaintId, "SUPERVISED");

    const relief = { relief: { type: "return_refund", amountFen: 15_900 } };
    expect((await platformReport(hub.cloud, "suning", filed.complaintId, "RESOLVED", relief)).status).toBe(
      200,
    );
    const first = await asConsumer(hub.cloud, filed, "feedback", {
      decision: "reject",
      comment: "Half refunded",
    });
    expect(first.body.status).toBe("IN_PROGRESS");
    // A new response window from the rejection.
    expect(first.body.currentDeadline).toEqual({
      kind: "platform_response",
      dueBy: addWorkingDays(hub.cloud.clock.now(), 7).toISOString(),
    });
    expect((await platformReport(hub.cloud, "suning", filed.complaintId, "PROPOSAL")).status).toBe(200);
    const second = await asConsumer(hub.cloud, filed, "feedback", { decision: "reject" });
    expect(second.body.status).toBe("ASSOCIATION_MEDIATION");
    await escalatedTo(filed.complaintId, "ASSOCIATION_MEDIATION");

    const limit = second.body.currentDeadline.dueBy as string;
    await pauseMediation(operator, { complaintId: filed.complaintId, operator: "wang.fang" });
    const paused = await view(filed);
    expect(paused.currentDeadline).toBeUndefined();
    // The limit passes while the appraisal is pending: the time is not counted, nothing closes.
    await chaseAt(justAfter(limit));
    expect((await view(filed)).status).toBe("ASSOCIATION_MEDIATION");

    await resumeMediation(operator, { complaintId: filed.complaintId, operator: "wang.fang" });
    const resumed = await view(filed);
    expect(Date.parse(resumed.currentDeadline?.dueBy as string)).toBeGreaterThan(Date.parse(limit));

    await closeComplaint(operator, {
      complaintId: filed.complaintId,
      operator: "wang.fang",
      reason: "mediation_settled",
    });
    const closed = await view(filed);
    expect(closed.status).toBe("CLOSED");
    const seen = closed.timeline.map((entry) => [entry.to, entry.reason]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ["OVERDUE", "response_deadline_missed"],
        ["SUPERVISED", "supervision_opened_by_operator"],
        ["IN_PROGRESS", "resolution_rejected"],
        ["ASSOCIATION_MEDIATION", "second_rejection"],
        ["ASSOCIATION_MEDIATION", "appraisal_pending"],
        ["ASSOCIATION_MEDIATION", "appraisal_completed"],
        ["CLOSED", "mediation_settled"],
      ]),
    );
  });
});
