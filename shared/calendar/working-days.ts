/**
 * Working-day arithmetic on China's calendar, for complaint deadlines: a platform answers within 7 working
 * days of delivery (3 more when supervised), mediation is capped at 45 working days, and a consumer's
 * confirmation times out after 7 calendar days. Deadlines fall at the end of a day in Shanghai.
 */
import { HOLIDAY_CALENDAR } from "./holiday-data";

export const CHINA_TIME_ZONE = "Asia/Shanghai";

// China has kept UTC+8 all year, with no daylight saving, since 1991: the tz database's Asia/Shanghai is a
// fixed +08:00 from then on. So for our data (2016 on) a fixed offset gives exactly the local dates that
// Intl would for CHINA_TIME_ZONE, without depending on the runtime's ICU data and far more cheaply.
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A Shanghai calendar day, counted in days since 1970-01-01. */
type DayNumber = number;

const fallbackListeners = new Set<(year: number) => void>();
const reportedFallbackYears = new Set<number>();

/**
 * Calls `listener` the first time (per process) that a year without published holiday data is used, when
 * Monday–Friday are taken as its working days. Returns a function that removes the listener.
 */
export function onFallbackYear(listener: (year: number) => void): () => void {
  fallbackListeners.add(listener);
  return () => {
    fallbackListeners.delete(listener);
  };
}

/** Whether `year`'s holidays are in the data, or its working days are assumed to be Monday–Friday. */
export function calendarCoverage(year: number): "published" | "weekday-fallback" {
  return HOLIDAY_CALENDAR.get(year)?.published ? "published" : "weekday-fallback";
}

/** Whether a Shanghai calendar date (YYYY-MM-DD) is a working day. */
export function isWorkingDay(localDate: string): boolean {
  return isWorkingDayNumber(parseLocalDate(localDate));
}

/**
 * The deadline `workingDays` working days after `from`: counting starts on the day after `from`'s date in
 * Shanghai, and the deadline is the end of the last counted day (23:59:59.999 +08:00).
 */
export function addWorkingDays(from: Date, workingDays: number): Date {
  requirePositiveInteger("workingDays", workingDays);
  let day = shanghaiDay(from);
  for (let counted = 0; counted < workingDays; ) {
    day += 1;
    if (isWorkingDayNumber(day)) counted += 1;
  }
  return endOfDay(day);
}

/**
 * The working days after `from`'s Shanghai date up to and including `to`'s (0 if `to` is not after `from`),
 * so that `workingDaysBetween(from, addWorkingDays(from, n)) === n`.
 */
export function workingDaysBetween(from: Date, to: Date): number {
  const last = shanghaiDay(to);
  let count = 0;
  for (let day = shanghaiDay(from) + 1; day <= last; day += 1) {
    if (isWorkingDayNumber(day)) count += 1;
  }
  return count;
}

/** The end of the `days`-th calendar day after `from`'s Shanghai date (23:59:59.999 +08:00). */
export function addCalendarDays(from: Date, days: number): Date {
  requirePositiveInteger("days", days);
  return endOfDay(shanghaiDay(from) + days);
}

function isWorkingDayNumber(day: DayNumber): boolean {
  const date = new Date(day * DAY_MS);
  const iso = date.toISOString().slice(0, 10);
  const year = date.getUTCFullYear();
  const calendar = HOLIDAY_CALENDAR.get(year);
  if (!calendar?.published) reportFallback(year);
  if (calendar?.offDays.has(iso)) return false;
  if (calendar?.workedWeekendDays.has(iso)) return true;
  const weekday = date.getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

function reportFallback(year: number): void {
  if (reportedFallbackYears.has(year)) return;
  reportedFallbackYears.add(year);
  for (const listener of fallbackListeners) listener(year);
}

function shanghaiDay(instant: Date): DayNumber {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError("Invalid Date");
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS);
}

function endOfDay(day: DayNumber): Date {
  return new Date((day + 1) * DAY_MS - SHANGHAI_OFFSET_MS - 1);
}

function parseLocalDate(localDate: string): DayNumber {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(localDate);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  // Date.UTC rolls 2026-02-30 over to March; the round trip catches it.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== localDate) {
    throw new RangeError(`Not a YYYY-MM-DD date: ${JSON.stringify(localDate)}`);
  }
  return ms / DAY_MS;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}
