import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { findPlatform, isPush, PLATFORMS, type SuccessRule } from "../../infra/platforms";
import type { RetrySchedule } from "../../infra/stages";
import { MAX_VISIBILITY_SECONDS, retryDelaySeconds } from "../../shared/delivery/backoff";
import { classifyAnswer, type PlatformAnswer, parseRetryAfter } from "../../shared/delivery/classify";
import { parseWebhookSecrets, signWebhook } from "../../shared/delivery/signing";
import { FIXTURE_CONSUMER_NAME, FIXTURE_CONSUMER_PHONE } from "../helpers/fixtures";

const NOW = new Date("2026-03-02T02:00:00.000Z");

function ruleOf(platformId: string): SuccessRule {
  const platform = findPlatform(platformId);
  if (!platform || !isPush(platform)) throw new Error(`${platformId} is not a push platform`);
  return platform.delivery.successRule;
}

/** The three success-rule styles of the registry, each taken from a real entry. */
const STANDARD = ruleOf("suning");
const ENVELOPE = ruleOf("taobao");
const CODE = ruleOf("vip");

const answer = (status: number, body = "", headers: Record<string, string> = {}): PlatformAnswer => ({
  status,
  body,
  headers: new Headers(headers),
  latencyMs: 12,
});

describe("the registry's success-rule styles", () => {
  it("are the three styles these tests judge by", () => {
    expect(STANDARD).toEqual({ statuses: [200, 201, 202], caseRefField: "caseId" });
    expect(ENVELOPE).toEqual({
      statuses: [200],
      body: { field: "success", equals: [true] },
      caseRefField: "data.caseId",
    });
    expect(CODE).toEqual({
      statuses: [200],
      body: { field: "code", equals: [0, "0"] },
      caseRefField: "result.ticketNo",
    });
    const styles = new Set(PLATFORMS.filter(isPush).map((p) => JSON.stringify(p.delivery.successRule)));
    expect(styles.size).toBe(3);
  });
});

describe("classifyAnswer: no answer", () => {
  it("retries a timeout and a network failure", () => {
    expect(classifyAnswer(STANDARD, { transportError: "timeout", latencyMs: 10_000 }, NOW)).toEqual({
      kind: "retry",
      reason: "request timed out",
    });
    expect(classifyAnswer(STANDARD, { transportError: "network", latencyMs: 3 }, NOW)).toEqual({
      kind: "retry",
      reason: "connection failed",
    });
    expect(classifyAnswer(STANDARD, { latencyMs: 3 }, NOW)).toMatchObject({ kind: "retry" });
  });
});

describe("classifyAnswer: errors", () => {
  it.each([500, 502, 503, 504, 599])("retries %i", (status) => {
    expect(classifyAnswer(STANDARD, answer(status, "upstream trouble"), NOW)).toEqual({
      kind: "retry",
      reason: `status ${status}`,
    });
  });

  it.each([408, 409, 425, 429])("retries the 'later' client error %i", (status) => {
    expect(classifyAnswer(STANDARD, answer(status), NOW)).toEqual({
      kind: "retry",
      reason: `status ${status}`,
    });
  });

  it("honours Retry-After in seconds", () => {
    expect(classifyAnswer(STANDARD, answer(429, "", { "Retry-After": "120" }), NOW)).toEqual({
      kind: "retry",
      reason: "status 429",
      retryAfterSeconds: 120,
    });
    expect(classifyAnswer(STANDARD, answer(503, "", { "retry-after": " 0 " }), NOW)).toMatchObject({
      retryAfterSeconds: 0,
    });
  });

  it("honours Retry-After as an HTTP date", () => {
    const later = new Date(NOW.getTime() + 90_000).toUTCString();
    expect(classifyAnswer(STANDARD, answer(503, "", { "retry-after": later }), NOW)).toMatchObject({
      kind: "retry",
      retryAfterSeconds: 90,
    });
    const past = new Date(NOW.getTime() - 90_000).toUTCString();
    expect(classifyAnswer(STANDARD, answer(429, "", { "retry-after": past }), NOW)).toMatchObject({
      retryAfterSeconds: 0,
    });
  });

  it("ignores an unreadable Retry-After", () => {
    const verdict = classifyAnswer(STANDARD, answer(429, "", { "retry-after": "soon-ish" }), NOW);
    expect(verdict).toEqual({ kind: "retry", reason: "status 429" });
  });

  it("parks 410 at once as gone", () => {
    const verdict = classifyAnswer(STANDARD, answer(410, "gone", { "retry-after": "60" }), NOW);
    expect(verdict).toEqual({ kind: "permanent", reason: "status 410: the platform's endpoint is gone" });
  });

  it.each([400, 401, 403, 404, 405, 413, 422, 451])("parks %i as refused", (status) => {
    expect(classifyAnswer(STANDARD, answer(status, "{}"), NOW)).toEqual({
      kind: "permanent",
      reason: `status ${status}: refused by the platform`,
    });
  });

  it("never copies the platform's error body into the reason", () => {
    const body = `{"error":"${FIXTURE_CONSUMER_NAME} ${FIXTURE_CONSUMER_PHONE}"}`;
    for (const status of [400, 410, 429, 500]) {
      const verdict = classifyAnswer(STANDARD, answer(status, body), NOW);
      expect(JSON.stringify(verdict)).not.toContain(FIXTURE_CONSUMER_PHONE);
    }
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and dates and refuses the rest", () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter("", NOW)).toBeUndefined();
    expect(parseRetryAfter("30", NOW)).toBe(30);
    expect(parseRetryAfter("Mon, 02 Mar 2026 02:00:30 GMT", NOW)).toBe(30);
    expect(parseRetryAfter("Mon, 02 Mar 2026 02:00:30.5 GMT", NOW)).toBe(31);
    expect(parseRetryAfter("not a date", NOW)).toBeUndefined();
  });
});

describe("classifyAnswer: a 2xx judged by the standard rule", () => {
  it("delivers with the case id", () => {
    expect(classifyAnswer(STANDARD, answer(201, '{"caseId":"SN-2026-1"}'), NOW)).toEqual({
      kind: "delivered",
      caseRef: "SN-2026-1",
    });
    expect(classifyAnswer(STANDARD, answer(202, '{"caseId":90210}'), NOW)).toEqual({
      kind: "delivered",
      caseRef: "90210",
    });
  });

  it("retries a success status outside the rule, a body without a case id, or a body that is not JSON", () => {
    expect(classifyAnswer(STANDARD, answer(204), NOW)).toEqual({
      kind: "retry",
      reason: "status 204 is not a success status",
    });
    expect(classifyAnswer(STANDARD, answer(200, '{"id":"SN-1"}'), NOW)).toEqual({
      kind: "retry",
      reason: "status 200 without a case reference at caseId",
    });
    expect(classifyAnswer(STANDARD, answer(200, '{"caseId":""}'), NOW)).toMatchObject({ kind: "retry" });
    expect(classifyAnswer(STANDARD, answer(200, '{"caseId":{"id":1}}'), NOW)).toMatchObject({
      kind: "retry",
    });
    expect(classifyAnswer(STANDARD, answer(200, "<html>OK</html>"), NOW)).toEqual({
      kind: "retry",
      reason: "status 200 with a body that is not JSON",
    });
  });

  it("does not take a case id from the prototype chain", () => {
    expect(classifyAnswer(STANDARD, answer(200, '{"__proto__":{"caseId":"X"}}'), NOW)).toMatchObject({
      kind: "retry",
    });
  });

  it("keeps at most 128 characters of a case id", () => {
    const verdict = classifyAnswer(STANDARD, answer(200, JSON.stringify({ caseId: "c".repeat(500) })), NOW);
    expect(verdict).toEqual({ kind: "delivered", caseRef: "c".repeat(128) });
  });
});

describe("classifyAnswer: a 2xx judged by the envelope rule", () => {
  it("delivers on success: true with data.caseId", () => {
    const body = JSON.stringify({ success: true, data: { caseId: "TB-77" } });
    expect(classifyAnswer(ENVELOPE, answer(200, body), NOW)).toEqual({ kind: "delivered", caseRef: "TB-77" });
  });

  it("retries a 200 that says success: false", () => {
    const body = JSON.stringify({ success: false, errorCode: "isp.timeout", data: { caseId: "TB-77" } });
    expect(classifyAnswer(ENVELOPE, answer(200, body), NOW)).toEqual({
      kind: "retry",
      reason: "status 200 with success=false",
    });
  });

  it("retries a truthy lookalike and a missing flag", () => {
    for (const success of ["true", 1]) {
      const body = JSON.stringify({ success, data: { caseId: "TB-77" } });
      expect(classifyAnswer(ENVELOPE, answer(200, body), NOW)).toMatchObject({ kind: "retry" });
    }
    expect(classifyAnswer(ENVELOPE, answer(200, '{"data":{"caseId":"TB-77"}}'), NOW)).toEqual({
      kind: "retry",
      reason: "status 200 with success=missing",
    });
  });

  it("retries a 201, which this rule does not count as success", () => {
    const body = JSON.stringify({ success: true, data: { caseId: "TB-77" } });
    expect(classifyAnswer(ENVELOPE, answer(201, body), NOW)).toMatchObject({ kind: "retry" });
  });
});

describe("classifyAnswer: a 2xx judged by the code rule", () => {
  it("delivers on code 0 or '0' with result.ticketNo", () => {
    for (const code of [0, "0"]) {
      const body = JSON.stringify({ code, result: { ticketNo: "VIP-5" } });
      expect(classifyAnswer(CODE, answer(200, body), NOW)).toEqual({ kind: "delivered", caseRef: "VIP-5" });
    }
  });

  it("retries a 200 with an error code, naming the code", () => {
    const body = JSON.stringify({ code: 50013, msg: "系统繁忙" });
    expect(classifyAnswer(CODE, answer(200, body), NOW)).toEqual({
      kind: "retry",
      reason: "status 200 with code=50013",
    });
    const stringCode = JSON.stringify({ code: "E_BUSY", msg: "系统繁忙" });
    expect(classifyAnswer(CODE, answer(200, stringCode), NOW)).toEqual({
      kind: "retry",
      reason: 'status 200 with code="E_BUSY"',
    });
  });

  it("retries a 200 with an error body without echoing its arbitrary text", () => {
    const arbitrary = `请联系 ${FIXTURE_CONSUMER_NAME} ${FIXTURE_CONSUMER_PHONE}`;
    for (const body of [
      JSON.stringify({ code: arbitrary, msg: arbitrary }),
      JSON.stringify({ code: { nested: arbitrary }, msg: arbitrary }),
      JSON.stringify({ code: [arbitrary] }),
    ]) {
      const verdict = classifyAnswer(CODE, answer(200, body), NOW);
      expect(verdict.kind).toBe("retry");
      const reason = verdict.kind === "retry" ? verdict.reason : "";
      expect(reason).toMatch(/^status 200 with code=/);
      expect(reason).not.toContain(FIXTURE_CONSUMER_PHONE);
      expect(reason).not.toContain("Fixture");
      expect(reason).not.toContain("请联系");
      expect(reason.length).toBeLessThan(80);
    }
  });
});

describe("retryDelaySeconds", () => {
  const schedule: RetrySchedule = { baseDelaySeconds: 30, maxDelaySeconds: 3600, maxAttempts: 12 };
  const top = () => 1 - Number.EPSILON;

  it("doubles per attempt up to the cap", () => {
    const delays = Array.from({ length: 10 }, (_, i) => retryDelaySeconds(i + 1, schedule, undefined, top));
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(retryDelaySeconds(500, schedule, undefined, top)).toBe(3600);
  });

  it("jitters between half and all of the exponential delay", () => {
    expect(retryDelaySeconds(1, schedule, undefined, () => 0)).toBe(15);
    expect(retryDelaySeconds(3, schedule, undefined, () => 0)).toBe(60);
    expect(retryDelaySeconds(3, schedule, undefined, () => 0.5)).toBe(90);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const exponential = Math.min(3600, 30 * 2 ** (attempt - 1));
          const delay = retryDelaySeconds(attempt, schedule, undefined, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.ceil(exponential / 2));
          expect(delay).toBeLessThanOrEqual(Math.ceil(exponential));
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
    );
  });

  it("treats an attempt below 1 as the first", () => {
    expect(retryDelaySeconds(0, schedule, undefined, top)).toBe(30);
    expect(retryDelaySeconds(-3, schedule, undefined, top)).toBe(30);
  });

  it("never retries sooner than Retry-After, which may exceed the schedule's cap", () => {
    expect(retryDelaySeconds(1, schedule, 100, () => 0)).toBe(100);
    expect(retryDelaySeconds(1, schedule, 5, () => 0)).toBe(15);
    expect(retryDelaySeconds(10, schedule, 7200, top)).toBe(7200);
    expect(retryDelaySeconds(1, schedule, 0, () => 0)).toBe(15);
  });

  it("caps everything at SQS's longest visibility timeout", () => {
    expect(MAX_VISIBILITY_SECONDS).toBe(43_200);
    expect(retryDelaySeconds(1, schedule, 100_000, () => 0)).toBe(43_200);
    expect(retryDelaySeconds(1, schedule, Number.POSITIVE_INFINITY, () => 0)).toBe(43_200);
    const generous: RetrySchedule = { baseDelaySeconds: 40_000, maxDelaySeconds: 1_000_000, maxAttempts: 5 };
    expect(retryDelaySeconds(3, generous, undefined, top)).toBe(43_200);
  });

  it("uses Math.random by default, within the same bounds", () => {
    for (let i = 0; i < 50; i++) {
      const delay = retryDelaySeconds(2, schedule, undefined);
      expect(delay).toBeGreaterThanOrEqual(30);
      expect(delay).toBeLessThanOrEqual(60);
    }
  });
});

describe("signWebhook", () => {
  const secret = () => `whsec_${randomBytes(32).toString("base64")}`;
  const payload = JSON.stringify({ noticeId: "CH0123456789ABCDEFGHJK-r1", title: "耳机无法充电" });

  it("signs with Standard Webhooks headers that the reference library verifies", () => {
    const current = secret();
    const now = new Date();
    const headers = signWebhook({ current }, "CH0123456789ABCDEFGHJK-r1", now, payload);
    expect(headers["webhook-id"]).toBe("CH0123456789ABCDEFGHJK-r1");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(current).verify(payload, headers)).toEqual(JSON.parse(payload));
  });

  it("signs with both secrets during a rotation, and each verifies on its own", () => {
    const current = secret();
    const previous = secret();
    const headers = signWebhook({ current, previous }, "msg-rotation-1", new Date(), payload);
    const signatures = headers["webhook-signature"].split(" ");
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) expect(signature).toMatch(/^v1,/);
    expect(signatures[0]).not.toBe(signatures[1]);

    for (const [key, signature] of [
      [current, signatures[0]],
      [previous, signatures[1]],
    ] as const) {
      const alone = { ...headers, "webhook-signature": signature as string };
      expect(() => new Webhook(key).verify(payload, alone)).not.toThrow();
    }
    expect(() => new Webhook(current).verify(payload, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(payload, headers)).not.toThrow();
    expect(() => new Webhook(secret()).verify(payload, headers)).toThrow(WebhookVerificationError);
  });

  it("accepts a secret without the whsec_ prefix", () => {
    const raw = randomBytes(24).toString("base64");
    const headers = signWebhook({ current: raw }, "msg-raw-1", new Date(), payload);
    expect(() => new Webhook(`whsec_${raw}`).verify(payload, headers)).not.toThrow();
  });

  it("fails verification for a tampered payload, id or timestamp", () => {
    const current = secret();
    const now = new Date();
    const headers = signWebhook({ current }, "msg-tamper-1", now, payload);
    const webhook = new Webhook(current);
    expect(() => webhook.verify(payload.replace("耳机", "手机"), headers)).toThrow(WebhookVerificationError);
    expect(() => webhook.verify(`${payload} `, headers)).toThrow(WebhookVerificationError);
    expect(() => webhook.verify(payload, { ...headers, "webhook-id": "msg-tamper-2" })).toThrow(
      WebhookVerificationError,
    );
    const shifted = String(Math.floor(now.getTime() / 1000) - 1);
    expect(() => webhook.verify(payload, { ...headers, "webhook-timestamp": shifted })).toThrow(
      WebhookVerificationError,
    );
  });
});

describe("parseWebhookSecrets", () => {
  it("reads a bare key (bootstrapping) and trims it", () => {
    expect(parseWebhookSecrets("whsec_abc123==")).toEqual({ current: "whsec_abc123==" });
    expect(parseWebhookSecrets("  whsec_abc123==\n")).toEqual({ current: "whsec_abc123==" });
  });

  it("reads the JSON form with and without a previous key", () => {
    expect(parseWebhookSecrets('{"current":"whsec_new","previous":"whsec_old"}')).toEqual({
      current: "whsec_new",
      previous: "whsec_old",
    });
    expect(parseWebhookSecrets(' \n{"current":"whsec_new"}')).toEqual({ current: "whsec_new" });
    expect(parseWebhookSecrets('{"current":"whsec_new","previous":""}')).toEqual({ current: "whsec_new" });
    expect(parseWebhookSecrets('{"current":"whsec_new","previous":42}')).toEqual({ current: "whsec_new" });
  });

  it("refuses JSON without a current key", () => {
    for (const value of ['{"previous":"whsec_old"}', '{"current":""}', '{"current":7}', "{}"]) {
      expect(() => parseWebhookSecrets(value), value).toThrow("Webhook secret has no current key");
    }
    expect(() => parseWebhookSecrets("{not json")).toThrow();
  });
});
