/**
 * `dlq list <platform>` and `dlq show <message>`: what is parked in a platform's dead-letter queue and why. The
 * messages are looked at, not taken: each is received with a short visibility timeout and made visible again at
 * once. The reason is the one the delivery function parked it with (a message attribute) or, for a message the
 * queue moved there after its last attempt, the complaint's recorded delivery state; `show` adds the attempts.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { type AttemptRecord, complaintPk } from "../../shared/complaint/record";
import { enabledPlatform, enabledPlatforms, type OpsContext } from "../context";
import { notFound } from "../output";
import { platformQueues, type Target } from "../target";

export interface ParkedMessage {
  messageId: string;
  platform: string;
  sentAt?: string;
  receiveCount: number;
  complaintId?: string;
  noticeId?: string;
  urgent?: boolean;
  /** Why it is parked: the delivery function's reason, or the complaint's recorded delivery state. */
  reason?: string;
  deliveryState?: string;
  attempts?: number;
  lastError?: string;
}

/** How long a looked-at message stays hidden if releasing it fails (then it reappears by itself). */
const PEEK_VISIBILITY_S = 20;

/**
 * Up to `limit` messages of a queue, looked at and released. `stopAt` ends the search early (the message sought).
 * Standard queues give no order: a queue with more than `limit` messages shows some of them.
 */
export async function peekMessages(
  target: Target,
  queueUrl: string,
  limit: number,
  stopAt?: (message: Message) => boolean,
): Promise<Message[]> {
  const seen = new Map<string, Message>();
  const held: { Id: string; ReceiptHandle: string }[] = [];
  try {
    for (let emptyReceives = 0; seen.size < limit && emptyReceives < 2; ) {
      const { Messages } = await target.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, limit - seen.size),
          VisibilityTimeout: PEEK_VISIBILITY_S,
          // A short poll on AWS samples some servers only and may answer nothing while messages wait.
          WaitTimeSeconds: target.kind === "aws" ? 1 : 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      if (!Messages?.length) {
        emptyReceives++;
        continue;
      }
      emptyReceives = 0;
      for (const message of Messages) {
        if (message.ReceiptHandle) held.push({ Id: `m${held.length}`, ReceiptHandle: message.ReceiptHandle });
        if (message.MessageId && !seen.has(message.MessageId)) seen.set(message.MessageId, message);
      }
      if (stopAt && Messages.some(stopAt)) break;
    }
  } finally {
    await release(target, queueUrl, held);
  }
  return [...seen.values()];
}

async function release(target: Target, queueUrl: string, held: { Id: string; ReceiptHandle: string }[]) {
  for (let i = 0; i < held.length; i += 10) {
    await target.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: held.slice(i, i + 10).map((entry) => ({ ...entry, VisibilityTimeout: 0 })),
        }),
      )
      .catch(() => undefined);
  }
}

/** What a parked message is: its notice's ids and the reason, completed from the complaint's delivery state. */
export async function describeParked(
  context: OpsContext,
  platform: string,
  message: Message,
): Promise<ParkedMessage> {
  let notice: { complaintId?: unknown; noticeId?: unknown; urgent?: unknown } = {};
  try {
    notice = JSON.parse(message.Body ?? "") as typeof notice;
  } catch {
    // Not a notice: parked as such (its reason says so).
  }
  const complaintId =
    typeof notice.complaintId === "string"
      ? notice.complaintId
      : message.MessageAttributes?.complaintId?.StringValue;
  const sent = Number(message.Attributes?.SentTimestamp);
  const parked: ParkedMessage = {
    messageId: message.MessageId ?? "",
    platform,
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    ...(complaintId ? { complaintId } : {}),
    ...(typeof notice.noticeId === "string" ? { noticeId: notice.noticeId } : {}),
    ...(typeof notice.urgent === "boolean" ? { urgent: notice.urgent } : {}),
  };
  const reason = message.MessageAttributes?.parkedReason?.StringValue;
  if (reason) parked.reason = reason;
  if (complaintId) {
    const complaint = await (await context.store()).get(complaintId);
    if (complaint) {
      parked.deliveryState = complaint.delivery.state;
      parked.attempts = complaint.delivery.attempts;
      if (complaint.delivery.lastError) parked.lastError = complaint.delivery.lastError;
      parked.reason ??= complaint.delivery.parkedReason ?? complaint.delivery.lastError;
    }
  }
  parked.reason ??= "moved here by the queue after its last receive (no attempt recorded)";
  return parked;
}

export async function dlqListCommand(
  context: OpsContext,
  platformId: string,
  options: { limit: number },
): Promise<number> {
  const platform = enabledPlatform(platformId);
  const target = await context.target();
  const { deadLetterQueueUrl } = platformQueues(target, platform.id);
  const messages = await peekMessages(target, deadLetterQueueUrl, options.limit);
  const parked = await Promise.all(messages.map((m) => describeParked(context, platform.id, m)));
  const out = context.out;
  const c = out.colors;
  out.result({ platform: platform.id, count: parked.length, messages: parked }, () => {
    if (parked.length === 0) {
      out.line(c.green(`Nothing parked for ${platform.id}.`));
      return;
    }
    out.table(parked, [
      { header: "MESSAGE", value: (m) => m.messageId },
      { header: "COMPLAINT", value: (m) => m.complaintId },
      { header: "URGENT", value: (m) => (m.urgent ? "yes" : undefined), color: (t) => c.yellow(t) },
      { header: "PARKED AT", value: (m) => m.sentAt },
      { header: "ATTEMPTS", value: (m) => m.attempts, align: "right" },
      { header: "REASON", value: (m) => truncate(m.reason ?? "", 70), color: (t) => c.red(t) },
    ]);
    out.line();
    out.line(
      c.dim(
        `${parked.length} shown (at most ${options.limit}). Details: npm run ops -- dlq show <message>; ` +
          `send back: npm run ops -- redrive ${platform.id} [--message <message>]`,
      ),
    );
  });
  return 0;
}

export async function dlqShowCommand(
  context: OpsContext,
  messageId: string,
  options: { platform?: string; limit: number },
): Promise<number> {
  const platforms = options.platform ? [enabledPlatform(options.platform)] : enabledPlatforms();
  const target = await context.target();
  for (const platform of platforms) {
    const { deadLetterQueueUrl } = platformQueues(target, platform.id);
    const messages = await peekMessages(
      target,
      deadLetterQueueUrl,
      options.limit,
      (m) => m.MessageId === messageId,
    );
    const message = messages.find((m) => m.MessageId === messageId);
    if (!message) continue;
    const parked = await describeParked(context, platform.id, message);
    const attempts = parked.complaintId ? await attemptsOf(context, parked.complaintId) : [];
    const out = context.out;
    const c = out.colors;
    out.result({ ...parked, attempts: attempts.length, attemptLog: attempts }, () => {
      out.line(c.bold(`Message ${parked.messageId} parked for ${platform.id}`));
      const fields: [string, string | number | undefined][] = [
        ["complaint", parked.complaintId],
        ["notice", parked.noticeId],
        ["urgent", parked.urgent === undefined ? undefined : parked.urgent ? "yes" : "no"],
        ["parked at", parked.sentAt],
        ["received", parked.receiveCount],
        ["delivery", parked.deliveryState],
        ["reason", parked.reason],
      ];
      for (const [name, value] of fields) {
        if (value !== undefined) out.line(`  ${c.dim(name.padEnd(10))} ${value}`);
      }
      out.line();
      out.line(c.bold(`Recorded attempts (${attempts.length})`));
      if (attempts.length === 0) out.line(c.dim("  none recorded"));
      else printAttempts(context, attempts);
    });
    return 0;
  }
  throw notFound(
    `No message ${messageId} in the dead-letter queue${options.platform ? ` of ${options.platform}` : "s"} (looked at up to ${options.limit} per queue)`,
  );
}

/** The complaint's recorded delivery attempts, oldest first. */
export async function attemptsOf(context: OpsContext, complaintId: string): Promise<AttemptRecord[]> {
  const store = await context.store();
  const attempts: AttemptRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.query({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :attempt)",
      ExpressionAttributeValues: { ":pk": complaintPk(complaintId), ":attempt": "ATTEMPT#" },
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    attempts.push(...(page.items as unknown as AttemptRecord[]));
    startKey = page.lastKey;
  } while (startKey);
  return attempts;
}

export function printAttempts(context: OpsContext, attempts: readonly AttemptRecord[]): void {
  const c = context.out.colors;
  context.out.table(attempts, [
    { header: "AT", value: (a) => a.at },
    { header: "#", value: (a) => a.attempt, align: "right" },
    {
      header: "OUTCOME",
      value: (a) => a.outcome,
      color: (t, a) =>
        a.outcome === "delivered" ? c.green(t) : a.outcome === "duplicate" ? c.dim(t) : c.red(t),
    },
    { header: "HTTP", value: (a) => a.httpStatus, align: "right" },
    { header: "MS", value: (a) => a.latencyMs, align: "right" },
    { header: "ERROR / ANSWER", value: (a) => truncate(a.error ?? a.responseExcerpt ?? "", 60) },
  ]);
}

export const truncate = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;
