import { NOT_ACCEPTED_REASONS, type NotAcceptedReason } from "../lifecycle/reasons";
import type { Submission } from "./submission";

export type ScreeningOutcome =
  | { to: "ACCEPTED"; reason: "screening_passed" }
  | { to: "NOT_ACCEPTED"; reason: NotAcceptedReason; note: string };

/** SAMR Art 15(4): complaints are accepted within three years of the consumer learning of the harm. */
const LIMITATION_YEARS = 3;

/**
 * The automated part of screening (SAMR Art 15): what the hub can decide from the submission alone. A complaint
 * filed more than three years after the incident is time-barred; every other ground needs an operator, who
 * refuses from REROUTE_REVIEW with the same reason codes. `today` is the date in Shanghai (YYYY-MM-DD).
 */
export function screenSubmission(
  submission: Pick<Submission, "incidentDate">,
  today: string,
): ScreeningOutcome {
  if (submission.incidentDate < yearsBefore(today, LIMITATION_YEARS)) {
    return { to: "NOT_ACCEPTED", reason: "art15_time_barred", note: NOT_ACCEPTED_REASONS.art15_time_barred };
  }
  return { to: "ACCEPTED", reason: "screening_passed" };
}

/** The same calendar date `years` earlier (29 February falls back to 28 February). */
function yearsBefore(date: string, years: number): string {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const earlier = new Date(Date.UTC(year - years, month - 1, day));
  if (earlier.getUTCMonth() !== month - 1) earlier.setUTCDate(0);
  return earlier.toISOString().slice(0, 10);
}
