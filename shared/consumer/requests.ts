import * as z from "zod";
import { evidenceLinkSchema, text } from "../complaint/submission";

/**
 * What consumers send about their complaint. Like the submission, each schema serves the API Gateway model
 * (infra/request-models.ts) and the function's own validation; unknown fields are refused.
 */

export const FEEDBACK_DECISIONS = ["accept", "reject"] as const;

/** `POST /v1/complaints/{id}/feedback`: the consumer's answer to the platform's resolution. */
export const feedbackSchema = z.strictObject({
  decision: z.enum(FEEDBACK_DECISIONS),
  comment: text(1, 1000).optional(),
});
export type FeedbackRequest = z.infer<typeof feedbackSchema>;

/** `POST /v1/complaints/{id}/withdraw`: the body may be left out. */
export const withdrawalSchema = z.strictObject({
  reason: text(1, 500).optional(),
});
export type WithdrawalRequest = z.infer<typeof withdrawalSchema>;

export const MAX_MESSAGE_EVIDENCE = 5;

/** `POST /v1/complaints/{id}/messages`: information the consumer adds, with optional evidence links. */
export const messageSchema = z.strictObject({
  text: text(1, 2000),
  evidence: z.array(evidenceLinkSchema).max(MAX_MESSAGE_EVIDENCE).optional(),
});
export type MessageRequest = z.infer<typeof messageSchema>;

/**
 * Largest accepted bodies: room for the longest valid request even with every character JSON-escaped
 * (\uXXXX, 6 bytes), and nothing much beyond.
 */
export const MAX_FEEDBACK_BYTES = 8 * 1024;
export const MAX_WITHDRAWAL_BYTES = 8 * 1024;
export const MAX_MESSAGE_BYTES = 32 * 1024;
