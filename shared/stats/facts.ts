import type { ComplaintRecord } from "../complaint/record";
import { ISSUE_NATURES } from "../complaint/submission";
import { SETTLED_CLOSURE_REASONS } from "../lifecycle/reasons";
import type { ComplaintStatus, TimelineEntry } from "../lifecycle/states";

/**
 * What the public statistics count. Each fact happens at most once per route (a complaint's stay with one
 * platform, `routing.routeSeq`) and is counted against that route's platform:
 * - received: the complaint reached the platform (the insert, or a new route after a re-route);
 * - delivered: it became DELIVERED;
 * - firstResponse: the platform's first report after delivery (the DELIVERED entry itself aside), with the
 *   whole hours it took;
 * - answeredOnTime / answeredLate: its first answer (→ AWAITING_CONSUMER_CONFIRMATION) came by / after
 *   deadlines.platformResponseDueBy, the route not having gone OVERDUE before;
 * - overdue: it went OVERDUE before the platform answered (so each route lands in at most one of these three);
 * - closed, and settled when the closing reason is one of SETTLED_CLOSURE_REASONS; withdrawn.
 */
export const FACT_NAMES = [
  "received",
  "delivered",
  "firstResponse",
  "answeredOnTime",
  "answeredLate",
  "overdue",
  "closed",
  "settled",
  "withdrawn",
] as const;
export type FactName = (typeof FACT_NAMES)[number];

/** First-response times are counted in whole hours; this bucket holds everything from 30 days on. */
export const HISTOGRAM_CAP_HOURS = 720;

export interface StatsFact {
  name: FactName;
  complaintId: string;
  routeSeq: number;
  platform: string;
  /** The submission's issue nature: one axis only, so cells stay big enough to publish. */
  category: string;
  /** firstResponse only: whole hours from delivery to the first report, 0 … HISTOGRAM_CAP_HOURS. */
  hours?: number;
}

interface Route {
  complaintId: string;
  routeSeq: number;
  platform: string;
  member: boolean;
  category: string;
  /** The route's clock as the write found it: the due date, and a pause (INFO_REQUESTED) if one ran. */
  dueBy?: string;
  clockPausedAt?: string;
}

const NATURES: ReadonlySet<string> = new Set(ISSUE_NATURES);
const HOUR_MS = 3_600_000;

/**
 * The facts one change of a complaint item stands for, from its old and new stream images. Only entries the
 * write appended to the timeline are looked at, each against the earlier entries of its own route, so a fact
 * is derived from the one change that made it; the counter's markers make a redelivered record harmless.
 * Complaints routed to non-members (the association's triage) are not counted: they have no platform figures.
 */
export function factsForChange(
  oldImage: ComplaintRecord | undefined,
  newImage: ComplaintRecord | undefined,
): StatsFact[] {
  if (!newImage) return [];
  const facts: StatsFact[] = [];
  const add = (route: Route, name: FactName, hours?: number) => {
    if (!route.member) return;
    facts.push({
      name,
      complaintId: route.complaintId,
      routeSeq: route.routeSeq,
      platform: route.platform,
      category: route.category,
      ...(hours !== undefined ? { hours } : {}),
    });
  };

  if (!oldImage) {
    if (newImage.status === "ACCEPTED") add(routeOf(newImage), "received");
    return facts;
  }
  if (newImage.routing?.noticeId !== oldImage.routing?.noticeId) add(routeOf(newImage), "received");

  const timeline = appendedTimeline(oldImage, newImage);
  let route = routeOf(oldImage);
  for (let i = oldImage.timeline.length; i < timeline.length; i++) {
    const entry = timeline[i] as TimelineEntry;
    // Entries from the re-route on belong to the new route (as in shared/events/stream-events.ts).
    if (isReroute(entry)) route = routeOf(newImage);
    const earlier = timeline.slice(routeStart(timeline, i), i);
    for (const [name, hours] of entryFacts(entry, earlier, route)) add(route, name, hours);
  }
  return facts;
}

/** The new timeline, or, for a status change written without its entry, the old one plus a stand-in entry. */
function appendedTimeline(oldImage: ComplaintRecord, newImage: ComplaintRecord): TimelineEntry[] {
  const timeline = newImage.timeline ?? [];
  if (timeline.length > oldImage.timeline.length || oldImage.status === newImage.status) return timeline;
  const standIn: TimelineEntry = {
    at: newImage.updatedAt,
    actor: "hub",
    from: oldImage.status,
    to: newImage.status,
    visibility: "internal",
  };
  return [...oldImage.timeline, standIn];
}

function entryFacts(
  entry: TimelineEntry,
  earlier: readonly TimelineEntry[],
  route: Route,
): [FactName, number?][] {
  const facts: [FactName, number?][] = [];
  const hours = firstResponseHours(entry, earlier);
  if (hours !== undefined) facts.push(["firstResponse", hours]);
  if (entry.from === entry.to) return facts;

  const reached = (status: ComplaintStatus) => earlier.some((e) => e.to === status && e.from !== e.to);
  switch (entry.to) {
    case "DELIVERED":
      if (!reached("DELIVERED")) facts.push(["delivered"]);
      break;
    case "AWAITING_CONSUMER_CONFIRMATION": {
      if (reached("AWAITING_CONSUMER_CONFIRMATION") || reached("OVERDUE")) break;
      const onTime = answeredOnTime(entry.at, route);
      if (onTime !== undefined) facts.push([onTime ? "answeredOnTime" : "answeredLate"]);
      break;
    }
    case "OVERDUE":
      if (!reached("OVERDUE") && !reached("AWAITING_CONSUMER_CONFIRMATION")) facts.push(["overdue"]);
      break;
    case "CLOSED":
      facts.push(["closed"]);
      if (entry.reason && SETTLED_CLOSURE_REASONS.has(entry.reason)) facts.push(["settled"]);
      break;
    case "WITHDRAWN":
      facts.push(["withdrawn"]);
      break;
  }
  return facts;
}

/**
 * Hours from delivery to the platform's first report after it, when `entry` is that report. A pull platform's
 * ACK is receipt and acknowledgement in one: its DELIVERED entry is not a response, the ACKNOWLEDGED one is.
 */
function firstResponseHours(entry: TimelineEntry, earlier: readonly TimelineEntry[]): number | undefined {
  if (entry.actor !== "platform" || entry.to === "DELIVERED") return undefined;
  const delivered = earlier.findIndex((e) => e.to === "DELIVERED" && e.from !== e.to);
  if (delivered < 0) return undefined;
  const responded = earlier.slice(delivered + 1).some((e) => e.actor === "platform");
  if (responded) return undefined;
  const ms = Date.parse(entry.at) - Date.parse((earlier[delivered] as TimelineEntry).at);
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(HISTOGRAM_CAP_HOURS, Math.max(0, Math.floor(ms / HOUR_MS)));
}

/**
 * Whether an answer at `at` beat the due date. A clock paused for the consumer (INFO_REQUESTED) stands still,
 * so an answer given while paused counts from the moment of the pause. Undefined without a due date.
 */
function answeredOnTime(at: string, route: Route): boolean | undefined {
  const due = route.dueBy ? Date.parse(route.dueBy) : Number.NaN;
  if (!Number.isFinite(due)) return undefined;
  const paused = route.clockPausedAt ? Date.parse(route.clockPausedAt) : Number.NaN;
  const answered = Number.isFinite(paused) ? Math.min(paused, Date.parse(at)) : Date.parse(at);
  return answered <= due;
}

function isReroute(entry: TimelineEntry): boolean {
  return entry.from === "REROUTE_REVIEW" && entry.to === "QUEUED";
}

/** Index of the first entry of the route that entry `i` belongs to: the last re-route at or before it. */
function routeStart(timeline: readonly TimelineEntry[], i: number): number {
  for (let j = i; j >= 0; j--) if (isReroute(timeline[j] as TimelineEntry)) return j;
  return 0;
}

function routeOf(image: ComplaintRecord): Route {
  const routeSeq = image.routing?.routeSeq ?? 1;
  const nature = image.submission?.category?.nature;
  return {
    complaintId: image.complaintId,
    routeSeq,
    platform: image.platform,
    member: image.member === true,
    category: nature && NATURES.has(nature) ? nature : "other",
    ...(image.deadlines?.platformResponseDueBy ? { dueBy: image.deadlines.platformResponseDueBy } : {}),
    // Only the pause for the consumer's information stops the platform's clock (appraisal pauses mediation's).
    ...(image.awaitingConsumerInfo && image.clockPausedAt ? { clockPausedAt: image.clockPausedAt } : {}),
  };
}
