/**
 * Sandbox platforms, driven the way the hub drives them: signed with shared/delivery/signing.ts (the
 * `standardwebhooks` package) and POSTed with fetch; verified by the sandbox's own implementation.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findPlatform, isPull, isPush, PLATFORMS, type PushPlatform } from "../../infra/platforms";
import {
  createSandboxPlatforms,
  type SandboxPlatforms,
  type SandboxRecord,
} from "../../local/sandbox/sandbox-platforms";
import { classifyAnswer } from "../../shared/delivery/classify";
import { postNotice } from "../../shared/delivery/post-notice";
import { signWebhook, type WebhookSecrets } from "../../shared/delivery/signing";
import { judgeAnswer } from "../../shared/delivery/success-rule";

const newKey = () => randomBytes(32).toString("base64");

let stateDir: string;
let secrets: Map<string, WebhookSecrets>;
let sandbox: SandboxPlatforms;
let secretReads: string[];

async function startSandbox(options: { timeoutHoldMs?: number } = {}): Promise<SandboxPlatforms> {
  return createSandboxPlatforms({
    platforms: PLATFORMS,
    stage: "test",
    getSecret: async (platformId) => {
      secretReads.push(platformId);
      const value = secrets.get(platformId);
      if (!value) throw new Error(`no secret for ${platformId}`);
      return JSON.stringify(value);
    },
    stateDir,
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "sandbox-"));
  secrets = new Map(PLATFORMS.filter(isPush).map((p) => [p.id, { current: newKey() }]));
  secretReads = [];
  sandbox = await startSandbox();
});

afterEach(async () => {
  await sandbox.close();
  await rm(stateDir, { recursive: true, force: true });
});

const push = (id: string) => findPlatform(id) as PushPlatform;

function notice(platform: string, noticeId = `N-${randomUUID()}`) {
  return {
    schemaVersion: "1",
    noticeId,
    complaintId: `C-${randomUUID()}`,
    platform,
    title: "热水壶使用一周后漏水",
    consumer: { name: "张三", phone: "13800138000", regionCode: "110105" },
  };
}

interface SendOptions {
  secrets?: WebhookSecrets;
  id?: string;
  at?: Date;
  body?: Record<string, unknown>;
  /** Replaces the payload after signing. */
  tamper?: (payload: string) => string;
}

/** Signs and POSTs a notice exactly as the hub's delivery function does. */
async function send(platform: string, options: SendOptions = {}) {
  const body = options.body ?? notice(platform, options.id);
  const id = options.id ?? (body.noticeId as string);
  const payload = JSON.stringify(body);
  const headers = {
    "content-type": "application/json",
    "user-agent": "ComplaintHub/1 (+delivery)",
    ...signWebhook(
      options.secrets ?? (secrets.get(platform) as WebhookSecrets),
      id,
      options.at ?? new Date(),
      payload,
    ),
  };
  const started = performance.now();
  const response = await fetch(`${sandbox.url}/${platform}/after-sale`, {
    method: "POST",
    headers,
    body: options.tamper ? options.tamper(payload) : payload,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? JSON.parse(text) : undefined,
    elapsedMs: performance.now() - started,
    noticeId: id,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: control API answers, navigated freely in assertions
type Json = any;

const control = async (path: string, init?: RequestInit): Promise<{ status: number; json: Json }> => {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, init);
  return { status: response.status, json: await response.json() };
};

const putMode = (id: string, settings: Record<string, unknown>) =>
  control(`/${id}/mode`, {
    method: "PUT",
    body: JSON.stringify(settings),
    headers: { "content-type": "application/json" },
  });

const last = (id: string) => sandbox.received(id).at(-1) as SandboxRecord;

describe("a verified request", () => {
  it("gets a success answer in each success-rule style that the hub's rule accepts", async () => {
    const standard = await send("suning");
    expect(standard.status).toBe(200);
    expect(standard.json).toEqual({ caseId: "CASE-suning-1" });

    const envelope = await send("taobao");
    expect(envelope.status).toBe(200);
    expect(envelope.json).toEqual({ success: true, data: { caseId: "CASE-taobao-1" } });

    const code = await send("vip");
    expect(code.status).toBe(200);
    expect(code.json).toEqual({ code: 0, result: { ticketNo: "CASE-vip-1" } });

    for (const [id, answer] of [
      ["suning", standard],
      ["taobao", envelope],
      ["vip", code],
    ] as const) {
      expect(judgeAnswer(push(id).delivery.successRule, answer.status, answer.text)).toEqual({
        ok: true,
        caseRef: `CASE-${id}-1`,
      });
    }
    const record = last("taobao");
    expect(record).toMatchObject({
      platform: "taobao",
      verified: true,
      mode: "ok",
      status: 200,
      caseRef: "CASE-taobao-1",
      duplicate: false,
      webhookId: envelope.noticeId,
    });
    expect(record.body.title).toBe("热水壶使用一周后漏水");
    expect(record.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(secretReads).toContain("taobao");
  });

  it("is served for every push platform of the registry, and pull platforms have no endpoint", async () => {
    for (const platform of PLATFORMS.filter(isPush)) {
      const answer = await send(platform.id);
      expect(judgeAnswer(platform.delivery.successRule, answer.status, answer.text).ok, platform.id).toBe(
        true,
      );
    }
    for (const platform of PLATFORMS.filter(isPull)) {
      const response = await fetch(`${sandbox.url}/${platform.id}/after-sale`, {
        method: "POST",
        body: "{}",
      });
      expect(response.status, platform.id).toBe(404);
    }
    expect(sandbox.status().map((s) => s.id)).toEqual(PLATFORMS.filter(isPush).map((p) => p.id));
  });

  it("accepts a whsec_-prefixed key", async () => {
    const key = newKey();
    secrets.set("gome", { current: `whsec_${key}` });
    expect((await send("gome")).status).toBe(200);
    // The hub adds the prefix either way; the sandbox decodes both spellings.
    secrets.set("gome", { current: key });
    expect((await send("gome", { secrets: { current: `whsec_${key}` } })).status).toBe(200);
  });
});

describe("a request that fails verification", () => {
  it("is answered 401 for a tampered body, a wrong key, an old or future timestamp, or missing headers", async () => {
    const tampered = await send("suning", { tamper: (p) => p.replace("漏水", "漏电") });
    const wrongKey = await send("suning", { secrets: { current: newKey() } });
    const old = await send("suning", { at: new Date(Date.now() - 6 * 60 * 1000) });
    const future = await send("suning", { at: new Date(Date.now() + 6 * 60 * 1000) });
    const unsigned = await fetch(`${sandbox.url}/suning/after-sale`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(notice("suning")),
    });
    expect([tampered.status, wrongKey.status, old.status, future.status, unsigned.status]).toEqual([
      401, 401, 401, 401, 401,
    ]);
    const records = sandbox.received("suning");
    expect(records.map((r) => r.verified)).toEqual([false, false, false, false, false]);
    expect(records.map((r) => r.verifyError)).toEqual([
      "no matching v1 signature",
      "no matching v1 signature",
      "timestamp too old",
      "timestamp too new",
      "missing webhook-id, webhook-timestamp or webhook-signature",
    ]);
    expect(sandbox.cases("suning")).toEqual([]);
    // The hub treats 401 as a permanent refusal.
    expect(
      classifyAnswer(push("suning").delivery.successRule, { status: 401, latencyMs: 1 }, new Date()).kind,
    ).toBe("permanent");
  });

  it("accepts a timestamp within the 5-minute tolerance", async () => {
    expect((await send("suning", { at: new Date(Date.now() - 4 * 60 * 1000) })).status).toBe(200);
    expect((await send("suning", { at: new Date(Date.now() + 4 * 60 * 1000) })).status).toBe(200);
  });

  it("is a 500 when the platform cannot read its key, which the hub retries", async () => {
    secrets.delete("kaola");
    const answer = await send("kaola", { secrets: { current: newKey() } });
    expect(answer.status).toBe(500);
    expect(last("kaola")).toMatchObject({ verified: false, status: 500 });
    expect(last("kaola").verifyError).toMatch(/webhook key unavailable/);
  });
});

describe("rotation", () => {
  it("verifies a request signed with both the current and the previous key", async () => {
    const previous = secrets.get("didi")?.current as string;
    const rotated = { current: newKey(), previous };
    secrets.set("didi", rotated);
    const both = await send("didi", { secrets: rotated });
    expect(both.status).toBe(200);
    expect(both.text).toContain("CASE-didi-1");
    expect((await send("didi", { secrets: { current: rotated.current } })).status).toBe(200);
    // The sandbox holds the platform's current key: a request signed with the previous key alone is refused.
    expect((await send("didi", { secrets: { current: previous } })).status).toBe(401);
  });
});

describe("deduplication by webhook-id", () => {
  it("answers a repeat with the same case reference and counts one case", async () => {
    const body = notice("amazon-cn");
    const first = await send("amazon-cn", { body });
    const again = await send("amazon-cn", { body });
    const other = await send("amazon-cn");
    expect(first.json.caseId).toBe("CASE-amazon-cn-1");
    expect(again.json.caseId).toBe("CASE-amazon-cn-1");
    expect(other.json.caseId).toBe("CASE-amazon-cn-2");
    expect(sandbox.cases("amazon-cn")).toEqual(["CASE-amazon-cn-1", "CASE-amazon-cn-2"]);
    expect(sandbox.received("amazon-cn").map((r) => r.duplicate)).toEqual([false, true, false]);
    const status = sandbox.status().find((s) => s.id === "amazon-cn");
    expect(status).toMatchObject({ requests: 3, verified: 3, duplicates: 1, cases: 2 });
  });
});

describe("modes", () => {
  it("fail answers 503 for `times` requests, then the platform is back to ok", async () => {
    sandbox.setMode("gome", { mode: "fail", times: 2 });
    const answers = [await send("gome"), await send("gome"), await send("gome")];
    expect(answers.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(sandbox.status().find((s) => s.id === "gome")?.mode).toMatchObject({
      mode: "ok",
      remaining: null,
    });
    expect(
      classifyAnswer(push("gome").delivery.successRule, { status: 503, latencyMs: 1 }, new Date()).kind,
    ).toBe("retry");
  });

  it("a failed attempt opens no case, and the retry with the same webhook-id opens exactly one", async () => {
    const body = notice("qunar");
    sandbox.setMode("qunar", { mode: "fail", times: 1 });
    expect((await send("qunar", { body })).status).toBe(503);
    expect((await send("qunar", { body })).json).toEqual({ caseId: "CASE-qunar-1" });
    expect((await send("qunar", { body })).json).toEqual({ caseId: "CASE-qunar-1" });
    expect(sandbox.cases("qunar")).toEqual(["CASE-qunar-1"]);
  });

  it("rate-limit answers 429 with Retry-After, which the hub honours", async () => {
    sandbox.setMode("yhd", { mode: "rate-limit", retryAfterSeconds: 7, times: 1 });
    const limited = await send("yhd");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(
      classifyAnswer(
        push("yhd").delivery.successRule,
        { status: 429, headers: limited.headers, latencyMs: 1 },
        new Date(),
      ),
    ).toEqual({ kind: "retry", reason: "status 429", retryAfterSeconds: 7 });
    expect((await send("yhd")).status).toBe(200);
  });

  it("gone answers 410, reject-signature 401 to an authentic request", async () => {
    sandbox.setMode("funshion", "gone");
    expect((await send("funshion")).status).toBe(410);
    expect((await send("funshion")).status).toBe(410);
    sandbox.setMode("funshion", { mode: "reject-signature", times: 1 });
    expect((await send("funshion")).status).toBe(401);
    expect(last("funshion")).toMatchObject({ verified: true, mode: "reject-signature", status: 401 });
    expect((await send("funshion")).status).toBe(200);
  });

  it("error-body answers 200 with the rule's field set to an error value and no case reference", async () => {
    for (const id of ["taobao", "vip", "suning"]) sandbox.setMode(id, { mode: "error-body", times: 1 });
    const envelope = await send("taobao");
    const code = await send("vip");
    const standard = await send("suning");
    expect(envelope.json).toMatchObject({ success: false });
    expect(envelope.json.data).toBeUndefined();
    expect(code.json).toMatchObject({ code: 500 });
    expect(code.json.result).toBeUndefined();
    expect(standard.json.caseId).toBeUndefined();
    for (const [id, answer] of [
      ["taobao", envelope],
      ["vip", code],
      ["suning", standard],
    ] as const) {
      expect(answer.status).toBe(200);
      const judged = judgeAnswer(push(id).delivery.successRule, answer.status, answer.text);
      expect(judged.ok, id).toBe(false);
      expect(sandbox.cases(id)).toEqual([]);
    }
    expect((await send("taobao")).json.success).toBe(true);
  });

  it("slow answers ok after delayMs", async () => {
    sandbox.setMode("jumei", { mode: "slow", delayMs: 300, times: 1 });
    const slow = await send("jumei");
    expect(slow.status).toBe(200);
    expect(slow.json).toEqual({ code: 0, result: { ticketNo: "CASE-jumei-1" } });
    expect(slow.elapsedMs).toBeGreaterThanOrEqual(280);
    expect(last("jumei")).toMatchObject({ mode: "slow", delayMs: 300, caseRef: "CASE-jumei-1" });
    const quick = await send("jumei");
    expect(quick.elapsedMs).toBeLessThan(280);
  });

  it("timeout never answers: the hub's client gives up", async () => {
    sandbox.setMode("youku-tudou", { mode: "timeout", times: 1 });
    const body = notice("youku-tudou");
    const payload = JSON.stringify(body);
    const headers = signWebhook(
      secrets.get("youku-tudou") as WebhookSecrets,
      body.noticeId,
      new Date(),
      payload,
    );
    const answer = await postNotice(`${sandbox.url}/youku-tudou/after-sale`, headers, payload, 300);
    expect(answer.transportError).toBe("timeout");
    expect(answer.latencyMs).toBeGreaterThanOrEqual(250);
    expect(last("youku-tudou")).toMatchObject({ mode: "timeout", status: 0, verified: true });
    expect(last("youku-tudou").caseRef).toBeUndefined();
    expect((await send("youku-tudou", { body })).json.caseId).toBe("CASE-youku-tudou-1");
  });

  it("timeout drops the connection after the hold time", async () => {
    await sandbox.close();
    sandbox = await startSandbox({ timeoutHoldMs: 200 });
    sandbox.setMode("eleme", "timeout");
    const started = performance.now();
    await expect(send("eleme")).rejects.toThrow();
    expect(performance.now() - started).toBeGreaterThanOrEqual(180);
  });

  it("disconnect closes the connection without an answer: a network failure the hub retries", async () => {
    sandbox.setMode("kaola", { mode: "disconnect", times: 1 });
    const body = notice("kaola");
    const payload = JSON.stringify(body);
    const headers = signWebhook(secrets.get("kaola") as WebhookSecrets, body.noticeId, new Date(), payload);
    const answer = await postNotice(`${sandbox.url}/kaola/after-sale`, headers, payload, 5_000);
    expect(answer.transportError).toBe("network");
    expect(classifyAnswer(push("kaola").delivery.successRule, answer, new Date())).toEqual({
      kind: "retry",
      reason: "connection failed",
    });
    expect(last("kaola")).toMatchObject({ mode: "disconnect", status: 0, verified: true });
    expect((await send("kaola", { body })).json.caseId).toBe("CASE-kaola-1");
  });

  it("pause refuses connections on the same port until resume", async () => {
    const body = notice("didi");
    const payload = JSON.stringify(body);
    const headers = signWebhook(secrets.get("didi") as WebhookSecrets, body.noticeId, new Date(), payload);
    await sandbox.pause();
    const refused = await postNotice(`${sandbox.url}/didi/after-sale`, headers, payload, 2_000);
    expect(refused.transportError).toBe("network");
    await sandbox.resume();
    expect((await send("didi", { body })).json.caseId).toBe("CASE-didi-1");
  });

  it("refuses unknown modes, bad settings and unknown platforms", () => {
    expect(() => sandbox.setMode("suning", { mode: "explode" as "ok" })).toThrow(/mode must be one of/);
    expect(() => sandbox.setMode("suning", { mode: "slow", delayMs: -1 })).toThrow(/delayMs/);
    expect(() => sandbox.setMode("suning", { mode: "fail", times: 0 })).toThrow(/times/);
    expect(() => sandbox.setMode("jd", "fail")).toThrow(/No sandbox platform/);
    expect(() => sandbox.received("nope")).toThrow(/No sandbox platform/);
  });
});

describe("the control API", () => {
  it("switches modes, shows status, records and cases, and resets", async () => {
    const put = await putMode("meituan", { mode: "fail", times: 1 });
    expect(put).toEqual({
      status: 200,
      json: { mode: "fail", delayMs: 2000, retryAfterSeconds: 1, remaining: 1 },
    });
    expect((await send("meituan")).status).toBe(503);
    expect((await send("meituan")).status).toBe(200);

    const all = await control("");
    expect(all.status).toBe(200);
    expect(all.json.stage).toBe("test");
    const meituan = all.json.platforms.find((p: { id: string }) => p.id === "meituan");
    expect(meituan).toMatchObject({
      endpoint: `${sandbox.url}/meituan/after-sale`,
      secretName: "complaint-hub/test/platforms/meituan/webhook",
      mode: { mode: "ok" },
      requests: 2,
      cases: 1,
    });

    const received = await control("/meituan/received");
    expect(received.json.map((r: SandboxRecord) => r.status)).toEqual([503, 200]);
    expect((await control("/meituan/received?since=1")).json).toHaveLength(1);
    expect((await control("/meituan/cases")).json).toEqual(["CASE-meituan-1"]);

    expect((await putMode("meituan", { mode: "explode" })).status).toBe(400);
    expect((await putMode("meituan", { mode: "slow", delayMs: "soon" })).status).toBe(400);
    expect((await control("/meituan/mode", { method: "PUT", body: "not json" })).status).toBe(400);
    expect((await putMode("nope", { mode: "fail" })).status).toBe(404);
    expect((await control("/meituan/mode", { method: "DELETE" })).status).toBe(405);

    await putMode("meituan", { mode: "gone" });
    const reset = await control("/reset", { method: "POST" });
    expect(reset.status).toBe(200);
    expect(sandbox.received("meituan")).toEqual([]);
    expect(sandbox.cases("meituan")).toEqual([]);
    // Reset forgets cases but keeps counting, so a case reference is never handed out twice.
    expect((await send("meituan")).json).toEqual({ code: 0, result: { ticketNo: "CASE-meituan-2" } });
  });
});

describe("records on disk", () => {
  it("appends every request to <stateDir>/sandbox/<id>.jsonl and reloads them on start", async () => {
    const body = notice("dianping");
    await send("dianping", { body });
    await send("dianping", { secrets: { current: newKey() } });
    sandbox.setMode("dianping", { mode: "fail", times: 1 });
    await send("dianping");

    const file = join(stateDir, "sandbox", "dianping.jsonl");
    const lines = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as SandboxRecord);
    expect(lines.map((l) => [l.seq, l.verified, l.status, l.caseRef ?? null])).toEqual([
      [1, true, 200, "CASE-dianping-1"],
      [2, false, 401, null],
      [3, true, 503, null],
    ]);
    expect(lines[0]?.body).toEqual(body);
    expect(lines[0]?.headers["webhook-id"]).toBe(body.noticeId);
    expect(lines).toEqual(sandbox.received("dianping"));

    // A restart on the same folder keeps the records and the case of each webhook-id.
    await sandbox.close();
    sandbox = await startSandbox();
    expect(sandbox.received("dianping")).toHaveLength(3);
    expect(sandbox.cases("dianping")).toEqual(["CASE-dianping-1"]);
    expect((await send("dianping", { body })).json.result.ticketNo).toBe("CASE-dianping-1");
    expect((await send("dianping")).json.result.ticketNo).toBe("CASE-dianping-2");
    expect(last("dianping").seq).toBe(5);

    await sandbox.reset("dianping");
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(1);
    await sandbox.close();
    sandbox = await startSandbox();
    expect(sandbox.received("dianping")).toEqual([]);
    expect((await send("dianping")).json.result.ticketNo).toBe("CASE-dianping-3");
  });
});
