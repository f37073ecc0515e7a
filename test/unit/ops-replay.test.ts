/** Replays for operators: the preview's reading of dry-run events, windows that neither overlap nor miss, a rate-limited and cancellable run. */
import { describe, expect, it } from "vitest";
import {
  noticesToReplay,
  type PreviewEvent,
  planChunks,
  previewEventOf,
  summarizePreview,
} from "../../shared/ops/replay-plan";
import { type ReplayApi, runReplays } from "../../shared/ops/replay-runner";

const T0 = Date.parse("2026-11-28T08:00:00Z");
const at = (seconds: number) => T0 + seconds * 1000;

describe("previewEventOf", () => {
  const event = (replayName: string) =>
    JSON.stringify({
      id: "e1",
      source: "complaint-hub",
      "detail-type": "Complaint Submitted",
      time: "2026-11-28T08:00:05Z",
      detail: { platform: "jd", urgent: true, noticeId: "CH1-r1" },
      "replay-name": replayName,
    });

  it("reads its own dry run's events and nobody else's", () => {
    expect(previewEventOf(event("ops-preview-a"), "ops-preview-a")).toEqual({
      id: "e1",
      time: at(5),
      detailType: "Complaint Submitted",
      platform: "jd",
      urgent: true,
      noticeId: "CH1-r1",
    });
    expect(previewEventOf(event("ops-preview-b"), "ops-preview-a")).toBeUndefined();
    expect(previewEventOf("not json", "ops-preview-a")).toBeUndefined();
  });
});

describe("summarizePreview", () => {
  const events: PreviewEvent[] = [
    { id: "1", time: at(1), detailType: "Complaint Submitted", platform: "jd", urgent: false },
    { id: "2", time: at(2), detailType: "Complaint Submitted", platform: "jd", urgent: true },
    { id: "2", time: at(2), detailType: "Complaint Submitted", platform: "jd", urgent: true },
    { id: "3", time: at(3), detailType: "Complaint Status Changed", platform: "jd" },
    { id: "4", time: at(4), detailType: "Complaint Rerouted", platform: "taobao", urgent: false },
  ];
  const window = { from: new Date(T0), to: new Date(at(60)) };

  it("counts each event once, per platform: the notices to send again and the rest", () => {
    expect(summarizePreview(events, window)).toEqual({
      from: "2026-11-28T08:00:00.000Z",
      to: "2026-11-28T08:01:00.000Z",
      archived: 4,
      toReplay: 3,
      platforms: [
        { platform: "jd", notices: 2, urgent: 1, otherEvents: 1 },
        { platform: "taobao", notices: 1, urgent: 0, otherEvents: 0 },
      ],
    });
    expect(summarizePreview(events, window, "taobao")).toMatchObject({
      toReplay: 1,
      platforms: [{ platform: "taobao" }],
    });
    expect(noticesToReplay(events, "jd").map((e) => e.id)).toEqual(["1", "2", "2"]);
  });
});

describe("planChunks", () => {
  const window = { from: new Date(T0), to: new Date(at(100)) };

  it("cuts the window into windows of at most `batch` events that meet without overlapping", () => {
    const times = [at(1), at(1), at(2), at(10), at(11), at(50)];
    const chunks = planChunks(times, window, 2);
    expect(chunks.map((c) => c.events)).toEqual([2, 2, 2]);
    expect(chunks[0]?.from).toEqual(window.from);
    expect(chunks.at(-1)?.to).toEqual(window.to);
    for (const [i, chunk] of chunks.entries()) {
      const next = chunks[i + 1];
      if (next) expect(next.from.getTime() - chunk.to.getTime()).toBe(1);
    }
    // Every event falls in exactly one window.
    for (const time of times) {
      expect(chunks.filter((c) => c.from.getTime() <= time && time <= c.to.getTime())).toHaveLength(1);
    }
  });

  it("never splits a second (EventBridge's precision), and plans nothing for an empty window", () => {
    expect(planChunks([at(5), at(5), at(5)], window, 2).map((c) => c.events)).toEqual([3]);
    expect(planChunks([], window, 10)).toEqual([]);
    expect(planChunks([at(500)], window, 10)).toEqual([]);
    expect(() => planChunks([at(1)], window, 0)).toThrow();
  });
});

/** EventBridge as the runner sees it: each replay runs for `runsFor` polls, unless cancelled. */
function fakeApi(runsFor = 2) {
  const calls: string[] = [];
  const polls = new Map<string, number>();
  const states = new Map<string, string>();
  const api: ReplayApi = {
    async start(name) {
      calls.push(`start ${name}`);
      states.set(name, "STARTING");
      polls.set(name, 0);
    },
    async describe(name) {
      const n = (polls.get(name) ?? 0) + 1;
      polls.set(name, n);
      let state = states.get(name) as string;
      if (state === "CANCELLING") state = "CANCELLED";
      else if (n > runsFor) state = "COMPLETED";
      else state = "RUNNING";
      states.set(name, state);
      return { state };
    },
    async cancel(name) {
      calls.push(`cancel ${name}`);
      states.set(name, "CANCELLING");
    },
  };
  return { api, calls };
}

const chunk = (events: number) => ({ from: new Date(T0), to: new Date(at(1)), events });

describe("runReplays", () => {
  it("runs the windows one after the other, paced to the rate", async () => {
    const { api, calls } = fakeApi();
    let clock = 0;
    const slept: number[] = [];
    const progress: number[] = [];
    const result = await runReplays(api, [chunk(10), chunk(10), chunk(5)], {
      namePrefix: "ops-replay-x",
      ratePerSecond: 5,
      pollMs: 10,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
      onProgress: (p) => progress.push(p.replayed),
    });
    expect(result).toMatchObject({ outcome: "completed", replayed: 25, total: 25 });
    expect(calls).toEqual(["start ops-replay-x-1", "start ops-replay-x-2", "start ops-replay-x-3"]);
    expect(progress).toEqual([10, 20, 25]);
    // 10 events at 5/s: the second window waits until 2 s after the start, the third until 4 s.
    expect(clock).toBeGreaterThanOrEqual(4000);
    expect(slept.filter((ms) => ms > 10)).toEqual([2000 - 20, 2000 - 20]);
  });

  it("on abort cancels the running replay (CancelReplay) and starts no other", async () => {
    const { api, calls } = fakeApi(1000);
    const controller = new AbortController();
    let polls = 0;
    const result = await runReplays(api, [chunk(3), chunk(3)], {
      namePrefix: "ops-replay-y",
      ratePerSecond: 1000,
      signal: controller.signal,
      sleep: async () => {
        if (++polls === 3) controller.abort();
      },
    });
    expect(result.outcome).toBe("cancelled");
    expect(result.replayed).toBe(0);
    expect(calls).toEqual(["start ops-replay-y-1", "cancel ops-replay-y-1"]);
    expect(result.replays).toEqual([{ name: "ops-replay-y-1", state: "CANCELLED", events: 3 }]);
  });

  it("stops at a failed replay", async () => {
    const api: ReplayApi = {
      start: async () => undefined,
      describe: async () => ({ state: "FAILED", reason: "archive gone" }),
      cancel: async () => undefined,
    };
    const result = await runReplays(api, [chunk(1), chunk(1)], { namePrefix: "z", ratePerSecond: 100 });
    expect(result).toMatchObject({
      outcome: "failed",
      replayed: 0,
      replays: [{ name: "z-1", reason: "archive gone" }],
    });
  });
});
