/**
 * `complaint show <id>`: the operator's view of a complaint: status, deadlines and the running one, delivery,
 * the whole timeline (internal entries included, each operator named), the consumer's messages and the recorded
 * delivery attempts. Personal data is masked (shared/operator/personal-data.ts) unless `--reveal` is given, and
 * a reveal is recorded in the complaint's timeline (an internal entry naming the operator) before anything is
 * shown.
 */
import { type ComplaintRecord, complaintPk, type MessageRecord } from "../../shared/complaint/record";
import { runningTimer } from "../../shared/lifecycle/timers";
import { recordReveal } from "../../shared/operator/operator-actions";
import { MASKED_FIELDS, maskComplaint, maskMessage } from "../../shared/operator/personal-data";
import type { OpsContext } from "../context";
import { notFound, usageError } from "../output";
import { attemptsOf, printAttempts, truncate } from "./dlq";

export async function complaintShowCommand(
  context: OpsContext,
  complaintId: string,
  options: { reveal?: boolean; note?: string },
): Promise<number> {
  const store = await context.store();
  if (options.reveal) {
    if (!context.operator)
      throw usageError("Name yourself to reveal personal data: --operator <name> or OPS_OPERATOR");
    // On record first: nothing is shown that is not in the timeline.
    await recordReveal(await context.operatorDependencies(), {
      complaintId,
      operator: context.operator,
      ...(options.note ? { note: options.note } : {}),
    });
  }
  const record = await store.get(complaintId);
  if (!record) throw notFound(`No complaint ${complaintId}`);
  const [attempts, messages] = await Promise.all([
    attemptsOf(context, complaintId),
    messagesOf(context, complaintId),
  ]);
  const complaint = options.reveal ? record : maskComplaint(record);
  const shownMessages = options.reveal ? messages : messages.map(maskMessage);
  const running = runningTimer(record);
  const view = {
    complaint: operatorView(complaint),
    runningDeadline: running ?? null,
    messages: shownMessages.map(({ pk: _pk, sk: _sk, kind: _kind, ...message }) => message),
    attempts: attempts.map(({ pk: _pk, sk: _sk, kind: _kind, expiresAt: _expires, ...attempt }) => attempt),
    personalData: options.reveal ? "revealed (recorded in the timeline)" : "masked",
    ...(options.reveal ? {} : { masked: MASKED_FIELDS }),
  };
  const out = context.out;
  const c = out.colors;
  out.result(view, () => {
    const s = complaint.submission;
    out.line(
      `${c.bold(complaint.complaintId)}  ${statusColor(context, complaint.status)}  ${complaint.platform}${
        complaint.urgent ? c.yellow("  URGENT") : ""
      }  v${complaint.version}`,
    );
    out.line(`${c.bold(s.title)}`);
    out.line(
      `  ${c.dim("category")}  ${s.category.nature} / ${s.category.domain}; demands ${s.demands.join(", ")}`,
    );
    out.line(`  ${c.dim("seller")}    ${s.seller.shopName} (${s.seller.type})`);
    out.line(
      `  ${c.dim("order")}     ${s.order.id}  ${s.order.date}  ${s.order.item}  ${(s.order.amountFen / 100).toFixed(2)} ${s.order.currency}`,
    );
    out.line(
      `  ${c.dim("consumer")}  ${s.consumer.name}  ${s.consumer.phone}${s.consumer.email ? `  ${s.consumer.email}` : ""}  region ${s.consumer.regionCode}${
        options.reveal
          ? c.yellow("  (revealed, on record)")
          : c.dim("  (masked: --reveal shows it, on record)")
      }`,
    );
    out.line(`  ${c.dim("narrative")} ${truncate(s.narrative.replace(/\s+/g, " "), 200)}`);
    out.line(
      `  ${c.dim("running")}   ${
        running
          ? `${running.kind} due ${running.dueBy}${Date.parse(running.dueBy) < Date.now() ? c.red(" (passed)") : ""}`
          : "no deadline runs"
      }`,
    );
    const d = complaint.delivery;
    out.line(
      `  ${c.dim("delivery")}  ${d.state}, ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}${d.caseRef ? `, case ${d.caseRef}` : ""}${
        (d.state === "parked" || d.state === "dead_lettered") && d.parkedReason
          ? `, parked: ${d.parkedReason}`
          : d.state !== "delivered" && d.lastError
            ? `, last error: ${d.lastError}`
            : ""
      }`,
    );
    out.line();
    out.line(c.bold(`Timeline (${complaint.timeline.length})`));
    out.table(complaint.timeline, [
      { header: "AT", value: (e) => e.at },
      { header: "ACTOR", value: (e) => (e.by ? `${e.actor}:${e.by}` : e.actor) },
      { header: "STATUS", value: (e) => (e.from === e.to ? `(${e.to})` : `${e.from ?? "–"} → ${e.to}`) },
      { header: "REASON", value: (e) => e.reason },
      {
        header: "SEEN BY",
        value: (e) => e.visibility,
        color: (t, e) => (e.visibility === "internal" ? c.magenta(t) : t),
      },
      { header: "NOTE", value: (e) => truncate(e.note ?? "", 60) },
    ]);
    if (shownMessages.length > 0) {
      out.line();
      out.line(c.bold(`Consumer messages (${shownMessages.length})`));
      for (const message of shownMessages)
        out.line(`  ${message.at}  ${truncate(message.text.replace(/\s+/g, " "), 100)}`);
    }
    out.line();
    out.line(c.bold(`Delivery attempts (${attempts.length})`));
    if (attempts.length === 0) out.line(c.dim("  none recorded"));
    else printAttempts(context, attempts);
  });
  return 0;
}

/** The complaint without its keys and hashes (nothing an operator acts on). */
function operatorView(record: ComplaintRecord) {
  const {
    pk: _pk,
    sk: _sk,
    kind: _kind,
    requestHash: _requestHash,
    trackingTokenHash: _tokenHash,
    gsi1pk: _g1pk,
    gsi1sk: _g1sk,
    gsi2pk: _g2pk,
    gsi2sk: _g2sk,
    ...view
  } = record;
  return view;
}

async function messagesOf(context: OpsContext, complaintId: string): Promise<MessageRecord[]> {
  const store = await context.store();
  const messages: MessageRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.query({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :msg)",
      ExpressionAttributeValues: { ":pk": complaintPk(complaintId), ":msg": "MSG#" },
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    messages.push(...(page.items as unknown as MessageRecord[]));
    startKey = page.lastKey;
  } while (startKey);
  return messages;
}

export function statusColor(context: OpsContext, status: string): string {
  const c = context.out.colors;
  if (["OVERDUE", "SUPERVISED", "ASSOCIATION_MEDIATION"].includes(status)) return c.red(c.bold(status));
  if (["CLOSED", "WITHDRAWN", "NOT_ACCEPTED"].includes(status)) return c.dim(status);
  if (status === "REROUTE_REVIEW") return c.yellow(status);
  return c.green(status);
}
