import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { workingDaysBetween } from "../../shared/calendar/working-days";
import type { Deadlines } from "../../shared/complaint/record";
import {
  extendDeadlines,
  pausedWorkingDays,
  pauseForAppraisal,
  pauseForConsumer,
  resumeClock,
} from "../../shared/lifecycle/clock";

/** A Shanghai wall-clock time as a Date. */
const shanghai = (localDateTime: string) => new Date(`${localDateTime}+08:00`);
const endOfShanghaiDay = (localDate: string) => shanghai(`${localDate}T23:59:59.999`).toISOString();

const deadlines = (dueLocalDate: string, basis: Deadlines["basis"] = "from_delivery"): Deadlines => ({
  platformResponseDueBy: endOfShanghaiDay(dueLocalDate),
  responseWorkingDays: 7,
  basis,
});

describe("pausing", () => {
  it("marks the complaint as waiting for the consumer since now", () => {
    const now = shanghai("2026-03-04T09:30");
    expect(pauseForConsumer(now)).toEqual({
      set: { awaitingConsumerInfo: true, clockPausedAt: now.toISOString() },
      remove: [],
    });
  });

  it("marks mediation as waiting for testing or appraisal since now", () => {
    const now = shanghai("2026-03-04T09:30");
    expect(pauseForAppraisal(now)).toEqual({
      set: { appraisalPending: true, clockPausedAt: now.toISOString() },
      remove: [],
    });
  });
});

describe("pausedWorkingDays", () => {
  it("costs nothing when paused and resumed on the same day in Shanghai", () => {
    expect(pausedWorkingDays(shanghai("2026-03-04T09:00"), shanghai("2026-03-04T18:00"))).toBe(0);
    // 23:30 UTC on the 3rd is already the 4th in Shanghai.
    expect(pausedWorkingDays(new Date("2026-03-03T23:30:00Z"), shanghai("2026-03-04T20:00"))).toBe(0);
  });

  it("counts the working days after the pause's date up to and including the resumption's", () => {
    expect(pausedWorkingDays(shanghai("2026-03-03T10:00"), shanghai("2026-03-04T09:00"))).toBe(1);
    expect(pausedWorkingDays(shanghai("2026-03-02T10:00"), shanghai("2026-03-06T09:00"))).toBe(4);
    // Friday to Monday: the weekend is not the platform's time.
    expect(pausedWorkingDays(shanghai("2026-03-06T16:00"), shanghai("2026-03-09T09:00"))).toBe(1);
  });

  it("follows the Chinese calendar: Spring Festival 2026 off, its make-up Saturday on", () => {
    // Sat 14 Feb (worked), 15–23 off, Tue 24.
    expect(pausedWorkingDays(shanghai("2026-02-13T10:00"), shanghai("2026-02-24T10:00"))).toBe(2);
  });

  it("is 0 for a resumption before the pause or an unreadable time", () => {
    expect(pausedWorkingDays(shanghai("2026-03-06T10:00"), shanghai("2026-03-02T10:00"))).toBe(0);
    expect(pausedWorkingDays(new Date("not a date"), shanghai("2026-03-02T10:00"))).toBe(0);
  });
});

describe("extendDeadlines", () => {
  it("pushes the platform's due date out by working days and keeps count", () => {
    const once = extendDeadlines(deadlines("2026-03-10"), 2);
    expect(once).toEqual({
      ...deadlines("2026-03-10"),
      platformResponseDueBy: endOfShanghaiDay("2026-03-12"),
      pausedWorkingDays: 2,
    });
    const twice = extendDeadlines(once, 3);
    expect(twice.platformResponseDueBy).toBe(endOfShanghaiDay("2026-03-17"));
    expect(twice.pausedWorkingDays).toBe(5);
  });

  it("skips holidays and counts make-up days when pushing out", () => {
    // Due Friday 13 Feb 2026: Saturday 14 is worked, then nothing until Tuesday 24.
    expect(extendDeadlines(deadlines("2026-02-13"), 2).platformResponseDueBy).toBe(
      endOfShanghaiDay("2026-02-24"),
    );
  });

  it("leaves the deadlines alone for no days", () => {
    const original = deadlines("2026-03-10");
    expect(extendDeadlines(original, 0)).toBe(original);
  });

  it("moves the due date by exactly the days waited, counted on the same calendar", () => {
    const day = 24 * 3600_000;
    const start = Date.parse("2025-01-01T00:00:00+08:00");
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * 365 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: day - 1 }),
        (dueOffset, waitDays, timeOfDay) => {
          const due = new Date(start + dueOffset * day + timeOfDay);
          const original: Deadlines = {
            platformResponseDueBy: due.toISOString(),
            responseWorkingDays: 7,
            basis: "from_delivery",
          };
          const pausedAt = new Date(due.getTime() - 5 * day);
          const resumedAt = new Date(pausedAt.getTime() + waitDays * day);
          const waited = pausedWorkingDays(pausedAt, resumedAt);
          const extended = extendDeadlines(original, waited);
          expect(workingDaysBetween(due, new Date(extended.platformResponseDueBy))).toBe(waited);
          expect(Date.parse(extended.platformResponseDueBy)).toBeGreaterThanOrEqual(due.getTime());
          expect(extended.pausedWorkingDays ?? 0).toBe(waited);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("resumeClock", () => {
  it("stops waiting and pushes the running deadline out by the working days waited", () => {
    const resumed = resumeClock(
      {
        status: "IN_PROGRESS",
        deadlines: deadlines("2026-03-10"),
        clockPausedAt: shanghai("2026-03-03T10:00").toISOString(),
      },
      shanghai("2026-03-05T11:00"),
    );
    const due = endOfShanghaiDay("2026-03-12");
    expect(resumed.addedWorkingDays).toBe(2);
    expect(resumed.deadlines).toEqual({
      ...deadlines("2026-03-10"),
      platformResponseDueBy: due,
      pausedWorkingDays: 2,
    });
    expect(resumed.set).toEqual({ deadlines: resumed.deadlines });
    expect(resumed.remove).toEqual(["awaitingConsumerInfo", "clockPausedAt"]);
  });

  it("extends the supervision deadline of a supervised complaint, not the missed response deadline", () => {
    const supervised: Deadlines = {
      ...deadlines("2026-03-02"),
      supervisionDueBy: endOfShanghaiDay("2026-03-10"),
    };
    const resumed = resumeClock(
      {
        status: "SUPERVISED",
        deadlines: supervised,
        clockPausedAt: shanghai("2026-03-03T10:00").toISOString(),
      },
      shanghai("2026-03-05T11:00"),
    );
    expect(resumed.deadlines.supervisionDueBy).toBe(endOfShanghaiDay("2026-03-12"));
    expect(resumed.deadlines.platformResponseDueBy).toBe(supervised.platformResponseDueBy);
  });

  it("extends the mediation limit by the appraisal's working days and counts them apart", () => {
    const mediating: Deadlines = {
      ...deadlines("2026-03-02"),
      mediationDueBy: endOfShanghaiDay("2026-05-08"),
    };
    const resumed = resumeClock(
      {
        status: "ASSOCIATION_MEDIATION",
        deadlines: mediating,
        appraisalPending: true,
        clockPausedAt: shanghai("2026-03-02T10:00").toISOString(),
      },
      shanghai("2026-03-06T11:00"),
    );
    expect(resumed.addedWorkingDays).toBe(4);
    // Saturday 9 May 2026 is a make-up working day (Labour Day): 9, 11, 12, 13.
    expect(resumed.deadlines.mediationDueBy).toBe(endOfShanghaiDay("2026-05-13"));
    expect(resumed.deadlines.appraisalWorkingDays).toBe(4);
    expect(resumed.deadlines).not.toHaveProperty("pausedWorkingDays");
    expect(resumed.remove).toEqual(["appraisalPending", "clockPausedAt"]);
  });

  it("changes no date for an answer on the day of the request, but still stops waiting", () => {
    const resumed = resumeClock(
      {
        status: "IN_PROGRESS",
        deadlines: deadlines("2026-03-10"),
        clockPausedAt: shanghai("2026-03-03T10:00").toISOString(),
      },
      shanghai("2026-03-03T18:00"),
    );
    expect(resumed.addedWorkingDays).toBe(0);
    expect(resumed.set).not.toHaveProperty("deadlines");
    expect(resumed.remove).toEqual(["awaitingConsumerInfo", "clockPausedAt"]);
  });

  it("adds nothing when nobody recorded when the clock was paused", () => {
    const resumed = resumeClock(
      { status: "IN_PROGRESS", deadlines: deadlines("2026-03-10") },
      shanghai("2026-03-20T10:00"),
    );
    expect(resumed.addedWorkingDays).toBe(0);
    expect(resumed.deadlines).toEqual(deadlines("2026-03-10"));
  });

  it("moves no date in a status whose deadline is not the platform's (a resolution awaiting the consumer)", () => {
    const resumed = resumeClock(
      {
        status: "AWAITING_CONSUMER_CONFIRMATION",
        deadlines: { ...deadlines("2026-03-10"), consumerConfirmationDueBy: endOfShanghaiDay("2026-03-12") },
        clockPausedAt: shanghai("2026-03-03T10:00").toISOString(),
      },
      shanghai("2026-03-05T11:00"),
    );
    expect(resumed.addedWorkingDays).toBe(0);
    expect(resumed.set).toEqual({});
  });
});
