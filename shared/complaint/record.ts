import type { ComplaintStatus, TimelineEntry } from "../lifecycle/states";
import type { Submission } from "./submission";

/** How the hub's delivery of a complaint to its platform stands. */
export interface DeliveryState {
  state: "pending" | "delivered" | "parked" | "dead_lettered";
  attempts: number;
  lastAttemptAt?: string;
  lastError?: string;
  /** The platform's own case reference: a retry or replay never opens a second case. */
  caseRef?: string;
  deliveredAt?: string;
  parkedReason?: string;
  parkedAt?: string;
}

export interface Deadlines {
  /** End of the platform's response window (UTC), counted in Chinese working days. */
  platformResponseDueBy: string;
  responseWorkingDays: number;
  /** Until delivery the due date is estimated from the submission time. */
  basis: "estimated_from_submission" | "from_delivery";
  /** Working days the due date moved out while waiting for the consumer (shared/lifecycle/clock.ts). */
  pausedWorkingDays?: number;
  /** OVERDUE: the association supervises (督办) if the platform has not answered by then. */
  supervisionStartsBy?: string;
  /** SUPERVISED: the end of the 3 more working days the platform gets under supervision. */
  supervisionDueBy?: string;
  /** ASSOCIATION_MEDIATION: the 45-working-day limit (SAMR Art 23), pushed out by appraisal time. */
  mediationDueBy?: string;
  /** Working days the mediation limit moved out while testing or appraisal was pending. */
  appraisalWorkingDays?: number;
  /** AWAITING_CONSUMER_CONFIRMATION: without an answer by then the complaint closes as resolved. */
  consumerConfirmationDueBy?: string;
}

/** The complaint item (sk "META") in the single complaints table. */
export interface ComplaintRecord {
  pk: string;
  sk: typeof COMPLAINT_SK;
  kind: "complaint";
  complaintId: string;
  platform: string;
  /** Whether the platform is an enabled member: non-members go to the association's triage queue. */
  member: boolean;
  status: ComplaintStatus;
  /** Optimistic-lock version: every lifecycle write is conditional on it. */
  version: number;
  urgent: boolean;
  submittedAt: string;
  updatedAt: string;
  /** SHA-256 of the canonical submission: the same Idempotency-Key with another body is a conflict. */
  requestHash: string;
  /** SHA-256 of the tracking token; the token itself is never stored. */
  trackingTokenHash: string;
  submission: Submission;
  deadlines: Deadlines;
  timeline: TimelineEntry[];
  routing: { noticeId: string; routeSeq: number };
  delivery: DeliveryState;
  /** Set when the platform asked the consumer for information (INFO_REQUESTED): the hub waits for the consumer. */
  awaitingConsumerInfo?: boolean;
  /** Set while mediation waits for testing or appraisal (SAMR Art 23: that time is not counted). */
  appraisalPending?: boolean;
  /** While awaitingConsumerInfo or appraisalPending: when the running clock paused (UTC). */
  clockPausedAt?: string;
  /** How often the consumer rejected the platform's resolution: the second rejection goes to mediation. */
  consumerRejections?: number;
  /** How many messages the consumer added (the MSG# items beside the complaint). */
  consumerMessages?: number;
  /** The relief the platform reported with RESOLVED, for the consumer to accept or reject. */
  relief?: Relief;
  /** GSI byPlatformStatus: a platform's complaints by status and time. */
  gsi1pk: string;
  gsi1sk: string;
  /** GSI byDeadline (sparse): open complaints with a running deadline. */
  gsi2pk?: string;
  gsi2sk?: string;
}

export interface Relief {
  /** What the consumer gets, in the words of the submission's demands (refund, exchange, ...). */
  type: string;
  amountFen: number;
}

/**
 * One platform report, processed (sk `REPORT#<platform>#<eventId>`), kept beside the complaint and written in the
 * same transaction as the change it caused: a repeat of the eventId finds it and gets the same outcome.
 */
export interface ReportRecord {
  pk: string;
  sk: string;
  kind: "report";
  complaintId: string;
  platform: string;
  eventId: string;
  type: string;
  /** SHA-256 of the canonical report body: the same eventId with another body is a conflict. */
  bodyHash: string;
  occurredAt: string;
  receivedAt: string;
  /** The status the report left the complaint in. */
  status: ComplaintStatus;
  /** Set when the report re-routed the complaint to another platform at once. */
  reroutedTo?: string;
  caseRef?: string;
}

/** A webhook-id already seen from a platform (pk `REPLAY#<platform>#<webhook-id>`), kept until its timestamp expires. */
export interface ReplayRecord {
  pk: string;
  sk: typeof REPLAY_SK;
  kind: "replay";
  platform: string;
  seenAt: string;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}

/** Information the consumer added (`POST /v1/complaints/{id}/messages`), kept beside the complaint. */
export interface MessageRecord {
  pk: string;
  sk: string;
  kind: "message";
  complaintId: string;
  /** 1, 2, ... in the order the consumer added them. */
  seq: number;
  at: string;
  text: string;
  evidence?: { url: string; description?: string }[];
  /** Whether it answered the platform's request for information (and resumed the clock). */
  answersInfoRequest: boolean;
}

/** One delivery attempt, kept beside the complaint (same partition). */
export interface AttemptRecord {
  pk: string;
  sk: string;
  kind: "attempt";
  complaintId: string;
  platform: string;
  noticeId: string;
  at: string;
  attempt: number;
  outcome: "delivered" | "retry" | "parked" | "dead_lettered" | "duplicate" | "skipped";
  httpStatus?: number;
  latencyMs: number;
  error?: string;
  /** The platform's answer, truncated. */
  responseExcerpt?: string;
  /** When the attempt records expire (epoch seconds, DynamoDB TTL). */
  expiresAt: number;
}

export const COMPLAINT_SK = "META" as const;
export const complaintPk = (complaintId: string) => `C#${complaintId}`;
export const attemptSk = (at: string, attempt: number) => `ATTEMPT#${at}#${String(attempt).padStart(3, "0")}`;
export const reportSk = (platform: string, eventId: string) => `REPORT#${platform}#${eventId}`;
export const REPLAY_SK = "REPLAY" as const;
export const replayPk = (platform: string, webhookId: string) => `REPLAY#${platform}#${webhookId}`;
export const messageSk = (at: string, seq: number) => `MSG#${at}#${String(seq).padStart(3, "0")}`;
export const platformStatusKey = (platform: string) => `P#${platform}`;
export const statusSortKey = (status: ComplaintStatus, at: string) => `${status}#${at}`;

/** Deadline index partitions: a few shards keep the scheduled query from hot-spotting one partition. */
export const DEADLINE_SHARDS = 4;
export const DEADLINE_SHARD_KEYS: readonly string[] = Array.from(
  { length: DEADLINE_SHARDS },
  (_, i) => `DUE#${i}`,
);
export function deadlineShard(complaintId: string): string {
  let sum = 0;
  for (const ch of complaintId) sum = (sum + ch.charCodeAt(0)) % DEADLINE_SHARDS;
  return DEADLINE_SHARD_KEYS[sum] as string;
}

export function noticeIdFor(complaintId: string, routeSeq: number): string {
  return `${complaintId}-r${routeSeq}`;
}
