import * as z from "zod";
import { ISSUE_NATURES } from "../complaint/submission";

/** The body of `GET /v1/stats` (schemaVersion 1): one schema for the handler's type, the tests and the docs. */
const rate = z.number().min(0).max(1).nullable();

const shownSchema = z.strictObject({
  suppressed: z.literal(false),
  received: z.int().min(0),
  delivered: z.int().min(0),
  onTimeResponseRate: rate,
  settlementRate: rate,
  medianFirstResponseHours: z.number().min(0).nullable(),
});
const suppressedSchema = z.strictObject({ suppressed: z.literal(true) });
export const statsCellSchema = z.discriminatedUnion("suppressed", [shownSchema, suppressedSchema]);
const category = { category: z.enum(ISSUE_NATURES) };
const categoryCellSchema = z.discriminatedUnion("suppressed", [
  shownSchema.extend(category),
  suppressedSchema.extend(category),
]);

export const statsReportSchema = z.strictObject({
  schemaVersion: z.literal("1"),
  generatedAt: z.iso.datetime(),
  suppressionThreshold: z.int().min(1),
  definitions: z.record(z.string(), z.string()),
  platforms: z.array(
    z.strictObject({
      platform: z.string(),
      names: z.strictObject({ zh: z.string(), en: z.string() }),
      total: statsCellSchema,
      categories: z.array(categoryCellSchema),
    }),
  ),
});

export type StatsCell = z.infer<typeof statsCellSchema>;
export type StatsCategoryCell = z.infer<typeof categoryCellSchema>;
export type StatsReport = z.infer<typeof statsReportSchema>;
