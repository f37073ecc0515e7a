import { type ComplaintRecord, statusSortKey } from "../../shared/complaint/record";
import type { Submission } from "../../shared/complaint/submission";
import { newComplaintRecord } from "../../shared/complaint/submit-complaint";
import { decideTransition, type TransitionRequest } from "../../shared/lifecycle/state-machine";
import { hashToken } from "../../shared/security/tracking-token";

/** Distinctive personal data: a test that finds these strings in a log line or a response has found a leak. */
export const FIXTURE_CONSUMER_NAME = "Zhuge Fixturelianghua";
export const FIXTURE_CONSUMER_PHONE = "13907550912";

/** A fresh, valid complaint body (a new object every call, so tests may mutate it). */
export function validSubmission(overrides: Partial<Submission> = {}): Submission {
  return {
    platform: "suning",
    seller: { type: "third_party", shopName: "Example Digital Flagship Store", shopId: "shop-1001" },
    order: {
      id: "ORD-2025-000123",
      date: "2025-06-01",
      item: "Wireless earbuds, model X2",
      amountFen: 29_900,
      currency: "CNY",
    },
    incidentDate: "2025-06-10",
    category: { nature: "quality", domain: "electronics" },
    title: "Earbuds stopped charging",
    narrative: "The left earbud stopped charging after nine days of use; the seller refuses a return.",
    demands: ["return_refund", "compensation"],
    consumer: {
      name: FIXTURE_CONSUMER_NAME,
      phone: FIXTURE_CONSUMER_PHONE,
      email: "fixture.consumer@example.com",
      regionCode: "110105",
    },
    consents: { processing: true, shareWithPlatform: true },
    evidence: [{ url: "https://evidence.example.com/receipt.jpg", description: "Receipt" }],
    ...overrides,
  };
}

export type JsonObject = Record<string, unknown>;
export const REMOVE = Symbol("remove");

/**
 * A deep copy of `value` with the field at `path` replaced (or removed with REMOVE): the way to build an
 * invalid body without casting the fixture's type away in every test.
 */
export function withField(
  value: object,
  path: readonly (string | number)[],
  replacement: unknown,
): JsonObject {
  const copy = structuredClone(value) as JsonObject;
  let target: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) {
    target = target[segment] as Record<string | number, unknown>;
  }
  const last = path.at(-1);
  if (last === undefined) throw new Error("withField needs a path");
  if (replacement === REMOVE) delete target[last];
  else target[last] = replacement;
  return copy;
}

export const FIXTURE_NOW = new Date("2026-03-02T02:00:00.000Z"); // Monday 10:00 in Shanghai

/** A complaint as submitComplaint stores it (status ACCEPTED, version 2). */
export function complaintRecord(
  options: { complaintId?: string; submission?: Submission; now?: Date; token?: string } = {},
): ComplaintRecord {
  return newComplaintRecord(
    options.complaintId ?? "CH0123456789ABCDEFGHJK",
    options.submission ?? validSubmission(),
    options.now ?? FIXTURE_NOW,
    hashToken(options.token ?? "fixture-tracking-token-0123456789"),
  );
}

/** A copy of `record` moved through the lifecycle the way ComplaintStore.transition writes it. */
export function advanced(
  record: ComplaintRecord,
  request: TransitionRequest,
  changes: Partial<ComplaintRecord> = {},
): ComplaintRecord {
  const outcome = decideTransition(record, request);
  const at = request.at.toISOString();
  return {
    ...structuredClone(record),
    status: outcome.status,
    version: outcome.version,
    updatedAt: at,
    gsi1sk: statusSortKey(outcome.status, at),
    timeline: [...record.timeline, outcome.entry],
    ...changes,
  };
}
