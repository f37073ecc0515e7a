/**
 * Routing is data: two rules per enabled platform on `detail.platform` (urgent notices to its urgent queue,
 * the rest to its queue), a triage rule for everything else, targets with retries and a dead-letter queue,
 * an archive, and a bus only the publisher may speak for.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORMS } from "../../infra/platforms";
import { compileEventPattern } from "../../local/eventbridge/event-pattern";
import { ISSUE_NATURES, SAFETY_NATURES } from "../../shared/complaint/submission";
import { EVENT_SOURCE, ROUTED_DETAIL_TYPES } from "../../shared/events/contract";
import { noticeFor } from "../../shared/events/notice";
import { complaintRecord, validSubmission } from "../helpers/fixtures";
import {
  arnOf,
  busId,
  type Cfn,
  functionByService,
  grantsOf,
  keyId,
  list,
  onlyOne,
  platformQueues,
  queueIdByName,
  queuePolicyStatements,
  resourcesOfType,
  roleIdOf,
  synthHub,
} from "./hub-template";

const ENABLED_IDS = PLATFORMS.filter((p) => p.enabled).map((p) => p.id);

let json: Cfn;
let bus: string;
let routingDlq: string;
let rules: [string, Cfn][];

beforeAll(() => {
  json = synthHub().json;
  bus = busId(json);
  routingDlq = queueIdByName(json, "complaint-hub-dev-routing-dlq");
  // Rules on the hub bus (the chase's schedule lives on the default bus).
  rules = resourcesOfType(json, "AWS::Events::Rule").filter(
    ([, r]) => r.Properties.EventPattern && r.Properties.Name !== PREVIEW_RULE,
  );
});

const PREVIEW_RULE = "complaint-hub-dev-replay-preview";

describe("the replay preview rule", () => {
  it("takes only operators' dry runs (replay-name ops-preview-*) onto its own queue, whole events", () => {
    const [, rule] = onlyOne(
      resourcesOfType(json, "AWS::Events::Rule").filter(([, r]) => r.Properties.Name === PREVIEW_RULE),
      "preview rule",
    );
    expect(rule.Properties.EventBusName).toEqual({ Ref: bus });
    expect(rule.Properties.EventPattern).toEqual({
      source: [EVENT_SOURCE],
      "replay-name": [{ prefix: "ops-preview-" }],
    });
    const targets = list<Cfn>(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual(arnOf(queueIdByName(json, "complaint-hub-dev-replay-preview")));
    expect(targets[0]?.InputPath).toBeUndefined();
    const preview = compileEventPattern(JSON.stringify(rule.Properties.EventPattern));
    const event = { source: EVENT_SOURCE, "detail-type": "Complaint Submitted", detail: { platform: "jd" } };
    expect(preview.matches(JSON.stringify(event))).toBe(false);
    expect(preview.matches(JSON.stringify({ ...event, "replay-name": "ops-replay-1-1" }))).toBe(false);
    expect(preview.matches(JSON.stringify({ ...event, "replay-name": "ops-preview-1" }))).toBe(true);
  });
});

const ruleFor = (platformId: string, urgent: boolean): [string, Cfn] =>
  onlyOne(
    rules.filter(
      ([, r]) =>
        JSON.stringify(r.Properties.EventPattern.detail) ===
        JSON.stringify({ platform: [platformId], urgent: [urgent] }),
    ),
    `${urgent ? "urgent " : ""}rule for ${platformId}`,
  );

const URGENCIES = ENABLED_IDS.flatMap((id) => [
  [id, "urgent", true] as const,
  [id, "normal", false] as const,
]);

describe("platform rules", () => {
  it("has two rules per enabled platform plus triage and escalations, all on the hub bus", () => {
    expect(ENABLED_IDS).toHaveLength(18);
    expect(rules).toHaveLength(2 * ENABLED_IDS.length + 2);
    for (const [id, rule] of rules) expect(rule.Properties.EventBusName, id).toEqual({ Ref: bus });
  });

  it.each(URGENCIES)(
    "routes %s's %s submitted and re-routed complaints to its own queue",
    (id, _, urgent) => {
      const [, rule] = ruleFor(id, urgent);
      expect(rule.Properties.State).toBe("ENABLED");
      expect(rule.Properties.Name).toBe(`complaint-hub-dev-route-${id}${urgent ? "-urgent" : ""}`);
      expect(rule.Properties.EventPattern).toStrictEqual({
        source: ["complaint-hub"],
        "detail-type": ["Complaint Submitted", "Complaint Rerouted"],
        detail: { platform: [id], urgent: [urgent] },
      });
      const target = onlyOne<Cfn>(rule.Properties.Targets, `target of ${id}'s rule`);
      const queues = platformQueues(json, id);
      expect(target.Arn).toEqual(arnOf(urgent ? queues.urgent : queues.queue));
      expect(target.InputPath).toBe("$.detail");
      expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(3600);
      expect(target.DeadLetterConfig).toEqual({ Arn: arnOf(routingDlq) });
    },
  );

  it.each(ENABLED_IDS)("gives %s's two rules the same target settings", (id) => {
    const settings = (urgent: boolean) => {
      const { Arn, Id, ...rest } = onlyOne<Cfn>(ruleFor(id, urgent)[1].Properties.Targets, "target");
      return rest;
    };
    expect(settings(true)).toEqual(settings(false));
  });

  it.each(ENABLED_IDS)(
    "creates %s's urgent rule before its normal rule stops taking urgent notices",
    (id) => {
      const [urgentRule] = ruleFor(id, true);
      expect(list(ruleFor(id, false)[1].DependsOn)).toContain(urgentRule);
    },
  );

  it.each(ENABLED_IDS.flatMap((id) => [id, `${id}-urgent`] as const))(
    "lets EventBridge, from this account only, put on complaint-hub-dev-%s",
    (name) => {
      const queue = queueIdByName(json, `complaint-hub-dev-${name}`);
      const sends = grantsOf(queuePolicyStatements(json, queue), "sqs:SendMessage");
      expect(sends.map((s) => s.Principal)).toEqual([{ Service: "events.amazonaws.com" }]);
      expect(sends[0]?.Condition).toEqual({
        StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
      });
    },
  );

  it("lets EventBridge encrypt for the queues it targets", () => {
    const statements = json.Resources[keyId(json)].Properties.KeyPolicy.Statement as Cfn[];
    const forEvents = statements.filter((s) => list(s.Principal?.Service).includes("events.amazonaws.com"));
    const actions = forEvents.flatMap((s) => list<string>(s.Action));
    expect(actions).toEqual(expect.arrayContaining(["kms:GenerateDataKey", "kms:Decrypt"]));
  });

  it("lets every rule dead-letter into the routing DLQ, and nothing else send to it", () => {
    const sends = grantsOf(queuePolicyStatements(json, routingDlq), "sqs:SendMessage");
    expect(
      sends.every((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: "events.amazonaws.com" })),
    ).toBe(true);
    const sourceRules = sends
      .map((s) => s.Condition?.ArnEquals?.["aws:SourceArn"])
      .map((arn) => arn?.["Fn::GetAtt"]?.[0]);
    expect(sourceRules.sort()).toEqual(rules.map(([id]) => id).sort());
  });
});

describe("every notice matches exactly one rule", () => {
  /** The bus event the publisher puts for a complaint: its ComplaintNotice as the detail. */
  const eventFor = (platform: string, nature: (typeof ISSUE_NATURES)[number], detailType: string) => ({
    version: "0",
    id: "00000000-0000-0000-0000-000000000000",
    source: EVENT_SOURCE,
    "detail-type": detailType,
    account: "111111111111",
    time: "2026-03-02T02:00:00Z",
    region: "cn-north-1",
    resources: [],
    detail: noticeFor(
      complaintRecord({
        submission: validSubmission({ platform, category: { nature, domain: "food" } }),
      }),
    ),
  });

  it.each(ENABLED_IDS)("%s: urgent ones to its urgent queue, every other to its queue", (id) => {
    const compiled = rules.map(
      ([ruleId, r]) => [ruleId, compileEventPattern(r.Properties.EventPattern)] as const,
    );
    const queues = platformQueues(json, id);
    for (const nature of ISSUE_NATURES) {
      for (const detailType of ROUTED_DETAIL_TYPES) {
        const event = eventFor(id, nature, detailType);
        expect(event.detail.urgent).toBe(SAFETY_NATURES.has(nature));
        const matching = compiled.filter(([, pattern]) => pattern.matches(event)).map(([ruleId]) => ruleId);
        const [expected] = ruleFor(id, event.detail.urgent);
        expect(matching, `${nature} ${detailType}`).toEqual([expected]);
        const target = onlyOne<Cfn>(json.Resources[expected].Properties.Targets, "target");
        expect(target.Arn).toEqual(arnOf(event.detail.urgent ? queues.urgent : queues.queue));
      }
    }
  });
});

describe("triage rule", () => {
  let triage: Cfn;
  beforeAll(() => {
    triage = onlyOne(
      rules.filter(([, r]) => r.Properties.Name === "complaint-hub-dev-route-triage"),
      "triage rule",
    )[1];
  });

  it("takes submitted and re-routed complaints for anything but the 18 enabled ids", () => {
    const { EventPattern: pattern } = triage.Properties;
    expect(pattern.source).toEqual(["complaint-hub"]);
    expect(pattern["detail-type"]).toEqual(["Complaint Submitted", "Complaint Rerouted"]);
    expect(Object.keys(pattern.detail)).toEqual(["platform"]);
    const [condition] = pattern.detail.platform;
    expect(Object.keys(condition)).toEqual(["anything-but"]);
    expect([...condition["anything-but"]].sort()).toEqual([...ENABLED_IDS].sort());
    expect(condition["anything-but"]).toHaveLength(18);
  });

  it("targets the triage queue with the notice, retries and the routing DLQ", () => {
    const target = onlyOne<Cfn>(triage.Properties.Targets, "triage target");
    expect(target.Arn).toEqual(arnOf(queueIdByName(json, "complaint-hub-dev-triage")));
    expect(target.InputPath).toBe("$.detail");
    expect(target.RetryPolicy).toBeDefined();
    expect(target.DeadLetterConfig).toEqual({ Arn: arnOf(routingDlq) });
  });
});

describe("escalation rule", () => {
  it("sends every change to SUPERVISED or ASSOCIATION_MEDIATION, as the whole event, to the triage queue", () => {
    const [, rule] = onlyOne(
      rules.filter(([, r]) => r.Properties.Name === "complaint-hub-dev-escalations-triage"),
      "escalation rule",
    );
    expect(rule.Properties.EventBusName).toEqual({ Ref: bus });
    expect(rule.Properties.EventPattern).toStrictEqual({
      source: ["complaint-hub"],
      "detail-type": ["Complaint Status Changed"],
      detail: { to: ["SUPERVISED", "ASSOCIATION_MEDIATION"] },
    });
    const target = onlyOne<Cfn>(rule.Properties.Targets, "escalation target");
    expect(target.Arn).toEqual(arnOf(queueIdByName(json, "complaint-hub-dev-triage")));
    expect(target.InputPath).toBeUndefined();
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(target.DeadLetterConfig).toEqual({ Arn: arnOf(routingDlq) });
  });
});

describe("the hub bus", () => {
  it("is encrypted with the hub key", () => {
    expect(json.Resources[bus].Properties.KmsKeyIdentifier).toEqual(arnOf(keyId(json)));
  });

  it("archives every hub event", () => {
    const [, archive] = onlyOne(resourcesOfType(json, "AWS::Events::Archive"), "archive");
    expect(archive.Properties.SourceArn).toEqual(arnOf(bus));
    expect(archive.Properties.EventPattern).toEqual({ source: ["complaint-hub"] });
    expect(archive.Properties.RetentionDays).toBeGreaterThan(0);
  });

  it("denies PutEvents as complaint-hub to every principal but the publish function's role", () => {
    const [, publisher] = functionByService(json, "publish-events");
    const policies = resourcesOfType(json, "AWS::Events::EventBusPolicy");
    const denies = policies
      .filter(([, p]) => JSON.stringify(p.Properties.EventBusName) === JSON.stringify({ Ref: bus }))
      .flatMap(([, p]) => list<Cfn>(p.Properties.Statement))
      .filter((s) => s.Effect === "Deny");
    const deny = onlyOne(denies, "deny statement on the bus");
    expect(deny).toMatchObject({
      Action: "events:PutEvents",
      Principal: { AWS: "*" },
      Resource: arnOf(bus),
      Condition: {
        StringEquals: { "events:source": "complaint-hub" },
        ArnNotEquals: { "aws:PrincipalArn": arnOf(roleIdOf(publisher)) },
      },
    });
    expect(Object.keys(deny.Condition).sort()).toEqual(["ArnNotEquals", "StringEquals"]);
  });
});
