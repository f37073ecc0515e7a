/**
 * The public statistics end to end: counters kept by the stream consumer in the local cloud as complaints are
 * delivered, answered and closed, published by GET /v1/stats with small cells suppressed and HTTP caching.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StatsReport, statsReportSchema } from "../../shared/stats/report-schema";
import { asConsumer, platformReport } from "./actors";
import {
  eventually,
  exampleComplaint,
  type Filed,
  fileComplaint,
  readComplaint,
  startTestCloud,
  type TestCloud,
} from "./harness";

let hub: TestCloud;

beforeAll(async () => {
  hub = await startTestCloud();
});
afterAll(async () => {
  await hub?.stop();
});

async function stats(headers: Record<string, string> = {}) {
  const response = await fetch(`${hub.cloud.apiUrl}/v1/stats`, { headers });
  return {
    response,
    body: response.status === 200 ? statsReportSchema.parse(await response.json()) : undefined,
  };
}

/**
 * The figures once `check` passes (it may throw until then): the stream consumer counts asynchronously, and the
 * function's short cache is passed by moving the clock.
 */
async function statsWhen(check: (report: StatsReport) => boolean): Promise<StatsReport> {
  return eventually(async () => {
    hub.cloud.clock.advance(61_000);
    const { body } = await stats();
    return body && check(body) ? body : undefined;
  });
}

const platformRow = (report: StatsReport, platform: string) =>
  report.platforms.find((p) => p.platform === platform);

async function delivered(filed: Filed) {
  await eventually(async () =>
    (await readComplaint(hub.cloud, filed)).status === "DELIVERED" ? true : undefined,
  );
}

describe("GET /v1/stats", () => {
  it("is public and cacheable, and shows nothing about a platform with fewer than 5 complaints", async () => {
    const { response, body } = await stats();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const etag = response.headers.get("etag") as string;
    expect(etag).toBeTruthy();
    expect(body?.suppressionThreshold).toBe(5);
    expect(platformRow(body as StatsReport, "vip")?.total).toEqual({ suppressed: true });

    const again = await fetch(`${hub.cloud.apiUrl}/v1/stats`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("counts what happens to complaints as it happens, once each", async () => {
    const category = (exampleComplaint().category as { nature: string }).nature;
    const filed = await Promise.all(
      Array.from({ length: 5 }, () => fileComplaint(hub.cloud, { platform: "vip" })),
    );
    await Promise.all(filed.map(delivered));
    // Three answered at once (on time); two of those accepted by the consumer (settled); two left unanswered.
    for (const complaint of filed.slice(0, 3)) {
      const answer = await platformReport(hub.cloud, "vip", complaint.complaintId, "RESOLVED", {
        relief: { type: "return_refund", amountFen: 15_900 },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    for (const complaint of filed.slice(0, 2)) {
      expect((await asConsumer(hub.cloud, complaint, "feedback", { decision: "accept" })).status).toBe(200);
    }

    // Each fact is counted on its own as the stream consumer gets to it: wait for all of them.
    const report = await statsWhen((r) => {
      const vip = platformRow(r, "vip");
      expect(vip?.total).toEqual({
        suppressed: false,
        received: 5,
        delivered: 5,
        onTimeResponseRate: 1,
        settlementRate: 1,
        medianFirstResponseHours: 0,
      });
      expect(vip?.categories.find((c) => c.category === category)).toMatchObject({
        suppressed: false,
        received: 5,
      });
      return true;
    });
    // Other platforms have too few complaints to show.
    expect(platformRow(report, "gome")?.total).toEqual({ suppressed: true });
  });
});
