/**
 * A pull platform, as it would run on its side: a plain SQS client that long-polls its queue, records the
 * ComplaintNotices it takes and deletes each message once recorded. Given the urgent queue too, it takes
 * urgent (safety) notices first and reads the normal queue only when the urgent one is empty. `onNotice` runs
 * before the delete; when it throws the message stays and comes back after its visibility timeout (at least
 * once, as a real consumer would have it).
 *
 * With `acknowledge`, the client then confirms receipt to the hub as a pull platform must (DESIGN: "pull
 * platforms acknowledge delivery here too"): a signed ACK to `POST /platform/v1/complaints/{id}/events` with
 * its own case reference, eventId `ack-<noticeId>` (a redelivered notice repeats the same report), signed with
 * the platform's webhook secret by code of its own (node:crypto, the Standard Webhooks scheme), not the hub's.
 * An answer the hub will not change its mind about (2xx, 403, 404, 409) settles the message; anything else
 * leaves it on the queue for another try.
 */
import { createHash, createHmac, randomUUID } from "node:crypto";
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  type SQSClientConfig,
} from "@aws-sdk/client-sqs";
import { type ComplaintNotice, complaintNoticeSchema } from "../../shared/events/contract";
import { currentKeyFromSecretValue } from "./webhook-verifier";

export interface PullPlatformClientOptions {
  platformId: string;
  queueUrl: string;
  /** The platform's urgent queue: read before the normal queue on every round. */
  urgentQueueUrl?: string;
  /** The SQS endpoint (the local cloud's AWS endpoint); the SDK's default when omitted. */
  endpoint?: string;
  region: string;
  /** The platform's own principal; local placeholder keys when omitted. */
  credentials?: SQSClientConfig["credentials"];
  /** Long-poll wait, 0–20 s (default 20). */
  waitTimeSeconds?: number;
  /** Messages per receive, 1–10 (default 10). */
  maxMessages?: number;
  onNotice?: (notice: ComplaintNotice, taken: PulledNotice) => void | Promise<void>;
  /** Acknowledge each notice to the hub's platform API (after onNotice, before the delete). */
  acknowledge?: {
    /** The hub's API base URL (the routes start with /platform/v1). */
    apiUrl: string;
    /** The platform's webhook secret value (JSON `{ current, previous? }` or a bare key). */
    getSecret: (platformId: string) => Promise<string>;
  };
  /** Receive, delete and hook failures (default: console.error). */
  onError?: (error: unknown) => void;
  /** Milliseconds since the epoch (default Date.now): the local cloud passes its clock, which tests move. */
  now?: () => number;
}

/** One message as the platform took it. */
export interface PulledNotice {
  at: string;
  /** The queue it was taken from (the normal or the urgent one). */
  queueUrl: string;
  messageId: string;
  receiveCount: number;
  /** The parsed body when it is a valid ComplaintNotice v1. */
  notice?: ComplaintNotice;
  /** The body as received when it is not. */
  invalidBody?: string;
  valid: boolean;
  deleted: boolean;
  error?: string;
  /** The hub's answer to the ACK, when acknowledging. */
  ack?: { status: number; caseRef: string; hubStatus?: string };
}

const RETRY_AFTER_ERROR_MS = 1000;
/** With an urgent queue, the normal queue's long poll ends this soon, so the urgent queue is read again. */
const URGENT_RECHECK_SECONDS = 1;

export class PullPlatformClient {
  readonly platformId: string;
  private sqs?: SQSClient;
  private readonly taken: PulledNotice[] = [];
  /** The ACK body sent per noticeId: a redelivered notice repeats the same report. */
  private readonly ackBodies = new Map<string, string>();
  private abort?: AbortController;
  private loop?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: PullPlatformClientOptions) {
    this.platformId = options.platformId;
    this.now = options.now ?? Date.now;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  /** Starts polling in the background; a second call while running does nothing. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    const sqs = new SQSClient({
      region: this.options.region,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      credentials: this.options.credentials ?? { accessKeyId: "platform", secretAccessKey: "platform" },
    });
    this.abort = abort;
    this.sqs = sqs;
    this.loop = this.poll(sqs, abort.signal);
  }

  /**
   * Ends the long poll at once, waits for the messages in hand to be recorded and deleted, and releases the
   * client's connections. start() may be called again afterwards.
   */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.sqs?.destroy();
    this.loop = undefined;
    this.abort = undefined;
    this.sqs = undefined;
  }

  /** Every message taken, in order. */
  received(): PulledNotice[] {
    return [...this.taken];
  }

  /** The valid notices taken, one per noticeId. */
  notices(): ComplaintNotice[] {
    const seen = new Map<string, ComplaintNotice>();
    for (const entry of this.taken) {
      if (entry.notice && !seen.has(entry.notice.noticeId)) seen.set(entry.notice.noticeId, entry.notice);
    }
    return [...seen.values()];
  }

  private async poll(sqs: SQSClient, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let taken: { queueUrl: string; messages: Message[] };
      try {
        taken = await this.receiveNext(sqs, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.report(error);
        await sleep(RETRY_AFTER_ERROR_MS, signal);
        continue;
      }
      // Messages in hand are finished even when stop() comes meanwhile: they are recorded and deleted.
      for (const message of taken.messages) await this.take(sqs, taken.queueUrl, message);
    }
  }

  /** One round: the urgent queue first (without waiting), the normal queue only when it had nothing. */
  private async receiveNext(
    sqs: SQSClient,
    signal: AbortSignal,
  ): Promise<{ queueUrl: string; messages: Message[] }> {
    const { queueUrl, urgentQueueUrl } = this.options;
    const waitTimeSeconds = this.options.waitTimeSeconds ?? 20;
    if (urgentQueueUrl) {
      const urgent = await this.receive(sqs, urgentQueueUrl, 0, signal);
      if (urgent.length > 0) return { queueUrl: urgentQueueUrl, messages: urgent };
    }
    const wait = urgentQueueUrl ? Math.min(waitTimeSeconds, URGENT_RECHECK_SECONDS) : waitTimeSeconds;
    return { queueUrl, messages: await this.receive(sqs, queueUrl, wait, signal) };
  }

  private async receive(
    sqs: SQSClient,
    queueUrl: string,
    waitTimeSeconds: number,
    signal: AbortSignal,
  ): Promise<Message[]> {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.options.maxMessages ?? 10,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
      { abortSignal: signal },
    );
    return output.Messages ?? [];
  }

  private async take(sqs: SQSClient, queueUrl: string, message: Message): Promise<void> {
    const body = message.Body ?? "";
    const entry: PulledNotice = {
      at: new Date(this.now()).toISOString(),
      queueUrl,
      messageId: message.MessageId ?? "",
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      valid: false,
      deleted: false,
    };
    const notice = parseNotice(body);
    if (notice) {
      entry.notice = notice;
      entry.valid = true;
    } else {
      entry.invalidBody = body.slice(0, 4096);
    }
    this.taken.push(entry);
    if (notice && this.options.onNotice) {
      try {
        await this.options.onNotice(notice, entry);
      } catch (error) {
        entry.error = (error as Error).message ?? String(error);
        this.report(error);
        return; // left on the queue: it comes back after its visibility timeout
      }
    }
    if (notice && this.options.acknowledge) {
      try {
        await this.acknowledge(notice, entry, this.options.acknowledge);
      } catch (error) {
        entry.error = (error as Error).message ?? String(error);
        this.report(error);
        return; // left on the queue: acknowledged on a later receive
      }
    }
    try {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      entry.deleted = true;
    } catch (error) {
      entry.error = (error as Error).message ?? String(error);
      this.report(error);
    }
  }

  /** The platform's case reference for a notice: the same on every redelivery. */
  caseRefFor(notice: ComplaintNotice): string {
    const digest = createHash("sha256").update(notice.noticeId).digest("hex").slice(0, 12).toUpperCase();
    return `${this.platformId.toUpperCase()}-${digest}`;
  }

  private async acknowledge(
    notice: ComplaintNotice,
    entry: PulledNotice,
    hub: NonNullable<PullPlatformClientOptions["acknowledge"]>,
  ): Promise<void> {
    const caseRef = this.caseRefFor(notice);
    let body = this.ackBodies.get(notice.noticeId);
    if (!body) {
      body = JSON.stringify({
        eventId: `ack-${notice.noticeId}`,
        type: "ACK",
        occurredAt: new Date(this.now()).toISOString(),
        caseRef,
      });
      this.ackBodies.set(notice.noticeId, body);
    }
    const key = currentKeyFromSecretValue(await hub.getSecret(this.platformId));
    const webhookId = `msg_${randomUUID()}`;
    const timestamp = String(Math.floor(this.now() / 1000));
    const signature = createHmac("sha256", key).update(`${webhookId}.${timestamp}.${body}`).digest("base64");
    const url = `${hub.apiUrl.replace(/\/$/, "")}/platform/v1/complaints/${encodeURIComponent(notice.complaintId)}/events`;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "platform-id": this.platformId,
        "webhook-id": webhookId,
        "webhook-timestamp": timestamp,
        "webhook-signature": `v1,${signature}`,
      },
      body,
    });
    const answer = (await response.json().catch(() => ({}))) as { status?: unknown };
    entry.ack = {
      status: response.status,
      caseRef,
      ...(typeof answer.status === "string" ? { hubStatus: answer.status } : {}),
    };
    if (!(response.ok || [403, 404, 409].includes(response.status))) {
      throw new Error(`The hub answered the ACK of ${notice.noticeId} with ${response.status}`);
    }
  }

  private report(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else console.error(`[pull client ${this.platformId}]`, error);
  }
}

function parseNotice(body: string): ComplaintNotice | undefined {
  try {
    const parsed = complaintNoticeSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
