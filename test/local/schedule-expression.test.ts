/**
 * Schedule expressions as the EventBridge user guide documents them: what is accepted (its examples and
 * the AWS-verified rate cases LocalStack records) and when each expression fires next, in UTC.
 */
import { describe, expect, it } from "vitest";
import {
  InvalidScheduleExpressionError,
  isValidScheduleExpression,
  parseScheduleExpression,
} from "../../local/eventbridge/schedule-expression.js";

/** The next fire time after `after`, as ISO text (undefined when there is none). */
function next(expression: string, after: string, anchor = after): string | undefined {
  const at = parseScheduleExpression(expression).next(Date.parse(after), Date.parse(anchor));
  return at === undefined ? undefined : new Date(at).toISOString().replace(".000Z", "Z");
}

describe("rate expressions", () => {
  it("accepts a positive value with a singular unit for 1 and a plural one above", () => {
    for (const expression of [
      "rate(1 minute)",
      "rate(5 minutes)",
      "rate(1 hour)",
      "rate(12 hours)",
      "rate(1 day)",
      "rate(7 days)",
    ]) {
      expect(isValidScheduleExpression(expression), expression).toBe(true);
    }
  });

  it("refuses what EventBridge refuses (AWS-verified cases)", () => {
    for (const expression of [
      "rate(10 seconds)",
      "rate(10 years)",
      "rate(1 minutes)",
      "rate(1 hours)",
      "rate(1 days)",
      "rate(10 minute)",
      "rate(10 hour)",
      "rate(10 day)",
      "rate()",
      "rate(10)",
      "rate(10 minutess)",
      "rate(foo minutes)",
      "rate(0 minutes)",
      "rate(-10 minutes)",
      "rate(10 MINUTES)",
      "rate( 10 minutes )",
      " rate(10 minutes)",
      "every 5 minutes",
      "",
    ]) {
      expect(() => parseScheduleExpression(expression), expression).toThrow(InvalidScheduleExpressionError);
    }
  });

  it("fires every period counted from when the schedule started", () => {
    const start = "2026-11-28T15:20:07Z";
    expect(next("rate(5 minutes)", start, start)).toBe("2026-11-28T15:25:07Z");
    expect(next("rate(5 minutes)", "2026-11-28T15:25:07Z", start)).toBe("2026-11-28T15:30:07Z");
    expect(next("rate(5 minutes)", "2026-11-28T15:29:00Z", start)).toBe("2026-11-28T15:30:07Z");
    expect(next("rate(1 hour)", start, start)).toBe("2026-11-28T16:20:07Z");
    expect(next("rate(2 days)", "2026-12-03T00:00:00Z", start)).toBe("2026-12-04T15:20:07Z");
  });
});

describe("cron expressions", () => {
  it("accepts the user guide's examples", () => {
    for (const expression of [
      "cron(0 10 * * ? *)",
      "cron(15 12 * * ? *)",
      "cron(0 18 ? * MON-FRI *)",
      "cron(0 8 1 * ? *)",
      "cron(0/15 * * * ? *)",
      "cron(0/10 * ? * MON-FRI *)",
      "cron(0/5 8-17 ? * MON-FRI *)",
      "cron(0/30 20-23 ? * MON-FRI *)",
      "cron(0/30 0-2 ? * MON-FRI *)",
      "cron(* 1 * * ? *)",
      "cron(0 9 ? JAN,FEB,MAR 3#2 2026-2030)",
      "cron(0 0 L * ? *)",
      "cron(0 0 LW * ? *)",
      "cron(0 0 3W * ? *)",
      "cron(0 0 ? * 6L *)",
      "cron(0 0 ? * L *)",
      "cron(0 0 ? * sun *)",
    ]) {
      expect(isValidScheduleExpression(expression), expression).toBe(true);
    }
  });

  it("refuses expressions outside the documented syntax", () => {
    for (const expression of [
      "cron(0 10 * * * *)", // * in both day fields
      "cron(0 10 ? * ? *)", // ? in both
      "cron(0 10 1 * MON *)", // a value in both
      "cron(0 10 * * ?)", // five fields
      "cron(0 0 10 * * ? *)", // seven (seconds are not supported)
      "cron(60 * * * ? *)",
      "cron(0 24 * * ? *)",
      "cron(0 0 32 * ? *)",
      "cron(0 0 ? * 8 *)",
      "cron(0 0 ? 13 MON *)",
      "cron(0 0 ? * MON * )",
      "cron(0 0 1 1 ? 1969)",
      "cron(0 0 1 1 ? 2030-2025)", // years do not wrap
      "cron(? 10 * * ? *)",
      "cron(0 L * * ? *)",
      "cron(0/0 * * * ? *)",
      "cron(0 0 ? * MON/2 *)", // no step in day-of-week
      "cron(0 0 ? * 3#1,6#3 *)", // "#" stands alone
      "cron(0 0 ? * 3#6 *)",
      "cron(0 0 1W,15 * ? *)",
      "cron(0 0 L-3 * ? *)",
      "cron(0 0 ? * MON#2 *) ",
      "cron(0 0 * JANUARY ? *)",
      "cron()",
    ]) {
      expect(isValidScheduleExpression(expression), expression).toBe(false);
    }
  });

  it("fires at the next matching minute, in UTC", () => {
    // 2026-11-28 is a Saturday.
    const now = "2026-11-28T15:20:00Z";
    expect(next("cron(0 10 * * ? *)", now)).toBe("2026-11-29T10:00:00Z");
    expect(next("cron(15 12 * * ? *)", "2026-11-28T12:14:59.999Z")).toBe("2026-11-28T12:15:00Z");
    expect(next("cron(15 12 * * ? *)", "2026-11-28T12:15:00Z")).toBe("2026-11-29T12:15:00Z");
    expect(next("cron(0 18 ? * MON-FRI *)", now)).toBe("2026-11-30T18:00:00Z");
    expect(next("cron(0 8 1 * ? *)", now)).toBe("2026-12-01T08:00:00Z");
    expect(next("cron(0/15 * * * ? *)", now)).toBe("2026-11-28T15:30:00Z");
    expect(next("cron(1/10 * * * ? *)", now)).toBe("2026-11-28T15:21:00Z");
    expect(next("cron(0/5 8-17 ? * MON-FRI *)", "2026-11-27T17:55:00Z")).toBe("2026-11-30T08:00:00Z");
    expect(next("cron(* 1 * * ? *)", "2026-11-28T01:59:00Z")).toBe("2026-11-29T01:00:00Z");
    expect(next("cron(0 22-2 * * ? *)", "2026-11-28T02:30:00Z")).toBe("2026-11-28T22:00:00Z");
    expect(next("cron(0 0 ? * FRI-MON *)", "2026-11-24T00:00:00Z")).toBe("2026-11-27T00:00:00Z");
    expect(next("cron(30 6 1 JAN,JUL ? *)", now)).toBe("2027-01-01T06:30:00Z");
  });

  it("handles L, W and # as the user guide describes them", () => {
    expect(next("cron(0 0 L * ? *)", "2028-02-01T00:00:00Z")).toBe("2028-02-29T00:00:00Z");
    // 2026-05-31 is a Sunday: the last weekday is Friday the 29th.
    expect(next("cron(0 0 LW * ? *)", "2026-05-01T00:00:00Z")).toBe("2026-05-29T00:00:00Z");
    // 2026-08-01 is a Saturday: the nearest weekday within the month is Monday the 3rd.
    expect(next("cron(0 0 1W * ? *)", "2026-07-31T00:00:00Z")).toBe("2026-08-03T00:00:00Z");
    // 2027-01-31 is a Sunday: Friday the 29th.
    expect(next("cron(0 0 31W * ? *)", "2027-01-01T00:00:00Z")).toBe("2027-01-29T00:00:00Z");
    expect(next("cron(0 0 ? * 6L *)", "2026-11-01T00:00:00Z")).toBe("2026-11-27T00:00:00Z");
    expect(next("cron(0 0 ? * 3#2 *)", "2026-11-01T00:00:00Z")).toBe("2026-11-10T00:00:00Z");
    // "L" alone in day-of-week: the last day of the week, Saturday.
    expect(next("cron(0 0 ? * L *)", "2026-11-23T00:00:00Z")).toBe("2026-11-28T00:00:00Z");
  });

  it("has no next time when the years are over or the day never comes", () => {
    expect(next("cron(0 0 1 1 ? 2027)", "2026-06-01T00:00:00Z")).toBe("2027-01-01T00:00:00Z");
    expect(next("cron(0 0 1 1 ? 2027)", "2027-01-01T00:00:00Z")).toBeUndefined();
    expect(next("cron(0 0 30 2 ? *)", "2027-01-01T00:00:00Z")).toBeUndefined();
  });
});
