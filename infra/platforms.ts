/**
 * The platform registry: the member platforms of the 2016 mechanism (first batch: 17 members,
 * 18 routing ids because Taobao and Tmall share one after-sale desk).
 *
 * Adding a platform is one entry in PLATFORMS; the stack derives its rule, queue, DLQ, delivery
 * function or pull policy, alarms and secret from it. Deployment data that differs per stage
 * (real after-sale endpoints, pull principals) is not here: see ./deployment-data.ts.
 *
 * This file is plain data with no CDK imports, so the functions can bundle it too.
 */

/** How a push platform's answer is judged: by status, and where the API answers 200 with an error code, by body. */
export interface SuccessRule {
  statuses: readonly number[];
  /** A body field (dot path) that must hold one of `equals` for the answer to count as success. */
  body?: { field: string; equals: readonly (string | number | boolean)[] };
  /** Dot path of the platform's case reference in the success body. */
  caseRefField: string;
}

export interface PushDelivery {
  mode: "push";
  /** Per-request timeout towards the after-sale API. */
  requestTimeoutSeconds: number;
  /** Concurrent deliveries at most (event source maxConcurrency, 2–1000): protects the platform's API. */
  maxConcurrency: number;
  successRule: SuccessRule;
}

export interface PullDelivery {
  mode: "pull";
}

export interface PlatformEntry {
  id: string;
  names: { zh: string; en: string };
  /** The association member behind the id; ids of one member share its after-sale desk. */
  member: string;
  delivery: PushDelivery | PullDelivery;
  /** Working days the platform has to respond after delivery; DESIGN default is 7. */
  responseDeadlineWorkingDays?: number;
  enabled: boolean;
}

export const DEFAULT_RESPONSE_DEADLINE_WORKING_DAYS = 7;
/** Safety complaints (injury, food, cosmetic reactions) get a shorter deadline. */
export const URGENT_RESPONSE_DEADLINE_WORKING_DAYS = 2;

const standardRule: SuccessRule = { statuses: [200, 201, 202], caseRefField: "caseId" };
/** After-sale APIs in the style of open platforms that answer 200 with `{ success, errorCode }`. */
const envelopeRule: SuccessRule = {
  statuses: [200],
  body: { field: "success", equals: [true] },
  caseRefField: "data.caseId",
};
const codeRule: SuccessRule = {
  statuses: [200],
  body: { field: "code", equals: [0, "0"] },
  caseRefField: "result.ticketNo",
};

const push = (successRule: SuccessRule, maxConcurrency = 5, requestTimeoutSeconds = 10): PushDelivery => ({
  mode: "push",
  requestTimeoutSeconds,
  maxConcurrency,
  successRule,
});

export const PLATFORMS: readonly PlatformEntry[] = [
  {
    id: "taobao",
    names: { zh: "淘宝", en: "Taobao" },
    member: "alibaba",
    delivery: push(envelopeRule, 10),
    enabled: true,
  },
  {
    id: "tmall",
    names: { zh: "天猫", en: "Tmall" },
    member: "alibaba",
    delivery: push(envelopeRule, 10),
    enabled: true,
  },
  { id: "jd", names: { zh: "京东", en: "JD.com" }, member: "jd", delivery: { mode: "pull" }, enabled: true },
  {
    id: "suning",
    names: { zh: "苏宁易购", en: "Suning" },
    member: "suning",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "vip",
    names: { zh: "唯品会", en: "Vip.com" },
    member: "vip",
    delivery: push(codeRule),
    enabled: true,
  },
  {
    id: "amazon-cn",
    names: { zh: "亚马逊中国", en: "Amazon China" },
    member: "amazon-cn",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "yhd",
    names: { zh: "1号店", en: "Yihaodian" },
    member: "yhd",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "jumei",
    names: { zh: "聚美优品", en: "Jumei" },
    member: "jumei",
    delivery: push(codeRule),
    enabled: true,
  },
  {
    id: "gome",
    names: { zh: "国美在线", en: "Gome Online" },
    member: "gome",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "ctrip",
    names: { zh: "携程", en: "Ctrip" },
    member: "ctrip",
    delivery: { mode: "pull" },
    enabled: true,
  },
  {
    id: "qunar",
    names: { zh: "去哪儿", en: "Qunar" },
    member: "qunar",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "youku-tudou",
    names: { zh: "优酷土豆", en: "Youku Tudou" },
    member: "youku-tudou",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "dianping",
    names: { zh: "大众点评", en: "Dianping" },
    member: "dianping",
    delivery: push(codeRule),
    enabled: true,
  },
  {
    id: "meituan",
    names: { zh: "美团", en: "Meituan" },
    member: "meituan",
    delivery: push(codeRule),
    enabled: true,
  },
  {
    id: "funshion",
    names: { zh: "风行网", en: "Funshion" },
    member: "funshion",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "eleme",
    names: { zh: "饿了么", en: "Ele.me" },
    member: "eleme",
    delivery: push(envelopeRule),
    enabled: true,
  },
  {
    id: "kaola",
    names: { zh: "网易考拉", en: "NetEase Kaola" },
    member: "kaola",
    delivery: push(standardRule),
    enabled: true,
  },
  {
    id: "didi",
    names: { zh: "滴滴出行", en: "DiDi" },
    member: "didi",
    delivery: push(standardRule),
    responseDeadlineWorkingDays: 5,
    enabled: true,
  },
];

export type PushPlatform = PlatformEntry & { delivery: PushDelivery };
export type PullPlatform = PlatformEntry & { delivery: PullDelivery };

export const isPush = (p: PlatformEntry): p is PushPlatform => p.delivery.mode === "push";
export const isPull = (p: PlatformEntry): p is PullPlatform => p.delivery.mode === "pull";

export function findPlatform(
  id: string,
  registry: readonly PlatformEntry[] = PLATFORMS,
): PlatformEntry | undefined {
  return registry.find((p) => p.id === id);
}

/** Working days a platform has to answer a complaint. */
export function responseDeadlineWorkingDays(platform: PlatformEntry | undefined, urgent: boolean): number {
  const normal = platform?.responseDeadlineWorkingDays ?? DEFAULT_RESPONSE_DEADLINE_WORKING_DAYS;
  return urgent ? Math.min(URGENT_RESPONSE_DEADLINE_WORKING_DAYS, normal) : normal;
}

const ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** Refuses a registry that would synthesize a broken or ambiguous stack; every problem is listed at once. */
export function validateRegistry(registry: readonly PlatformEntry[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of registry) {
    const where = `platform "${p.id}"`;
    if (!ID_PATTERN.test(p.id)) problems.push(`${where}: id must be lower-case letters, digits and dashes`);
    if (seen.has(p.id)) problems.push(`${where}: duplicate id`);
    seen.add(p.id);
    if (!p.names.zh.trim() || !p.names.en.trim())
      problems.push(`${where}: needs a Chinese and an English name`);
    if (!p.member.trim()) problems.push(`${where}: needs the member it belongs to`);
    const days = p.responseDeadlineWorkingDays;
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 30)) {
      problems.push(`${where}: responseDeadlineWorkingDays must be an integer from 1 to 30`);
    }
    if (isPush(p)) {
      const d = p.delivery;
      if (!Number.isInteger(d.maxConcurrency) || d.maxConcurrency < 2 || d.maxConcurrency > 1000) {
        problems.push(`${where}: maxConcurrency must be an integer from 2 to 1000 (Lambda's limits)`);
      }
      if (!(d.requestTimeoutSeconds > 0 && d.requestTimeoutSeconds <= 60)) {
        problems.push(`${where}: requestTimeoutSeconds must be more than 0 and at most 60`);
      }
      if (d.successRule.statuses.length === 0 || d.successRule.statuses.some((s) => s < 200 || s > 299)) {
        problems.push(`${where}: success statuses must be 2xx codes`);
      }
      if (!d.successRule.caseRefField) problems.push(`${where}: successRule.caseRefField is required`);
    } else if (p.delivery.mode !== "pull") {
      problems.push(`${where}: delivery mode must be "push" or "pull"`);
    }
  }
  if (!registry.some((p) => p.enabled)) problems.push("the registry has no enabled platform");
  if (problems.length > 0) {
    throw new Error(`Invalid platform registry:\n  - ${problems.join("\n  - ")}`);
  }
}
