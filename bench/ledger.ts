/**
 * The end-to-end benchmark's ledger check: every complaint the API accepted is accounted for, exactly once.
 * Pure: it compares what the API accepted, what the sandbox platforms recorded and what the table says.
 */

/** A complaint the API answered 201 for. */
export interface AcceptedComplaint {
  complaintId: string;
  platform: string;
}

/** One request a sandbox platform recorded (any answer). */
export interface PlatformReceipt {
  platform: string;
  complaintId?: string;
  /** The hub's notice id, sent as `webhook-id`. */
  webhookId?: string;
  /** The case the platform opened or answered again (successful answers only). */
  caseRef?: string;
  status: number;
}

/** The complaint as the table has it at the end of the run. */
export interface TableView {
  status: string;
  /** delivery.state: pending, delivered, parked, dead_lettered. */
  deliveryState: string;
  caseRef?: string;
  attempts: number;
}

export interface LedgerResult {
  accepted: number;
  /** One case at its own platform, and the table names that case. */
  delivered: number;
  /** Delivered at the platform, but the table does not (yet) say so. */
  deliveredUnrecorded: string[];
  /** Not delivered; the table shows it waiting for a retry of a failed attempt. */
  heldForRetry: number;
  /** Not delivered; parked or dead-lettered with its reason, for an operator to redrive. */
  parked: number;
  /** Accepted, but neither delivered, nor retrying, nor parked. */
  lost: string[];
  /** More than one case at its platform, or the table names another case than the platform opened. */
  duplicated: string[];
  /** Received by a platform other than its own. */
  misrouted: string[];
  /** Successful requests beyond one per complaint: repeats the platform answered with the same case. */
  redundantRequests: number;
  /** Cases opened for complaints this run did not file. */
  unknownCases: number;
  /** Zero lost, zero duplicated, zero misrouted, nothing delivered without the table knowing. */
  ok: boolean;
}

const isSuccess = (receipt: PlatformReceipt) => receipt.caseRef !== undefined && receipt.status < 300;

export function checkLedger(
  accepted: readonly AcceptedComplaint[],
  receipts: readonly PlatformReceipt[],
  table: ReadonlyMap<string, TableView>,
): LedgerResult {
  const own = new Map(accepted.map((c) => [c.complaintId, c.platform]));
  const cases = new Map<string, Set<string>>();
  const misrouted = new Set<string>();
  let successes = 0;
  let unknownCases = 0;
  for (const receipt of receipts) {
    if (!isSuccess(receipt)) continue;
    const id = receipt.complaintId;
    const platform = id === undefined ? undefined : own.get(id);
    if (id === undefined || platform === undefined) {
      unknownCases++;
      continue;
    }
    if (receipt.platform !== platform) {
      misrouted.add(id);
      continue;
    }
    successes++;
    const set = cases.get(id) ?? new Set<string>();
    set.add(receipt.caseRef as string);
    cases.set(id, set);
  }

  let delivered = 0;
  let heldForRetry = 0;
  let parked = 0;
  const lost: string[] = [];
  const duplicated: string[] = [];
  const deliveredUnrecorded: string[] = [];
  for (const { complaintId } of accepted) {
    const opened = cases.get(complaintId);
    const row = table.get(complaintId);
    if (opened && opened.size > 1) {
      duplicated.push(complaintId);
      continue;
    }
    if (opened) {
      const caseRef = [...opened][0];
      if (row?.caseRef === undefined) deliveredUnrecorded.push(complaintId);
      else if (row.caseRef !== caseRef) duplicated.push(complaintId);
      else delivered++;
      continue;
    }
    if (row?.deliveryState === "parked" || row?.deliveryState === "dead_lettered") parked++;
    else if (row?.deliveryState === "pending" && row.attempts > 0) heldForRetry++;
    else lost.push(complaintId);
  }
  return {
    accepted: accepted.length,
    delivered,
    deliveredUnrecorded,
    heldForRetry,
    parked,
    lost,
    duplicated,
    misrouted: [...misrouted],
    redundantRequests: successes - cases.size,
    unknownCases,
    ok:
      lost.length === 0 &&
      duplicated.length === 0 &&
      misrouted.size === 0 &&
      deliveredUnrecorded.length === 0,
  };
}
