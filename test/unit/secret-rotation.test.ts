/** Webhook secret rotation: a new current key, the old one valid (signed with, accepted) until its overlap ends. */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { activeKeys, parseWebhookSecrets, signWebhook } from "../../shared/delivery/signing";
import {
  MIN_OVERLAP_MS,
  newWebhookKey,
  overlapInForce,
  rotateWebhookSecrets,
  whsec,
} from "../../shared/operator/secret-rotation";
import { authenticatePlatform } from "../../shared/platform/authenticate";

const now = new Date("2026-11-28T08:00:00Z");
const hours = (n: number) => new Date(now.getTime() + n * 3_600_000);
const oldKey = newWebhookKey();
const newKey = newWebhookKey();

describe("rotateWebhookSecrets", () => {
  it("makes the new key current and keeps the old one until the overlap ends", () => {
    const rotated = rotateWebhookSecrets({ current: oldKey }, newKey, now, 24 * 3_600_000);
    expect(rotated).toEqual({
      current: newKey,
      previous: oldKey,
      previousExpiresAt: hours(24).toISOString(),
    });
    expect(overlapInForce(rotated, hours(23))).toBe(true);
    expect(overlapInForce(rotated, hours(24))).toBe(false);
    expect(parseWebhookSecrets(JSON.stringify(rotated))).toEqual(rotated);
  });

  it("refuses an overlap shorter than the functions' secret cache, and the same key again", () => {
    expect(() => rotateWebhookSecrets({ current: oldKey }, newKey, now, MIN_OVERLAP_MS - 1)).toThrow(
      /at least/,
    );
    expect(() => rotateWebhookSecrets({ current: oldKey }, oldKey, now, MIN_OVERLAP_MS)).toThrow(/current/);
  });

  it("makes keys Standard Webhooks accepts", () => {
    expect(newWebhookKey()).not.toBe(newWebhookKey());
    expect(whsec(newKey)).toBe(`whsec_${newKey}`);
    expect(() => new Webhook(whsec(newKey))).not.toThrow();
  });
});

describe("the overlap's end (previousExpiresAt)", () => {
  const secrets = { current: newKey, previous: oldKey, previousExpiresAt: hours(1).toISOString() };

  it("keeps the previous key in force until then, and the old format (no expiry) as before", () => {
    expect(activeKeys(secrets, now)).toEqual([newKey, oldKey]);
    expect(activeKeys(secrets, hours(1))).toEqual([newKey]);
    expect(activeKeys({ current: newKey, previous: oldKey }, hours(1000))).toEqual([newKey, oldKey]);
    expect(parseWebhookSecrets(JSON.stringify({ ...secrets, previousExpiresAt: "soon" }))).toEqual({
      current: newKey,
      previous: oldKey,
    });
  });

  it("signs with both keys during the overlap, with the current one only after it", () => {
    const payload = '{"noticeId":"CH1-r1"}';
    expect(signWebhook(secrets, "msg_1", now, payload)["webhook-signature"].split(" ")).toHaveLength(2);
    expect(signWebhook(secrets, "msg_2", hours(2), payload)["webhook-signature"].split(" ")).toHaveLength(1);
  });

  it("accepts a platform's report signed with the previous key during the overlap only", async () => {
    // Standard Webhooks checks the signature's timestamp against the real clock: this test runs on it.
    const real = new Date();
    const rotated = {
      current: newKey,
      previous: oldKey,
      previousExpiresAt: new Date(real.getTime() + 60_000).toISOString(),
    };
    const body = '{"eventId":"e1","type":"ACK"}';
    const attempt = async (hubNow: Date) => {
      const headers = {
        "platform-id": "jd",
        ...signWebhook({ current: oldKey }, `msg_${hubNow.getTime()}`, real, body),
      };
      return authenticatePlatform(
        {
          secrets: async () => rotated,
          isKnownPlatform: () => true,
          rememberWebhookId: async () => true,
          now: () => hubNow,
        },
        headers,
        body,
      );
    };
    await expect(attempt(real)).resolves.toBe("jd");
    // The hub's clock past the expiry (the timestamp still within its tolerance): the previous key no longer counts.
    await expect(attempt(new Date(real.getTime() + 120_000))).rejects.toMatchObject({
      kind: "signatureRefused",
    });
  });
});
