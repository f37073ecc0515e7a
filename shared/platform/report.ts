import * as z from "zod";
import { DEMANDS, platformIdSchema } from "../complaint/submission";

/** What a platform reports about a complaint routed to it (DESIGN: Platform events). */
export const REPORT_TYPES = [
  "ACK",
  "CONTACTED_CONSUMER",
  "INFO_REQUESTED",
  "PROPOSAL",
  "RESOLVED",
  "REFUND_APPROVED",
  "REFUND_REJECTED",
  "INCORRECT_PLATFORM",
  "REDIRECT",
] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

export const reliefSchema = z.strictObject({
  /** What the consumer gets, in the words of the submission's demands. */
  type: z.enum(DEMANDS),
  /** Money involved, in fen (0 when none, e.g. an exchange). */
  amountFen: z.int().min(0).max(100_000_000_000),
});

const common = {
  /** The platform's own id of this report: the same eventId again is the same report (idempotent). */
  eventId: z.string().regex(/^[\x21-\x7E]{1,128}$/, "1 to 128 printable characters"),
  /** When it happened at the platform (ISO 8601 with offset). */
  occurredAt: z.iso.datetime({ offset: true }),
  note: z.string().trim().min(1).max(2000).optional(),
  /** The platform's case reference for the complaint. */
  caseRef: z
    .string()
    .regex(/^[\x21-\x7E]{1,100}$/, "1 to 100 printable characters")
    .optional(),
};

/**
 * PlatformReport v1, strict: RESOLVED must carry the relief, REDIRECT the platform it should go to; other types
 * may carry a relief (e.g. the one proposed) but no redirectTo.
 */
export const platformReportSchema = z.discriminatedUnion("type", [
  z.strictObject({
    ...common,
    type: z.enum([
      "ACK",
      "CONTACTED_CONSUMER",
      "INFO_REQUESTED",
      "PROPOSAL",
      "REFUND_APPROVED",
      "REFUND_REJECTED",
      "INCORRECT_PLATFORM",
    ]),
    relief: reliefSchema.optional(),
  }),
  z.strictObject({ ...common, type: z.literal("RESOLVED"), relief: reliefSchema }),
  z.strictObject({ ...common, type: z.literal("REDIRECT"), redirectTo: platformIdSchema }),
]);
export type PlatformReport = z.infer<typeof platformReportSchema>;

/** Largest accepted report body. */
export const MAX_REPORT_BYTES = 16 * 1024;
