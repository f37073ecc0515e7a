// The namespace import lets the bundler drop what zod offers and the hub does not use (its locales).
import * as z from "zod";

/**
 * The consumer's complaint as filed over `POST /v1/complaints`.
 * One schema serves three places: request validation in the API (as a JSON Schema model),
 * the submit function, and the published docs. Unknown fields are refused everywhere.
 */

export const ISSUE_NATURES = [
  "quality",
  "counterfeit",
  "false_advertising",
  "contract_breach",
  "price",
  "delivery",
  "after_sale",
  "refund",
  "unfair_terms",
  "personal_information",
  "personal_injury",
  "food_safety",
  "cosmetic_reaction",
  "other",
] as const;

/** Safety issues are urgent: shorter deadlines, delivered first (DESIGN: Lifecycle). */
export const SAFETY_NATURES: ReadonlySet<string> = new Set([
  "personal_injury",
  "food_safety",
  "cosmetic_reaction",
]);

export const GOODS_DOMAINS = [
  "food",
  "cosmetics",
  "apparel",
  "electronics",
  "home_appliances",
  "furniture",
  "daily_goods",
  "maternal_infant",
  "pharma_medical",
  "auto",
  "books_media",
  "other_goods",
] as const;

export const SERVICE_DOMAINS = [
  "travel",
  "lodging",
  "catering",
  "ride_hailing",
  "transport",
  "entertainment",
  "video_streaming",
  "education",
  "telecom",
  "online_services",
  "other_services",
] as const;

export const DEMANDS = [
  "refund",
  "return_refund",
  "exchange",
  "repair",
  "compensation",
  "delivery",
  "apology",
  "other",
] as const;

export const SELLER_TYPES = ["self_operated", "third_party"] as const;

/** Platform ids are slugs; non-members are accepted and go to the association's triage queue. */
export const platformIdSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "a platform id");

/**
 * Text must be carried unchanged by every store and queue on its way to the platform. SQS refuses the
 * noncharacters U+FFFE and U+FFFF in a message body (EventBridge then cannot put the notice on the platform's
 * queue, nor on the routing DLQ, and the complaint would never arrive): the text patterns refuse them. A lone
 * surrogate is not Unicode text at all (it has no UTF-8 form): refused here, by the functions (JSON Schema
 * patterns cannot say it without also refusing emoji in a regex engine that counts UTF-16 units).
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
export const wellFormed = (value: string) => !LONE_SURROGATE.test(value);
const WELL_FORMED = "well-formed Unicode text (no lone surrogates)";

export const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    // No control characters (NUL and friends) other than line breaks and tabs in free text.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]*$/, "printable text")
    .refine(wellFormed, WELL_FORMED);

export const singleLine = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .regex(/^[^\u0000-\u001F\u007F\uFFFE\uFFFF]*$/, "a single line of printable text")
    .refine(wellFormed, WELL_FORMED);

const localDate = z.iso.date();

/** A link to evidence (photos, receipts, chat logs) kept elsewhere: https only. */
export const evidenceLinkSchema = z.strictObject({
  url: z
    .url({ protocol: /^https$/ })
    .max(2048)
    .regex(/^[^\uFFFE\uFFFF]*$/, "a URL without noncharacters")
    .refine(wellFormed, WELL_FORMED),
  description: singleLine(1, 200).optional(),
});

export const submissionSchema = z.strictObject({
  platform: platformIdSchema,
  seller: z.strictObject({
    type: z.enum(SELLER_TYPES),
    shopName: singleLine(1, 100),
    shopId: singleLine(1, 64).optional(),
  }),
  order: z.strictObject({
    id: singleLine(1, 64),
    date: localDate,
    item: singleLine(1, 200),
    /** Amount in fen (1/100 yuan), so money is never a float. */
    amountFen: z.int().min(0).max(10_000_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 currency code"),
  }),
  incidentDate: localDate,
  category: z.strictObject({
    nature: z.enum(ISSUE_NATURES),
    domain: z.enum([...GOODS_DOMAINS, ...SERVICE_DOMAINS]),
  }),
  title: singleLine(4, 100),
  narrative: text(20, 5000),
  demands: z.array(z.enum(DEMANDS)).min(1).max(DEMANDS.length),
  consumer: z.strictObject({
    name: singleLine(1, 50),
    /** Mainland mobile number, optionally with +86. */
    phone: z.string().regex(/^(?:\+86)?1[3-9]\d{9}$/, "a mainland China mobile number"),
    email: z.email().max(254).optional(),
    /** GB/T 2260 administrative division code, e.g. 110105. */
    regionCode: z.string().regex(/^\d{6}$/, "a 6-digit region code"),
  }),
  /** PIPL Art 23: sharing with the platform needs separate consent; both are required. */
  consents: z.strictObject({
    processing: z.literal(true),
    shareWithPlatform: z.literal(true),
  }),
  evidence: z.array(evidenceLinkSchema).max(10).optional(),
});

export type Submission = z.infer<typeof submissionSchema>;

/** Cross-field rules that a JSON Schema model cannot express; checked after the shape. */
export function submissionRuleViolations(submission: Submission, today: string): FieldError[] {
  const errors: FieldError[] = [];
  if (new Set(submission.demands).size !== submission.demands.length) {
    errors.push({ pointer: "/demands", detail: "demands must not repeat" });
  }
  if (submission.order.date > today) {
    errors.push({ pointer: "/order/date", detail: "the order date is in the future" });
  }
  if (submission.incidentDate > today) {
    errors.push({ pointer: "/incidentDate", detail: "the incident date is in the future" });
  }
  if (submission.incidentDate < submission.order.date) {
    errors.push({ pointer: "/incidentDate", detail: "the incident date is before the order date" });
  }
  return errors;
}

export interface FieldError {
  /** JSON Pointer (RFC 6901) to the offending field. */
  pointer: string;
  detail: string;
}

export function isUrgent(submission: Pick<Submission, "category">): boolean {
  return SAFETY_NATURES.has(submission.category.nature);
}

/** Largest accepted request body (DESIGN: Contracts). */
export const MAX_SUBMISSION_BYTES = 64 * 1024;
