import * as z from "zod";
import { platformStatusKey } from "../complaint/record";
import { parseOrThrow } from "../complaint/validation";
import { ProblemError } from "../http/problem";
import { COMPLAINT_STATUSES } from "../lifecycle/states";
import type { ComplaintStore } from "../store/complaint-store";
import { GSI_BY_PLATFORM_STATUS } from "../store/indexes";

/** The index of a platform's complaints by status and time (infra/constructs/complaint-table.ts). */
export const DEFAULT_INBOX_LIMIT = 25;
export const MAX_INBOX_LIMIT = 100;

export const inboxQuerySchema = z.strictObject({
  status: z.enum(COMPLAINT_STATUSES).optional(),
  /** Only complaints changed at or after this time (ISO 8601). */
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "a whole number")
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_INBOX_LIMIT))
    .optional(),
  cursor: z.string().min(1).max(2048).optional(),
});
export type InboxQuery = z.infer<typeof inboxQuerySchema>;

/** One complaint of the inbox: state and clock only; the content is in the ComplaintNotice the platform has. */
export interface InboxItem {
  complaintId: string;
  status: string;
  /** When the complaint entered its status. */
  statusSince: string;
  updatedAt: string;
  urgent: boolean;
  deadlines: { platformResponseDueBy: string; responseWorkingDays: number; basis: string };
  delivery: { state: string; caseRef?: string; deliveredAt?: string };
}

export interface InboxPage {
  items: InboxItem[];
  /** Pass as `cursor` for the next page; absent on the last. A page may hold fewer than `limit` items. */
  cursor?: string;
}

/**
 * GET /platform/v1/complaints: the calling platform's own complaints from the byPlatformStatus index (a Query on
 * its partition, never a scan), optionally of one status and changed since a time, in pages with an opaque
 * cursor bound to the query it came from.
 */
export async function platformInbox(
  store: ComplaintStore,
  platformId: string,
  parameters: Record<string, string | undefined> | null,
): Promise<InboxPage> {
  const query = parseOrThrow(inboxQuerySchema, definedOnly(parameters), "The query");
  const since = query.since ? new Date(query.since).toISOString() : undefined;
  const binding = { status: query.status ?? "", since: since ?? "" };
  const startKey = query.cursor ? decodeCursor(query.cursor, platformId, binding) : undefined;

  const page = await store.query({
    IndexName: GSI_BY_PLATFORM_STATUS,
    KeyConditionExpression: query.status ? "gsi1pk = :p AND begins_with(gsi1sk, :s)" : "gsi1pk = :p",
    ...(since ? { FilterExpression: "updatedAt >= :since" } : {}),
    ExpressionAttributeValues: {
      ":p": platformStatusKey(platformId),
      ...(query.status ? { ":s": `${query.status}#` } : {}),
      ...(since ? { ":since": since } : {}),
    },
    Limit: query.limit ?? DEFAULT_INBOX_LIMIT,
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  });
  return {
    items: page.items.map(inboxItem),
    ...(page.lastKey ? { cursor: encodeCursor(page.lastKey, binding) } : {}),
  };
}

function inboxItem(item: Record<string, unknown>): InboxItem {
  const deadlines = (item.deadlines ?? {}) as InboxItem["deadlines"];
  const delivery = (item.delivery ?? {}) as InboxItem["delivery"];
  const gsi1sk = String(item.gsi1sk ?? "");
  return {
    complaintId: String(item.complaintId),
    status: String(item.status),
    statusSince: gsi1sk.slice(gsi1sk.indexOf("#") + 1),
    updatedAt: String(item.updatedAt),
    urgent: item.urgent === true,
    deadlines: {
      platformResponseDueBy: deadlines.platformResponseDueBy,
      responseWorkingDays: deadlines.responseWorkingDays,
      basis: deadlines.basis,
    },
    delivery: {
      state: delivery.state,
      ...(delivery.caseRef ? { caseRef: delivery.caseRef } : {}),
      ...(delivery.deliveredAt ? { deliveredAt: delivery.deliveredAt } : {}),
    },
  };
}

interface Binding {
  status: string;
  since: string;
}

const KEY_FIELDS = ["gsi1pk", "gsi1sk", "pk", "sk"] as const;

function encodeCursor(lastKey: Record<string, unknown>, binding: Binding): string {
  return Buffer.from(JSON.stringify({ v: 1, k: lastKey, q: binding })).toString("base64url");
}

/** The cursor's start key, if it came from this platform's same query; anything else is a 400. */
function decodeCursor(cursor: string, platformId: string, binding: Binding): Record<string, string> {
  const invalid = () =>
    new ProblemError("validation", "The query is not valid", [
      { pointer: "/cursor", detail: "is not a cursor of this query: start again without one" },
    ]);
  let decoded: { v?: unknown; k?: Record<string, unknown>; q?: Partial<Binding> };
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const key = decoded?.k;
  if (decoded?.v !== 1 || !key || typeof key !== "object") throw invalid();
  if (decoded.q?.status !== binding.status || decoded.q?.since !== binding.since) throw invalid();
  const fields = Object.keys(key);
  if (fields.length !== KEY_FIELDS.length || !KEY_FIELDS.every((f) => typeof key[f] === "string")) {
    throw invalid();
  }
  if (key.gsi1pk !== platformStatusKey(platformId)) throw invalid();
  if (binding.status && !String(key.gsi1sk).startsWith(`${binding.status}#`)) throw invalid();
  return Object.fromEntries(KEY_FIELDS.map((f) => [f, String(key[f])]));
}

function definedOnly(parameters: Record<string, string | undefined> | null): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
