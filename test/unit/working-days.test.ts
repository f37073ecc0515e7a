import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  addCalendarDays,
  addWorkingDays,
  CHINA_TIME_ZONE,
  calendarCoverage,
  isWorkingDay,
  workingDaysBetween,
} from "../../shared/calendar/working-days";

/** A Shanghai wall-clock time as a Date. */
const shanghai = (localDateTime: string) => new Date(`${localDateTime}+08:00`);
/** The end of a Shanghai calendar day, as addWorkingDays returns it. */
const endOfShanghaiDay = (localDate: string) => shanghai(`${localDate}T23:59:59.999`);

describe("isWorkingDay", () => {
  it("follows the State Council notices: worked weekends (调休) and weekday holidays", () => {
    expect(isWorkingDay("2026-02-14")).toBe(true); // Saturday, worked before Spring Festival
    expect(isWorkingDay("2026-02-28")).toBe(true); // Saturday, worked after it
    expect(isWorkingDay("2026-02-16")).toBe(false); // Monday, Spring Festival
    expect(isWorkingDay("2025-10-08")).toBe(false); // Wednesday, National Day + Mid-Autumn
    expect(isWorkingDay("2025-09-28")).toBe(true); // Sunday, worked
    expect(isWorkingDay("2026-02-21")).toBe(false); // an ordinary Saturday
    expect(isWorkingDay("2026-03-03")).toBe(true); // an ordinary Tuesday
  });

  it("files days by their own year: 2019's notice covers the end of 2018", () => {
    expect(isWorkingDay("2018-12-29")).toBe(true); // Saturday, worked
    expect(isWorkingDay("2018-12-31")).toBe(false); // Monday, New Year
  });

  it("rejects what is not a YYYY-MM-DD date", () => {
    for (const bad of ["2026-02-30", "2026/02/14", "2026-2-14", "", "2026-02-14T00:00"]) {
      expect(() => isWorkingDay(bad)).toThrow(RangeError);
    }
  });
});

describe("addWorkingDays", () => {
  it("counts from the day after delivery and ends at the end of the last day in Shanghai", () => {
    // Friday → Mon 30, Tue 1, Wed 2, Thu 3, Fri 4, Mon 7, Tue 8.
    expect(addWorkingDays(shanghai("2026-11-27T10:00"), 7)).toEqual(endOfShanghaiDay("2026-12-08"));
    expect(endOfShanghaiDay("2026-12-08").toISOString()).toBe("2026-12-08T15:59:59.999Z");
  });

  it("uses the Shanghai date when it is already the next day there", () => {
    const lateUtcThursday = new Date("2026-11-26T17:30:00Z"); // Friday 01:30 in Shanghai
    expect(addWorkingDays(lateUtcThursday, 7)).toEqual(endOfShanghaiDay("2026-12-08"));
  });

  it("crosses Spring Festival 2026 with its make-up Saturdays", () => {
    // Sat 14 (worked), 15–23 off, Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 (worked), Mon 2 March.
    expect(addWorkingDays(shanghai("2026-02-13T10:00"), 7)).toEqual(endOfShanghaiDay("2026-03-02"));
  });

  it("crosses National Day and Mid-Autumn 2025, with the supervised extension", () => {
    // Sun 28 Sep (worked), Mon 29, Tue 30, 1–8 Oct off, Thu 9, Fri 10, Sat 11 (worked), Mon 13.
    const delivered = shanghai("2025-09-26T15:00");
    const due = addWorkingDays(delivered, 7);
    expect(due).toEqual(endOfShanghaiDay("2025-10-13"));
    expect(addWorkingDays(due, 3)).toEqual(endOfShanghaiDay("2025-10-16"));
  });

  it("crosses New Year 2025→2026 (1–3 Jan off, Sunday 4 Jan worked)", () => {
    expect(addWorkingDays(shanghai("2025-12-31T09:00"), 2)).toEqual(endOfShanghaiDay("2026-01-05"));
  });

  it("crosses into 2027, which has no published data, on Monday–Friday", () => {
    expect(calendarCoverage(2027)).toBe("weekday-fallback");
    // Thu 24, Fri 25, Mon 28, Tue 29, Wed 30, Thu 31, Fri 1 Jan 2027 (a weekday: no notice yet).
    expect(addWorkingDays(shanghai("2026-12-23T10:00"), 7)).toEqual(endOfShanghaiDay("2027-01-01"));
  });

  it("rejects a count that is not a positive integer, and an invalid date", () => {
    const from = shanghai("2026-11-27T10:00");
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => addWorkingDays(from, bad)).toThrow(RangeError);
    }
    expect(() => addWorkingDays(new Date("not a date"), 7)).toThrow(RangeError);
  });
});

describe("workingDaysBetween", () => {
  it("counts the working days after from's date up to and including to's", () => {
    expect(workingDaysBetween(shanghai("2026-02-13T10:00"), shanghai("2026-03-02T08:00"))).toBe(7);
    expect(workingDaysBetween(shanghai("2026-02-13T10:00"), shanghai("2026-02-13T23:00"))).toBe(0);
    expect(workingDaysBetween(shanghai("2026-03-02T10:00"), shanghai("2026-02-13T10:00"))).toBe(0);
  });

  it("inverts addWorkingDays for any start in 2016–2027 and 1–60 days", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("2016-01-01T00:00:00Z"),
          max: new Date("2027-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 60 }),
        (from, n) => workingDaysBetween(from, addWorkingDays(from, n)) === n,
      ),
      { numRuns: 500 },
    );
  });
});

describe("addCalendarDays", () => {
  it("ends at the end of the Nth calendar day in Shanghai, holidays included", () => {
    expect(addCalendarDays(shanghai("2026-02-13T10:00"), 7)).toEqual(endOfShanghaiDay("2026-02-20"));
    expect(addCalendarDays(new Date("2026-11-26T17:30:00Z"), 7)).toEqual(endOfShanghaiDay("2026-12-04"));
    expect(() => addCalendarDays(shanghai("2026-02-13T10:00"), 0)).toThrow(RangeError);
  });
});

describe("coverage and fallback reporting", () => {
  it("knows which years are published", () => {
    expect(CHINA_TIME_ZONE).toBe("Asia/Shanghai");
    expect(calendarCoverage(2016)).toBe("published");
    expect(calendarCoverage(2026)).toBe("published");
    expect(calendarCoverage(2015)).toBe("weekday-fallback");
    expect(calendarCoverage(2027)).toBe("weekday-fallback");
  });

  it("reports a fallback year once per process, and never a published one", async () => {
    // A fresh module instance: other tests here have already used 2027.
    vi.resetModules();
    const calendar = await import("../../shared/calendar/working-days");
    const listener = vi.fn();
    calendar.onFallbackYear(listener);

    calendar.addWorkingDays(shanghai("2026-03-02T10:00"), 45);
    expect(listener).not.toHaveBeenCalled();

    calendar.addWorkingDays(shanghai("2026-12-23T10:00"), 7);
    calendar.addWorkingDays(shanghai("2027-03-01T10:00"), 45);
    calendar.isWorkingDay("2027-10-01");
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith(2027);
  });
});
