/** The complaint lifecycle (DESIGN: Lifecycle). Transitions are decided only in ./state-machine.ts. */
export const COMPLAINT_STATUSES = [
  "SUBMITTED",
  "ACCEPTED",
  "NOT_ACCEPTED",
  "QUEUED",
  "DELIVERED",
  "ACKNOWLEDGED",
  "IN_PROGRESS",
  "AWAITING_CONSUMER_CONFIRMATION",
  "OVERDUE",
  "SUPERVISED",
  "ASSOCIATION_MEDIATION",
  "REROUTE_REVIEW",
  "WITHDRAWN",
  "CLOSED",
] as const;

export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<ComplaintStatus> = new Set([
  "CLOSED",
  "WITHDRAWN",
  "NOT_ACCEPTED",
]);

/** Who may cause a transition. */
export const ACTORS = ["consumer", "hub", "platform", "operator", "schedule"] as const;
export type Actor = (typeof ACTORS)[number];

/** Who may see a timeline entry. */
export type Visibility = "consumer" | "platform" | "internal";

export interface TimelineEntry {
  at: string;
  actor: Actor;
  from: ComplaintStatus | null;
  to: ComplaintStatus;
  reason?: string;
  note?: string;
  /** The operator who acted (operator entries only). */
  by?: string;
  visibility: Visibility;
}
