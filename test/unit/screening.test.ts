import { describe, expect, it } from "vitest";
import { screenSubmission } from "../../shared/complaint/screening";

describe("automated screening (SAMR Art 15)", () => {
  it("accepts an incident up to three years back, to the day", () => {
    expect(screenSubmission({ incidentDate: "2023-03-02" }, "2026-03-02")).toEqual({
      to: "ACCEPTED",
      reason: "screening_passed",
    });
  });

  it("refuses an incident more than three years back as time-barred (Art 15(4))", () => {
    expect(screenSubmission({ incidentDate: "2023-03-01" }, "2026-03-02")).toMatchObject({
      to: "NOT_ACCEPTED",
      reason: "art15_time_barred",
      note: expect.stringContaining("Art 15(4)"),
    });
  });

  it("counts from 28 February when today is 29 February", () => {
    expect(screenSubmission({ incidentDate: "2025-02-28" }, "2028-02-29").to).toBe("ACCEPTED");
    expect(screenSubmission({ incidentDate: "2025-02-27" }, "2028-02-29").to).toBe("NOT_ACCEPTED");
  });
});
