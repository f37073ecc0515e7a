/**
 * The ledger check that closes every fault run: for each complaint the API accepted, it is delivered (with the
 * platform's case reference, one case at the platform), or parked / in its platform's DLQ with a reason, or in
 * the association's triage queue; the counts add up, and nothing is lost or delivered twice as two cases.
 *
 * It reads only what an operator can read (the table, the queues, the sandbox platforms' control API), so it
 * works as well against a local cloud running in another process (the SIGKILL run) as against one in-process.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { findPlatform, isPush, PLATFORMS } from "../../infra/platforms";
import type { LocalCloud } from "../../local/local-cloud";
import type { SandboxRecord } from "../../local/sandbox/sandbox-platforms";
import type { AttemptRecord, ComplaintRecord } from "../../shared/complaint/record";

/** Where the ledger looks: endpoints and names only. */
export interface LedgerTarget {
  awsEndpoint: string;
  region: string;
  tableName: string;
  sandboxUrl: string;
  /** The platform's queue and its DLQ (URLs). */
  queueUrl(platformId: string): string;
  /** The platform's urgent (safety) queue, read by the same delivery function. */
  urgentQueueUrl?(platformId: string): string;
  deadLetterQueueUrl(platformId: string): string;
  triageQueueUrl: string;
  triageDeadLetterQueueUrl?: string;
}

export function ledgerTarget(cloud: LocalCloud): LedgerTarget {
  const outputId = (id: string) => id.replace(/[^A-Za-z0-9]/g, "");
  const triage = cloud.output("TriageQueueUrl");
  return {
    awsEndpoint: cloud.awsEndpoint,
    region: cloud.region,
    tableName: cloud.output("TableName"),
    sandboxUrl: cloud.sandboxUrl,
    queueUrl: (id) => cloud.output(`Queue${outputId(id)}`),
    urgentQueueUrl: (id) => cloud.output(`UrgentQueue${outputId(id)}`),
    deadLetterQueueUrl: (id) => cloud.output(`DeadLetterQueue${outputId(id)}`),
    triageQueueUrl: triage,
    triageDeadLetterQueueUrl: `${triage}-dlq`,
  };
}

/** A complaint the API answered 201 (or 200 for a repeat) for. */
export interface Accepted {
  complaintId: string;
  platform: string;
}

export type Place =
  | "delivered"
  | "parked"
  | "dead_lettered"
  | "triage"
  | "queued_for_pull"
  | "lost"
  /** Not settled yet: on its way, or its notice still in the platform's queue (e.g. received by a poller that
   * died, invisible until the queue's visibility timeout ends). */
  | "in_flight";

export interface LedgerEntry {
  complaintId: string;
  platform: string;
  place: Place;
  status?: string;
  caseRef?: string;
  reason?: string;
  /** Distinct case references the platform opened for it (push platforms). */
  platformCases: string[];
  /** Messages for it found in the platform's DLQ (or the triage queue). */
  queuedMessages: number;
}

export interface Ledger {
  accepted: number;
  entries: LedgerEntry[];
  counts: Record<Place, number>;
  /** Accepted and nowhere to be found: not in the table, or routed but in no queue and not delivered. */
  lost: string[];
  /** Delivered as two (or more) cases at the platform, or the stored case is not the platform's. */
  duplicated: string[];
  /** Parked or dead-lettered without a reason an operator can see, or without its message in the DLQ. */
  unexplained: string[];
}

const clients = new WeakMap<LedgerTarget, { doc: DynamoDBDocumentClient; sqs: SQSClient }>();

function clientsFor(target: LedgerTarget) {
  let set = clients.get(target);
  if (!set) {
    const config = {
      endpoint: target.awsEndpoint,
      region: target.region,
      credentials: { accessKeyId: "operator", secretAccessKey: "operator" },
    };
    set = {
      doc: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
      sqs: new SQSClient(config),
    };
    clients.set(target, set);
  }
  return set;
}

export async function storedComplaint(
  target: LedgerTarget,
  complaintId: string,
): Promise<ComplaintRecord | undefined> {
  const { doc } = clientsFor(target);
  const { Item } = await doc.send(
    new GetCommand({
      TableName: target.tableName,
      Key: { pk: `C#${complaintId}`, sk: "META" },
      ConsistentRead: true,
    }),
  );
  return Item as ComplaintRecord | undefined;
}

export async function attemptsOf(target: LedgerTarget, complaintId: string): Promise<AttemptRecord[]> {
  const { doc } = clientsFor(target);
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: target.tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :attempt)",
      ExpressionAttributeValues: { ":pk": `C#${complaintId}`, ":attempt": "ATTEMPT#" },
      ConsistentRead: true,
    }),
  );
  return ((Items ?? []) as AttemptRecord[]).sort((a, b) => a.at.localeCompare(b.at) || a.attempt - b.attempt);
}

/** What a push platform's sandbox received (verified requests, with the case it answered). */
export async function sandboxRecords(target: LedgerTarget, platformId: string): Promise<SandboxRecord[]> {
  const response = await fetch(`${target.sandboxUrl}/_sandbox/${platformId}/received`);
  if (!response.ok) throw new Error(`sandbox ${platformId}: ${response.status}`);
  return (await response.json()) as SandboxRecord[];
}

/**
 * Every message of a queue, each read once: received with a visibility timeout long enough to go through
 * the queue, then made visible again. (A receive counts towards a redrive policy's maxReceiveCount: the
 * ledger reads DLQs and triage, never a platform queue that is being consumed.)
 */
export async function peekQueue(target: LedgerTarget, queueUrl: string): Promise<Message[]> {
  const { sqs } = clientsFor(target);
  const seen: Message[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    if (!Messages?.length) break;
    seen.push(...Messages);
  }
  for (let i = 0; i < seen.length; i += 10) {
    const batch = seen.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, j) => ({
          Id: String(j),
          ReceiptHandle: m.ReceiptHandle as string,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return seen;
}

/** Messages in the queue: visible, in flight (received, not deleted) and, with `delayed`, delayed. */
export async function queueDepth(
  target: LedgerTarget,
  queueUrl: string,
  options: { delayed?: boolean } = {},
): Promise<number> {
  const { sqs } = clientsFor(target);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    (options.delayed ? Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0) : 0)
  );
}

const complaintIdOf = (message: Message): string | undefined => {
  const attribute = message.MessageAttributes?.complaintId?.StringValue;
  if (attribute) return attribute;
  try {
    return (JSON.parse(message.Body ?? "{}") as { complaintId?: string }).complaintId;
  } catch {
    return undefined;
  }
};

/** Groups queue messages by the complaint they carry. */
function countByComplaint(messages: readonly Message[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of messages) {
    const id = complaintIdOf(message);
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The ledger of `accepted` complaints as it stands. `settled` (default true) counts a complaint still on its
 * way (pending delivery, not yet routed) as lost; pass false to see it as in flight.
 *
 * A push complaint neither delivered nor parked whose platform's queue (or urgent queue) still holds messages
 * is in flight even when settled, up to as many complaints as the queues hold messages: its notice may wait
 * out a visibility timeout (received by a delivery function's poller that died with the local cloud) or a
 * retry's backoff. The ledger reads the queues' counts as an operator does (a receive would count towards the
 * redrive policy and hide the message from its consumer), so it knows how many, not which.
 */
export async function checkLedger(
  target: LedgerTarget,
  accepted: readonly Accepted[],
  options: { settled?: boolean } = {},
): Promise<Ledger> {
  const settled = options.settled ?? true;
  const platforms = [...new Set(accepted.map((a) => a.platform))];
  const cases = new Map<string, Set<string>>();
  const dlqMessages = new Map<string, number>();
  for (const platformId of platforms) {
    const platform = findPlatform(platformId);
    if (!platform?.enabled) continue;
    if (isPush(platform)) {
      for (const record of await sandboxRecords(target, platformId)) {
        const id = record.body?.complaintId as string | undefined;
        if (!id || !record.caseRef) continue;
        const set = cases.get(id) ?? new Set<string>();
        set.add(record.caseRef);
        cases.set(id, set);
      }
    }
    for (const [id, n] of countByComplaint(await peekQueue(target, target.deadLetterQueueUrl(platformId))))
      dlqMessages.set(id, (dlqMessages.get(id) ?? 0) + n);
  }
  const triageMessages = new Map<string, number>();
  if (platforms.some((p) => !findPlatform(p)?.enabled)) {
    const queues = [target.triageQueueUrl, target.triageDeadLetterQueueUrl].filter((q): q is string =>
      Boolean(q),
    );
    for (const queue of queues)
      for (const [id, n] of countByComplaint(await peekQueue(target, queue)))
        triageMessages.set(id, (triageMessages.get(id) ?? 0) + n);
  }

  const entries: LedgerEntry[] = [];
  for (const { complaintId, platform } of accepted) {
    const record = await storedComplaint(target, complaintId);
    const platformCases = [...(cases.get(complaintId) ?? [])];
    const entry: LedgerEntry = {
      complaintId,
      platform,
      place: "lost",
      platformCases,
      queuedMessages: 0,
    };
    entries.push(entry);
    if (!record) continue;
    entry.status = record.status;
    if (record.delivery.caseRef) entry.caseRef = record.delivery.caseRef;
    const member = findPlatform(record.platform);
    if (!record.member || !member?.enabled) {
      entry.queuedMessages = triageMessages.get(complaintId) ?? 0;
      entry.place = entry.queuedMessages > 0 ? "triage" : settled ? "lost" : "in_flight";
      continue;
    }
    entry.queuedMessages = dlqMessages.get(complaintId) ?? 0;
    const { delivery } = record;
    if (delivery.state === "delivered" && delivery.caseRef) {
      entry.place = "delivered";
    } else if (delivery.state === "parked" || delivery.state === "dead_lettered") {
      entry.place = delivery.state;
      if (delivery.parkedReason) entry.reason = delivery.parkedReason;
    } else if (entry.queuedMessages > 0) {
      // The queue itself moved the notice to the DLQ (maxReceiveCount receives without an outcome, e.g. the
      // delivery function crashed each time): the DLQ is where an operator sees it and redrives it.
      entry.place = "dead_lettered";
      entry.reason = "moved to the DLQ by the queue after maxReceiveCount receives";
    } else if (!isPush(member) && record.status === "QUEUED") {
      // A pull platform's notice waits in its queue until the platform takes it and acknowledges.
      entry.place = "queued_for_pull";
    } else {
      entry.place = settled ? "lost" : "in_flight";
    }
  }

  const undecided = entries.filter((e) => {
    const platform = findPlatform(e.platform);
    return e.place === "lost" && e.status !== undefined && platform?.enabled && isPush(platform);
  });
  for (const platformId of new Set(undecided.map((e) => e.platform))) {
    const queues = [target.queueUrl(platformId), target.urgentQueueUrl?.(platformId)].filter(
      (q): q is string => Boolean(q),
    );
    let waiting = 0;
    for (const queue of queues) waiting += await queueDepth(target, queue, { delayed: true });
    for (const entry of undecided.filter((e) => e.platform === platformId)) {
      if (waiting <= 0) break;
      entry.place = "in_flight";
      waiting--;
    }
  }

  const counts = Object.fromEntries(
    (
      ["delivered", "parked", "dead_lettered", "triage", "queued_for_pull", "lost", "in_flight"] as Place[]
    ).map((p) => [p, entries.filter((e) => e.place === p).length]),
  ) as Record<Place, number>;
  const isPushId = (id: string) => {
    const p = findPlatform(id);
    return Boolean(p && isPush(p));
  };
  return {
    accepted: accepted.length,
    entries,
    counts,
    lost: entries.filter((e) => e.place === "lost").map((e) => e.complaintId),
    duplicated: entries
      .filter(
        (e) =>
          e.platformCases.length > 1 ||
          (e.place === "delivered" &&
            isPushId(e.platform) &&
            (e.platformCases.length !== 1 || e.platformCases[0] !== e.caseRef)),
      )
      .map((e) => e.complaintId),
    unexplained: entries
      .filter(
        (e) => (e.place === "parked" || e.place === "dead_lettered") && (!e.reason || e.queuedMessages < 1),
      )
      .map((e) => e.complaintId),
  };
}

/** One line for a failed assertion: the counts and the first few problem entries. */
export function describeLedger(ledger: Ledger): string {
  const problems = ledger.entries
    .filter(
      (e) =>
        ledger.lost.includes(e.complaintId) ||
        ledger.duplicated.includes(e.complaintId) ||
        e.place === "in_flight",
    )
    .slice(0, 5)
    .map(
      (e) =>
        `${e.complaintId}@${e.platform}: ${e.place} ${e.status ?? "-"} cases=${e.platformCases.join("|")}`,
    );
  return `${JSON.stringify(ledger.counts)} of ${ledger.accepted}${problems.length ? `; ${problems.join("; ")}` : ""}`;
}

/**
 * Waits until every accepted complaint has settled (delivered, parked, dead-lettered, in triage or queued for a
 * pull platform), then returns the ledger; after `timeoutMs` returns it as it stands.
 */
export async function settledLedger(
  target: LedgerTarget,
  accepted: readonly Accepted[],
  options: { timeoutMs?: number; until?: (ledger: Ledger) => boolean } = {},
): Promise<Ledger> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const until = options.until ?? ((l: Ledger) => l.counts.in_flight === 0);
  for (;;) {
    const ledger = await checkLedger(target, accepted, { settled: false });
    if (until(ledger) || Date.now() > deadline) return checkLedger(target, accepted);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Until every accepted complaint is delivered (or the time runs out). */
export const allDelivered = (ledger: Ledger) => ledger.counts.delivered === ledger.accepted;

/**
 * What an operator does once a platform is back: a message move task from each given platform's DLQ back to
 * its queue (StartMessageMoveTask with the queue as destination, so messages the delivery function parked by
 * itself go back too), then waits until the DLQs are empty.
 */
export async function redrive(target: LedgerTarget, platformIds: readonly string[]): Promise<number> {
  const { sqs } = clientsFor(target);
  let moved = 0;
  for (const platformId of platformIds) {
    const dlq = target.deadLetterQueueUrl(platformId);
    const depth = await queueDepth(target, dlq);
    if (depth === 0) continue;
    const arnOf = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
        .Attributes?.QueueArn as string;
    const sourceArn = await arnOf(dlq);
    await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: await arnOf(target.queueUrl(platformId)),
      }),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }));
      const task = Results?.[0];
      if (task?.Status === "COMPLETED" || Date.now() > deadline) {
        moved += Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
        break;
      }
      if (task?.Status === "FAILED")
        throw new Error(`redrive of ${platformId} failed: ${task.FailureReason}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return moved;
}

/** The push platforms of the registry, for tests that spread complaints over them. */
export const PUSH_PLATFORM_IDS = PLATFORMS.filter((p) => p.enabled && isPush(p)).map((p) => p.id);
