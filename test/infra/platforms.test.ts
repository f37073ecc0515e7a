/**
 * The platform registry: the first batch's 18 routing ids, validation that refuses a broken registry with every
 * problem listed, and "adding a platform is one entry": exactly one more channel's resources, nothing else.
 */
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  isPull,
  isPush,
  PLATFORMS,
  type PlatformEntry,
  type PushDelivery,
  validateRegistry,
} from "../../infra/platforms";
import { type Cfn, countByType, functionByService, platformQueues, roleIdOf, synthHub } from "./hub-template";

const FIRST_BATCH_IDS = [
  "taobao",
  "tmall",
  "jd",
  "suning",
  "vip",
  "amazon-cn",
  "yhd",
  "jumei",
  "gome",
  "ctrip",
  "qunar",
  "youku-tudou",
  "dianping",
  "meituan",
  "funshion",
  "eleme",
  "kaola",
  "didi",
];

const push = (id: string, changes: Partial<PlatformEntry> = {}): PlatformEntry => ({
  id,
  names: { zh: "测试", en: "Test" },
  member: id,
  delivery: {
    mode: "push",
    requestTimeoutSeconds: 10,
    maxConcurrency: 5,
    successRule: { statuses: [200], caseRefField: "caseId" },
  },
  enabled: true,
  ...changes,
});

const withDelivery = (id: string, delivery: Partial<PushDelivery>): PlatformEntry =>
  push(id, { delivery: { ...(push(id).delivery as PushDelivery), ...delivery } });

const validationError = (registry: readonly PlatformEntry[]): string => {
  try {
    validateRegistry(registry);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("validateRegistry accepted the registry");
};

describe("the shipped registry", () => {
  it("has the 18 routing ids of the first batch, in order", () => {
    expect(PLATFORMS.map((p) => p.id)).toEqual(FIRST_BATCH_IDS);
  });

  it("has 17 distinct members: Taobao and Tmall share Alibaba's after-sale desk", () => {
    const members = PLATFORMS.map((p) => p.member);
    expect(new Set(members).size).toBe(17);
    const shared = PLATFORMS.filter((p) => members.filter((m) => m === p.member).length > 1).map((p) => p.id);
    expect(shared).toEqual(["taobao", "tmall"]);
  });

  it("names every platform in Chinese and in English", () => {
    for (const p of PLATFORMS) {
      expect(p.names.zh, p.id).toMatch(/\p{Script=Han}/u);
      expect(p.names.en, p.id).toMatch(/^[\x20-\x7e]*[A-Za-z][\x20-\x7e]*$/);
    }
  });

  it("has at least two pull platforms and pushes to all the others", () => {
    const pull = PLATFORMS.filter(isPull);
    const pushPlatforms = PLATFORMS.filter(isPush);
    expect(pull.length).toBeGreaterThanOrEqual(2);
    expect(pushPlatforms.length + pull.length).toBe(PLATFORMS.length);
    expect(pushPlatforms.length).toBe(PLATFORMS.length - pull.length);
  });

  it("enables every platform and passes its own validation", () => {
    expect(PLATFORMS.every((p) => p.enabled)).toBe(true);
    expect(() => validateRegistry(PLATFORMS)).not.toThrow();
  });
});

describe("validateRegistry", () => {
  it("refuses duplicate ids", () => {
    expect(validationError([...PLATFORMS, push("jd")])).toContain('platform "jd": duplicate id');
  });

  it.each(["Taobao", "-jd", "jd-", "jd_mall", "jd.com", "", "a".repeat(41)])("refuses the id %j", (id) => {
    expect(validationError([push(id)])).toContain("id must be lower-case letters, digits and dashes");
  });

  it("accepts ids at the edges of the pattern", () => {
    expect(() => validateRegistry([push("a"), push("a1-b2"), push("a".repeat(40))])).not.toThrow();
  });

  it.each([0, 1, 1001, 2.5, Number.NaN])("refuses maxConcurrency %s", (maxConcurrency) => {
    expect(validationError([withDelivery("x", { maxConcurrency })])).toContain(
      "maxConcurrency must be an integer from 2 to 1000",
    );
  });

  it("accepts maxConcurrency 2 and 1000 (Lambda's limits)", () => {
    expect(() =>
      validateRegistry([
        withDelivery("a", { maxConcurrency: 2 }),
        withDelivery("b", { maxConcurrency: 1000 }),
      ]),
    ).not.toThrow();
  });

  it.each([[[200, 302]], [[199]], [[300]], [[404]], [[]]])("refuses success statuses %j", (statuses) => {
    expect(
      validationError([withDelivery("x", { successRule: { statuses, caseRefField: "caseId" } })]),
    ).toContain("success statuses must be 2xx codes");
  });

  it("refuses an empty registry and one with nothing enabled", () => {
    expect(validationError([])).toContain("the registry has no enabled platform");
    expect(validationError([push("x", { enabled: false })])).toContain(
      "the registry has no enabled platform",
    );
  });

  it("lists every problem at once", () => {
    const message = validationError([
      push("ok"),
      push("ok"),
      push("Bad_Id"),
      withDelivery("slow", { maxConcurrency: 1 }),
      withDelivery("redirects", { successRule: { statuses: [301], caseRefField: "caseId" } }),
    ]);
    expect(message).toContain('platform "ok": duplicate id');
    expect(message).toContain('platform "Bad_Id": id must be');
    expect(message).toContain('platform "slow": maxConcurrency');
    expect(message).toContain('platform "redirects": success statuses');
    expect(message.split("\n  - ")).toHaveLength(5);
  });
});

describe("adding a platform to the registry", () => {
  const pinduoduo: PlatformEntry = {
    id: "pinduoduo",
    names: { zh: "拼多多", en: "Pinduoduo" },
    member: "pinduoduo",
    delivery: {
      mode: "push",
      requestTimeoutSeconds: 8,
      maxConcurrency: 4,
      successRule: { statuses: [200], caseRefField: "caseId" },
    },
    enabled: true,
  };
  let before: Cfn;
  let after: Cfn;

  beforeAll(() => {
    before = synthHub().json;
    after = synthHub({ platforms: [...PLATFORMS, pinduoduo] }).json;
  });

  it("adds two rules, three queues, one delivery function and one secret, and nothing else", () => {
    const a = countByType(before);
    const b = countByType(after);
    const delta = Object.fromEntries(
      [...new Set([...Object.keys(a), ...Object.keys(b)])]
        .map((type) => [type, (b[type] ?? 0) - (a[type] ?? 0)] as const)
        .filter(([, d]) => d !== 0),
    );
    expect(delta).toEqual({
      "AWS::Events::Rule": 2,
      "AWS::SQS::Queue": 3,
      "AWS::SQS::QueuePolicy": 3,
      "AWS::Lambda::Function": 1,
      // the queue and the urgent queue
      "AWS::Lambda::EventSourceMapping": 2,
      "AWS::IAM::Role": 1,
      "AWS::IAM::Policy": 1,
      "AWS::Logs::LogGroup": 1,
      "AWS::SecretsManager::Secret": 1,
      // DLQ depth, oldest message, oldest urgent message and delivery error rate
      "AWS::CloudWatch::Alarm": 4,
    });
  });

  it("derives the new resources from the entry", () => {
    const { queue, urgent, dlq } = platformQueues(after, "pinduoduo");
    for (const source of [queue, urgent]) {
      expect(after.Resources[source].Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
        "Fn::GetAtt": [dlq, "Arn"],
      });
    }
    const [, fn] = functionByService(after, "deliver-pinduoduo");
    expect(fn.Properties.Environment.Variables.PLATFORM_ID).toBe("pinduoduo");
    for (const isUrgent of [true, false]) {
      const rules = Object.values(after.Resources as Record<string, Cfn>).filter(
        (r) =>
          r.Type === "AWS::Events::Rule" &&
          isDeepStrictEqual(r.Properties.EventPattern?.detail, {
            platform: ["pinduoduo"],
            urgent: [isUrgent],
          }),
      );
      expect(rules).toHaveLength(1);
    }
  });

  it("keeps every existing resource, changing only those that list all platforms", () => {
    const changed: string[] = [];
    for (const [id, resource] of Object.entries(before.Resources as Record<string, Cfn>)) {
      expect(after.Resources[id], `${id} disappeared`).toBeDefined();
      if (!isDeepStrictEqual(resource, after.Resources[id])) changed.push(`${resource.Type} ${id}`);
    }
    // The triage rule's anything-but list, the dashboard's widgets, the key policy (the new role reads its secret
    // through Secrets Manager), the routing DLQ's policy (the new rule may dead-letter into it) and the platform
    // API's two roles (they verify the new platform's signatures with its secret).
    expect(changed.map((c) => c.split(" ")[0]).sort()).toEqual([
      "AWS::CloudWatch::Dashboard",
      "AWS::Events::Rule",
      "AWS::IAM::Policy",
      "AWS::IAM::Policy",
      "AWS::KMS::Key",
      "AWS::SQS::QueuePolicy",
    ]);
    const [reportRole, inboxRole] = ["platform-report", "platform-inbox"].map((service) =>
      roleIdOf(functionByService(after, service)[1]),
    );
    const policies = changed.filter((c) => c.startsWith("AWS::IAM::Policy")).map((c) => c.split(" ")[1]);
    const rolesOf = (policyId: string) =>
      (after.Resources[policyId as string].Properties.Roles as Cfn[]).map((r) => r.Ref);
    expect(policies.flatMap((p) => rolesOf(p as string)).sort()).toEqual([reportRole, inboxRole].sort());
    const triage = Object.values(after.Resources as Record<string, Cfn>).find(
      (r) => r.Type === "AWS::Events::Rule" && r.Properties.Name === "complaint-hub-dev-route-triage",
    );
    expect(triage.Properties.EventPattern.detail.platform[0]["anything-but"]).toContain("pinduoduo");
  });
});
