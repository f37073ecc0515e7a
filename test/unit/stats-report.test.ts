import { describe, expect, it } from "vitest";
import { PLATFORMS } from "../../infra/platforms";
import { ISSUE_NATURES } from "../../shared/complaint/submission";
import { type CellCounters, emptyCounts, emptyHistogram } from "../../shared/stats/counters";
import type { FactName } from "../../shared/stats/facts";
import { medianFromHistogram, onTimeResponseRate, settlementRate } from "../../shared/stats/figures";
import { matchesIfNoneMatch, statsEtag, statsResponse } from "../../shared/stats/http-cache";
import { buildStatsReport, type PublishedPlatform } from "../../shared/stats/report";
import { cachedFor } from "../../shared/stats/report-cache";
import { type StatsReport, statsReportSchema } from "../../shared/stats/report-schema";
import { suppressionFor } from "../../shared/stats/suppression";

const GENERATED = new Date("2026-03-02T02:00:00.000Z");

function cell(
  platform: string,
  category: string,
  counts: Partial<Record<FactName, number>>,
  hours: Record<number, number> = {},
): CellCounters {
  const histogram = emptyHistogram();
  for (const [h, n] of Object.entries(hours)) histogram[Number(h)] = n;
  return { platform, category, counts: { ...emptyCounts(), ...counts }, histogram };
}

const histogram = (hours: Record<number, number>) => cell("x", "y", {}, hours).histogram;

const platforms: PublishedPlatform[] = [
  { id: "jd", names: { zh: "京东", en: "JD.com" }, enabled: true },
  { id: "vip", names: { zh: "唯品会", en: "Vip.com" }, enabled: true },
  { id: "gone", names: { zh: "旧", en: "Gone" }, enabled: false },
];

const platformRow = (report: StatsReport, id: string) => report.platforms.find((p) => p.platform === id);
const categoryOf = (report: StatsReport, id: string, category: string) =>
  platformRow(report, id)?.categories.find((c) => c.category === category);

describe("the median first response from the hourly histogram", () => {
  it("is null without responses", () => {
    expect(medianFromHistogram(emptyHistogram())).toBeNull();
  });

  it("is the middle value of an odd count, the mean of the two middle values of an even one", () => {
    expect(medianFromHistogram(histogram({ 3: 1 }))).toBe(3);
    expect(medianFromHistogram(histogram({ 1: 1, 2: 1, 40: 1 }))).toBe(2);
    expect(medianFromHistogram(histogram({ 1: 1, 2: 1, 5: 1, 40: 1 }))).toBe(3.5);
    expect(medianFromHistogram(histogram({ 0: 2, 10: 2 }))).toBe(5);
    expect(medianFromHistogram(histogram({ 4: 10, 9: 1 }))).toBe(4);
  });

  it("reports the capped bucket as 720", () => {
    expect(medianFromHistogram(histogram({ 1: 1, 720: 2 }))).toBe(720);
  });
});

describe("rates", () => {
  it("on-time response rate = answeredOnTime / (answeredOnTime + answeredLate + overdue)", () => {
    const counts = { ...emptyCounts(), answeredOnTime: 6, answeredLate: 1, overdue: 3 };
    expect(onTimeResponseRate(counts)).toBe(0.6);
    // Neither received nor closed complaints move it.
    expect(onTimeResponseRate({ ...counts, received: 100, closed: 50 })).toBe(0.6);
  });

  it("settlement rate = settled / closed", () => {
    expect(settlementRate({ ...emptyCounts(), closed: 3, settled: 2 })).toBe(0.667);
  });

  it("are null when their denominator is 0", () => {
    expect(onTimeResponseRate({ ...emptyCounts(), received: 10 })).toBeNull();
    expect(settlementRate({ ...emptyCounts(), received: 10, settled: 0 })).toBeNull();
  });
});

describe("suppression", () => {
  const cells = (received: Record<string, number>) =>
    Object.entries(received).map(([category, n]) => ({ category, received: n }));

  it("hides cells under 5, shows 5 and more", () => {
    const result = suppressionFor(25, cells({ a: 4, b: 5, c: 8, d: 0, e: 8 }));
    expect(result.total).toBe(false);
    expect([...result.categories].sort()).toEqual(["a", "d"]);
  });

  it("hides a platform's total under 5, and then every category", () => {
    const result = suppressionFor(4, cells({ a: 4, b: 0 }));
    expect(result.total).toBe(true);
    expect([...result.categories].sort()).toEqual(["a", "b"]);
  });

  it("hides the next-smallest category too when exactly one is hidden and the total is shown", () => {
    const result = suppressionFor(30, cells({ a: 12, b: 3, c: 6, d: 9 }));
    expect([...result.categories].sort()).toEqual(["b", "c"]);
  });

  it("takes the first of equally small categories", () => {
    const result = suppressionFor(30, cells({ a: 7, b: 2, c: 7, d: 14 }));
    expect([...result.categories].sort()).toEqual(["a", "b"]);
  });

  it("needs no secondary suppression with two or more hidden categories, or none", () => {
    expect([...suppressionFor(30, cells({ a: 20, b: 3, c: 2, d: 5 })).categories].sort()).toEqual(["b", "c"]);
    expect([...suppressionFor(30, cells({ a: 20, b: 10 })).categories]).toEqual([]);
  });

  it("hides the total when no category is left to hide", () => {
    expect(suppressionFor(5, cells({ a: 3 }))).toEqual({ total: true, categories: new Set(["a"]) });
  });
});

describe("the report", () => {
  const big = Object.fromEntries(ISSUE_NATURES.map((nature, i) => [nature, 10 + i]));
  const jdCells = [
    cell(
      "jd",
      "quality",
      { received: 20, delivered: 19, answeredOnTime: 8, answeredLate: 1, overdue: 1, closed: 4, settled: 3 },
      { 2: 3, 30: 2 },
    ),
    cell("jd", "price", { received: 3, delivered: 3, closed: 1, settled: 1 }),
  ];
  // vip: every nature well above the threshold except one: that one and the next-smallest are hidden.
  const vipCells = ISSUE_NATURES.map((nature) =>
    cell("vip", nature, { received: nature === "price" ? 2 : (big[nature] as number) }),
  );
  const report = buildStatsReport(
    [
      ...jdCells,
      ...vipCells,
      cell("unknown-shop", "quality", { received: 50 }),
      cell("jd", "retired", { received: 1 }),
    ],
    platforms,
    GENERATED,
  );

  it("matches the published schema, with the threshold and the definitions", () => {
    expect(statsReportSchema.parse(report)).toEqual(report);
    expect(report.generatedAt).toBe(GENERATED.toISOString());
    expect(report.suppressionThreshold).toBe(5);
    for (const figure of [
      "received",
      "delivered",
      "onTimeResponseRate",
      "settlementRate",
      "medianFirstResponseHours",
      "suppressed",
    ]) {
      expect(report.definitions[figure], figure).toBeTruthy();
    }
    expect(report.definitions.onTimeResponseRate).toContain(
      "answeredOnTime / (answeredOnTime + answeredLate + overdue)",
    );
    expect(report.definitions.settlementRate).toContain("settled / closed");
  });

  it("lists the registry's enabled platforms with their names, and leaves ids outside the registry out", () => {
    expect(report.platforms.map((p) => p.platform)).toEqual(["jd", "vip"]);
    expect(platformRow(report, "jd")?.names).toEqual({ zh: "京东", en: "JD.com" });
    const withGone = buildStatsReport([cell("gone", "quality", { received: 7 })], platforms, GENERATED);
    expect(withGone.platforms.map((p) => p.platform)).toEqual(["jd", "vip", "gone"]);
  });

  it("lists every issue nature for every platform, so an empty cell looks like a small one", () => {
    for (const row of report.platforms)
      expect(row.categories.map((c) => c.category)).toEqual([...ISSUE_NATURES]);
    expect(categoryOf(report, "jd", "counterfeit")).toEqual({ category: "counterfeit", suppressed: true });
  });

  it("shows the figures of a cell of 5 or more", () => {
    expect(categoryOf(report, "jd", "quality")).toEqual({
      category: "quality",
      suppressed: false,
      received: 20,
      delivered: 19,
      onTimeResponseRate: 0.8,
      settlementRate: 0.75,
      medianFirstResponseHours: 2,
    });
  });

  it("shows a small cell as suppressed, without figures", () => {
    expect(categoryOf(report, "jd", "price")).toEqual({ category: "price", suppressed: true });
  });

  it("totals a platform over its cells (categories outside the list folded into 'other')", () => {
    expect(platformRow(report, "jd")?.total).toEqual({
      suppressed: false,
      received: 24,
      delivered: 22,
      onTimeResponseRate: 0.8,
      settlementRate: 0.8,
      medianFirstResponseHours: 2,
    });
    expect(categoryOf(report, "jd", "other")).toEqual({ category: "other", suppressed: true });
  });

  it("hides the next-smallest category of a platform with exactly one small one", () => {
    const hidden = platformRow(report, "vip")
      ?.categories.filter((c) => c.suppressed)
      .map((c) => c.category);
    // "quality" is the first nature, so the smallest of the big ones (10).
    expect(hidden).toEqual(["quality", "price"]);
    expect(platformRow(report, "vip")?.total.suppressed).toBe(false);
  });

  it("hides a platform's total under 5", () => {
    const small = buildStatsReport([cell("jd", "quality", { received: 4 })], platforms, GENERATED);
    expect(platformRow(small, "jd")?.total).toEqual({ suppressed: true });
    expect(platformRow(small, "jd")?.categories.every((c) => c.suppressed)).toBe(true);
  });

  it("gives null rates and median where nothing was answered, closed or responded yet", () => {
    const fresh = buildStatsReport(
      [cell("jd", "quality", { received: 5, delivered: 5 })],
      platforms,
      GENERATED,
    );
    expect(categoryOf(fresh, "jd", "quality")).toMatchObject({
      suppressed: false,
      onTimeResponseRate: null,
      settlementRate: null,
      medianFirstResponseHours: null,
    });
  });

  it("lists the real registry's enabled platforms with both names", () => {
    const real = buildStatsReport([], PLATFORMS, GENERATED);
    expect(real.platforms.map((p) => p.platform)).toEqual(
      PLATFORMS.filter((p) => p.enabled).map((p) => p.id),
    );
    expect(statsReportSchema.safeParse(real).success).toBe(true);
  });
});

describe("HTTP caching", () => {
  const report = buildStatsReport([cell("jd", "quality", { received: 9 })], platforms, GENERATED);
  const etag = statsEtag(report);

  it("answers 200 with the body, public caching for 5 minutes and the ETag", () => {
    const response = statsResponse(report, etag, undefined);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      "content-type": "application/json",
      "cache-control": "public, max-age=300",
      etag,
    });
    expect(JSON.parse(response.body)).toEqual(report);
  });

  it("answers 304 without a body when If-None-Match names the current ETag", () => {
    for (const header of [etag, etag.replace(/^W\//, ""), `"other", ${etag}`, "*"]) {
      const response = statsResponse(report, etag, header);
      expect(response.statusCode, header).toBe(304);
      expect(response.body).toBe("");
      expect(response.headers).toMatchObject({ etag, "cache-control": "public, max-age=300" });
    }
    expect(statsResponse(report, etag, 'W/"stale"').statusCode).toBe(200);
  });

  it("keeps the ETag when only generatedAt moved, and changes it when a figure did", () => {
    const later = buildStatsReport([cell("jd", "quality", { received: 9 })], platforms, new Date());
    expect(statsEtag(later)).toBe(etag);
    const changed = buildStatsReport([cell("jd", "quality", { received: 10 })], platforms, GENERATED);
    expect(statsEtag(changed)).not.toBe(etag);
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{43}"$/);
  });

  it("compares If-None-Match weakly", () => {
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
    expect(matchesIfNoneMatch("", etag)).toBe(false);
    expect(matchesIfNoneMatch(` ${etag} `, etag)).toBe(true);
  });
});

describe("the in-memory cache", () => {
  it("loads once per minute, shares a load in flight, and keeps no failure", async () => {
    let clock = 0;
    let loads = 0;
    let fail = false;
    const cached = cachedFor(
      60_000,
      async () => {
        loads++;
        if (fail) throw new Error("table unavailable");
        return loads;
      },
      () => clock,
    );
    expect(await Promise.all([cached(), cached()])).toEqual([1, 1]);
    clock = 59_999;
    expect(await cached()).toBe(1);
    clock = 60_000;
    fail = true;
    await expect(cached()).rejects.toThrow("table unavailable");
    fail = false;
    expect(await cached()).toBe(3);
    expect(loads).toBe(3);
  });
});
