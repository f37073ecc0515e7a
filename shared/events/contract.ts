import * as z from "zod";
import { submissionSchema } from "../complaint/submission";
import { ACTORS, COMPLAINT_STATUSES } from "../lifecycle/states";
import { platformReportSchema } from "../platform/report";
import { statsReportSchema } from "../stats/report-schema";

/**
 * The event contract of the bus: one source, named detail types, versioned details.
 * Rules, docs/schemas and every producer and consumer take their names from here.
 */
export const EVENT_SOURCE = "complaint-hub";

export const DETAIL_TYPES = {
  submitted: "Complaint Submitted",
  statusChanged: "Complaint Status Changed",
  deliveryParked: "Complaint Delivery Parked",
  rerouted: "Complaint Rerouted",
} as const;

/**
 * Detail types that carry a ComplaintNotice and are routed to a platform's queue: a new complaint, and one
 * re-routed to another platform (its notice names the new platform and has a new noticeId).
 */
export const ROUTED_DETAIL_TYPES = [DETAIL_TYPES.submitted, DETAIL_TYPES.rerouted] as const;

/**
 * ComplaintNotice v1: what a platform receives (POST body for push, SQS message body for pull).
 * Data minimisation: only what the after-sale desk needs to act; no tokens, hashes or internal state.
 */
export const complaintNoticeSchema = z.strictObject({
  schemaVersion: z.literal("1"),
  /** Stable per complaint and route: the platform deduplicates on it (also sent as webhook-id). */
  noticeId: z.string().min(1).max(100),
  complaintId: z.string().min(1).max(64),
  platform: z.string(),
  submittedAt: z.iso.datetime(),
  urgent: z.boolean(),
  responseDeadlineWorkingDays: z.int().min(1).max(30),
  seller: submissionSchema.shape.seller,
  order: submissionSchema.shape.order,
  incidentDate: submissionSchema.shape.incidentDate,
  category: submissionSchema.shape.category,
  title: submissionSchema.shape.title,
  narrative: submissionSchema.shape.narrative,
  demands: submissionSchema.shape.demands,
  consumer: submissionSchema.shape.consumer,
  evidence: submissionSchema.shape.evidence,
});
export type ComplaintNotice = z.infer<typeof complaintNoticeSchema>;

export const statusChangedDetailSchema = z.strictObject({
  schemaVersion: z.literal("1"),
  complaintId: z.string(),
  platform: z.string(),
  from: z.enum(COMPLAINT_STATUSES).nullable(),
  to: z.enum(COMPLAINT_STATUSES),
  actor: z.enum(ACTORS),
  at: z.iso.datetime(),
  reason: z.string().optional(),
  urgent: z.boolean(),
});
export type StatusChangedDetail = z.infer<typeof statusChangedDetailSchema>;

export const deliveryParkedDetailSchema = z.strictObject({
  schemaVersion: z.literal("1"),
  complaintId: z.string(),
  platform: z.string(),
  noticeId: z.string(),
  /** "parked": refused permanently by the platform; "dead_lettered": retries exhausted. */
  state: z.enum(["parked", "dead_lettered"]),
  reason: z.string(),
  attempts: z.int().min(0),
  at: z.iso.datetime(),
});
export type DeliveryParkedDetail = z.infer<typeof deliveryParkedDetailSchema>;

/** Every published schema, by the name of its file under docs/schemas. */
export const PUBLISHED_SCHEMAS = {
  "complaint-submission.v1": submissionSchema,
  "complaint-notice.v1": complaintNoticeSchema,
  "complaint-status-changed.v1": statusChangedDetailSchema,
  "complaint-delivery-parked.v1": deliveryParkedDetailSchema,
  // The detail of "Complaint Rerouted" is the ComplaintNotice for the new route, as for "Complaint Submitted".
  "complaint-rerouted.v1": complaintNoticeSchema,
  // What platforms POST to /platform/v1/complaints/{id}/events.
  "platform-report.v1": platformReportSchema,
  // What GET /v1/stats answers.
  "stats-report.v1": statsReportSchema,
} as const;
