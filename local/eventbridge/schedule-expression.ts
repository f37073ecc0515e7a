/**
 * EventBridge schedule expressions (scheduled rules), parsed as the user guide documents them
 * ("Rate expressions reference", "Cron expressions reference"), with the next fire time computed in UTC.
 *
 *   rate(value unit)   value a positive integer; unit minute | hour | day when value is 1, else
 *                      minutes | hours | days. Nothing else: "rate(1 minutes)", "rate(10 MINUTES)" and
 *                      "rate( 10 minutes )" are refused (AWS-verified cases in LocalStack's
 *                      tests/aws/services/events/test_events_schedule.py).
 *   cron(minutes hours day-of-month month day-of-week year)
 *       minutes 0-59 , - * /        day-of-month 1-31 , - * ? / L W     day-of-week 1-7 or SUN-SAT , - * ? L #
 *       hours   0-23 , - * /        month 1-12 or JAN-DEC , - * /        year 1970-2199 , - * /
 *     One of day-of-month and day-of-week must be "?" (and only one). "L" alone is the last day of the month
 *     (day-of-month) or of the week, Saturday (day-of-week); "LW" the month's last weekday; "15W" the weekday
 *     nearest the 15th, within the month; "6L" the month's last Friday; "3#2" its second Tuesday ("#" stands
 *     alone in its field). Ranges may wrap ("FRI-MON", "22-2"), except years. Names are case-insensitive.
 *
 * Not reproduced: Quartz's "L-3" offsets (refused here) and AWS's undocumented leniencies.
 */

export class InvalidScheduleExpressionError extends Error {
  override readonly name = "InvalidScheduleExpressionError";
}

export interface ScheduleExpression {
  readonly expression: string;
  readonly kind: "rate" | "cron";
  /**
   * The first fire time strictly after `afterMs` (epoch ms), or undefined when there is none (a cron whose
   * years are over). Rate schedules count their periods from `anchorMs`, when the schedule started.
   */
  next(afterMs: number, anchorMs: number): number | undefined;
}

const MINUTE_MS = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS };
const MAX_YEAR = 2199;

/** Parses a ScheduleExpression; throws InvalidScheduleExpressionError saying why it is refused. */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  if (typeof expression !== "string") throw invalid("not a string");
  if (expression.startsWith("rate(")) return parseRate(expression);
  if (expression.startsWith("cron(")) return parseCron(expression);
  throw invalid("neither rate(...) nor cron(...)");
}

export function isValidScheduleExpression(expression: string): boolean {
  try {
    parseScheduleExpression(expression);
    return true;
  } catch {
    return false;
  }
}

// ---- rate ----

function parseRate(expression: string): ScheduleExpression {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) throw invalid(`"${expression}" is not rate(value unit)`);
  const value = Number(match[1]);
  const unit = match[2] as string;
  if (!Number.isSafeInteger(value) || value < 1) throw invalid("the rate's value must be a positive integer");
  const plural = unit.endsWith("s");
  if (plural !== value > 1) throw invalid(`the unit must be ${value === 1 ? "singular" : "plural"}`);
  const periodMs = value * (UNIT_MS[plural ? unit.slice(0, -1) : unit] as number);
  return {
    expression,
    kind: "rate",
    next: (afterMs, anchorMs) => anchorMs + (Math.floor((afterMs - anchorMs) / periodMs) + 1) * periodMs,
  };
}

// ---- cron ----

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names standing for values, from `min` on (JAN = 1, SUN = 1). */
  names?: readonly string[];
  /** Whether "/" is allowed (not in day-of-week) and ranges may wrap (not in year). */
  steps: boolean;
  wraps: boolean;
}

const MINUTES: FieldSpec = { name: "minutes", min: 0, max: 59, steps: true, wraps: true };
const HOURS: FieldSpec = { name: "hours", min: 0, max: 23, steps: true, wraps: true };
const DAY_OF_MONTH: FieldSpec = { name: "day-of-month", min: 1, max: 31, steps: true, wraps: true };
const MONTH: FieldSpec = {
  name: "month",
  min: 1,
  max: 12,
  names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  steps: true,
  wraps: true,
};
const DAY_OF_WEEK: FieldSpec = {
  name: "day-of-week",
  min: 1,
  max: 7,
  names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
  steps: false,
  wraps: true,
};
const YEAR: FieldSpec = { name: "year", min: 1970, max: MAX_YEAR, steps: true, wraps: false };

/** Which days a cron expression runs on: day-of-month and day-of-week, one of them "?". */
type DayRule =
  | { kind: "days-of-month"; days: ReadonlySet<number> }
  | { kind: "last-day" }
  | { kind: "last-weekday" }
  | { kind: "nearest-weekday"; day: number }
  | { kind: "days-of-week"; weekdays: ReadonlySet<number> }
  | { kind: "last-of-weekday"; weekday: number }
  | { kind: "nth-weekday"; weekday: number; nth: number };

function parseCron(expression: string): ScheduleExpression {
  const match = /^cron\((\S.*\S)\)$/.exec(expression);
  if (!match) throw invalid(`"${expression}" is not cron(fields)`);
  const fields = (match[1] as string).split(/\s+/);
  if (fields.length !== 6) throw invalid(`cron needs 6 fields, not ${fields.length}`);
  const [minuteText, hourText, domText, monthText, dowText, yearText] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((domText === "?") === (dowText === "?")) {
    throw invalid('exactly one of day-of-month and day-of-week must be "?"');
  }
  const minutes = parseField(minuteText, MINUTES);
  const hours = parseField(hourText, HOURS);
  const months = parseField(monthText, MONTH);
  const years = parseField(yearText, YEAR);
  const days = domText === "?" ? parseDayOfWeek(dowText) : parseDayOfMonth(domText);

  const next = (afterMs: number): number | undefined => {
    // Whole minutes only: the first candidate is the minute after `afterMs`.
    const at = new Date((Math.floor(afterMs / MINUTE_MS) + 1) * MINUTE_MS);
    for (;;) {
      const year = at.getUTCFullYear();
      if (year > MAX_YEAR) return undefined;
      if (!years.has(year)) {
        at.setUTCFullYear(year + 1, 0, 1);
        at.setUTCHours(0, 0, 0, 0);
      } else if (!months.has(at.getUTCMonth() + 1)) {
        at.setUTCMonth(at.getUTCMonth() + 1, 1);
        at.setUTCHours(0, 0, 0, 0);
      } else if (!dayMatches(days, year, at.getUTCMonth() + 1, at.getUTCDate())) {
        at.setUTCDate(at.getUTCDate() + 1);
        at.setUTCHours(0, 0, 0, 0);
      } else if (!hours.has(at.getUTCHours())) {
        at.setUTCHours(at.getUTCHours() + 1, 0, 0, 0);
      } else if (!minutes.has(at.getUTCMinutes())) {
        at.setUTCMinutes(at.getUTCMinutes() + 1, 0, 0);
      } else {
        return at.getTime();
      }
    }
  };
  return { expression, kind: "cron", next };
}

/** A plain field: a comma list of *, values, ranges and steps. */
function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    for (const value of parseItem(item, spec)) values.add(value);
  }
  return values;
}

function parseItem(item: string, spec: FieldSpec): number[] {
  const [rangeText, stepText, extra] = item.split("/");
  if (extra !== undefined || rangeText === undefined || rangeText === "") throw badField(spec, item);
  let step = 1;
  if (stepText !== undefined) {
    if (!spec.steps || !/^\d+$/.test(stepText)) throw badField(spec, item);
    step = Number(stepText);
    if (step < 1 || step > spec.max - spec.min + 1) throw badField(spec, item);
  }
  let first: number;
  let last: number;
  if (rangeText === "*") {
    first = spec.min;
    last = spec.max;
  } else {
    const bounds = rangeText.split("-");
    if (bounds.length > 2) throw badField(spec, item);
    first = fieldValue(bounds[0] as string, spec);
    // "5/15" runs from 5 to the end of the field.
    last =
      bounds.length === 2 ? fieldValue(bounds[1] as string, spec) : stepText !== undefined ? spec.max : first;
    if (last < first && !spec.wraps) throw badField(spec, item);
  }
  const size = spec.max - spec.min + 1;
  const count = ((last - first + size) % size) + 1;
  const values: number[] = [];
  for (let offset = 0; offset < count; offset += step) {
    values.push(spec.min + ((first - spec.min + offset) % size));
  }
  return values;
}

function fieldValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return spec.min + named;
  if (!/^\d+$/.test(text)) throw badField(spec, text);
  const value = Number(text);
  if (value < spec.min || value > spec.max) throw badField(spec, text);
  return value;
}

function parseDayOfMonth(text: string): DayRule {
  const upper = text.toUpperCase();
  if (upper === "L") return { kind: "last-day" };
  if (upper === "LW") return { kind: "last-weekday" };
  const weekday = /^(\d+)W$/.exec(upper);
  if (weekday) return { kind: "nearest-weekday", day: fieldValue(weekday[1] as string, DAY_OF_MONTH) };
  if (/[LW]/.test(upper)) throw badField(DAY_OF_MONTH, text);
  return { kind: "days-of-month", days: parseField(text, DAY_OF_MONTH) };
}

function parseDayOfWeek(text: string): DayRule {
  const upper = text.toUpperCase();
  // "L" alone is the last day of the week.
  if (upper === "L") return { kind: "days-of-week", weekdays: new Set([7]) };
  const last = /^(\w+)L$/.exec(upper);
  if (last) return { kind: "last-of-weekday", weekday: fieldValue(last[1] as string, DAY_OF_WEEK) };
  const nth = /^(\w+)#(\d)$/.exec(upper);
  if (nth) {
    const instance = Number(nth[2]);
    if (instance < 1 || instance > 5) throw badField(DAY_OF_WEEK, text);
    return { kind: "nth-weekday", weekday: fieldValue(nth[1] as string, DAY_OF_WEEK), nth: instance };
  }
  if (/[L#]/.test(upper)) throw badField(DAY_OF_WEEK, text);
  return { kind: "days-of-week", weekdays: parseField(text, DAY_OF_WEEK) };
}

function dayMatches(rule: DayRule, year: number, month: number, day: number): boolean {
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  // 1 = Sunday … 7 = Saturday, as in cron's day-of-week.
  const weekdayOf = (d: number) => new Date(Date.UTC(year, month - 1, d)).getUTCDay() + 1;
  switch (rule.kind) {
    case "days-of-month":
      return rule.days.has(day);
    case "last-day":
      return day === lastDay;
    case "last-weekday":
      return day === nearestWeekday(lastDay, lastDay, weekdayOf);
    case "nearest-weekday":
      return rule.day <= lastDay && day === nearestWeekday(rule.day, lastDay, weekdayOf);
    case "days-of-week":
      return rule.weekdays.has(weekdayOf(day));
    case "last-of-weekday":
      return weekdayOf(day) === rule.weekday && day + 7 > lastDay;
    case "nth-weekday":
      return weekdayOf(day) === rule.weekday && Math.ceil(day / 7) === rule.nth;
  }
}

/** The weekday (Monday to Friday) nearest `day`, without leaving the month. */
function nearestWeekday(day: number, lastDay: number, weekdayOf: (day: number) => number): number {
  const weekday = weekdayOf(day);
  if (weekday === 7) return day === 1 ? 3 : day - 1; // Saturday: Friday before, or Monday the 3rd
  if (weekday === 1) return day === lastDay ? day - 2 : day + 1; // Sunday: Monday after, or Friday before
  return day;
}

function badField(spec: FieldSpec, text: string): InvalidScheduleExpressionError {
  return invalid(`"${text}" is not valid in the ${spec.name} field`);
}

function invalid(reason: string): InvalidScheduleExpressionError {
  return new InvalidScheduleExpressionError(`Invalid schedule expression: ${reason}`);
}
