import { createHash } from "node:crypto";
import type { APIGatewayProxyResult } from "aws-lambda";
import { jsonResponse } from "../http/api-handler";
import type { StatsReport } from "./report-schema";

/** Browsers and shared caches may keep the figures for 5 minutes: they change slowly and are public. */
export const STATS_CACHE_CONTROL = "public, max-age=300";

/**
 * A weak validator over the figures (the body without generatedAt): two renderings of the same counters,
 * minutes apart or by different function instances, are the same representation for a client revalidating.
 */
export function statsEtag(report: StatsReport): string {
  const { generatedAt: _, ...figures } = report;
  return `W/"${createHash("sha256").update(JSON.stringify(figures)).digest("base64url")}"`;
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): the opaque tags are compared, W/ aside. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const wanted = opaque(etag);
  return header.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === wanted);
}

/** 200 with the report, or 304 without a body when the client's copy is current. */
export function statsResponse(
  report: StatsReport,
  etag: string,
  ifNoneMatch: string | undefined,
): APIGatewayProxyResult {
  const headers = { "cache-control": STATS_CACHE_CONTROL, etag };
  if (matchesIfNoneMatch(ifNoneMatch, etag)) return { statusCode: 304, headers, body: "" };
  return jsonResponse(200, report, headers);
}
