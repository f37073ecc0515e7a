/**
 * Routing is data: one rule per enabled platform on `detail.platform`, a triage rule for everything else,
 * targets with retries and a dead-letter queue, an archive, and a bus only the publisher may speak for.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORMS } from "../../infra/platforms";
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
  rules = resourcesOfType(json, "AWS::Events::Rule").filter(([, r]) => r.Properties.EventPattern);
});

const ruleFor = (platformId: string): Cfn =>
  onlyOne(
    rules.filter(
      ([, r]) =>
        JSON.stringify(r.Properties.EventPattern.detail) === JSON.stringify({ platform: [platformId] }),
    ),
    `rule for ${platformId}`,
  )[1];

describe("platform rules", () => {
  it("has one rule per enabled platform plus triage and escalations, all on the hub bus", () => {
    expect(ENABLED_IDS).toHaveLength(18);
    expect(rules).toHaveLength(ENABLED_IDS.length + 2);
    for (const [id, rule] of rules) expect(rule.Properties.EventBusName, id).toEqual({ Ref: bus });
  });

  it.each(ENABLED_IDS)("routes %s's submitted and re-routed complaints to its queue", (id) => {
    const rule = ruleFor(id);
    expect(rule.Properties.State).toBe("ENABLED");
    expect(rule.Properties.EventPattern).toStrictEqual({
      source: ["complaint-hub"],
      "detail-type": ["Complaint Submitted", "Complaint Rerouted"],
      detail: { platform: [id] },
    });
    const target = onlyOne<Cfn>(rule.Properties.Targets, `target of ${id}'s rule`);
    expect(target.Arn).toEqual(arnOf(platformQueues(json, id).queue));
    expect(target.InputPath).toBe("$.detail");
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(3600);
    expect(target.DeadLetterConfig).toEqual({ Arn: arnOf(routingDlq) });
  });

  it.each(ENABLED_IDS)("lets EventBridge, from this account only, put on %s's queue", (id) => {
    const sends = grantsOf(queuePolicyStatements(json, platformQueues(json, id).queue), "sqs:SendMessage");
    expect(sends.map((s) => s.Principal)).toEqual([{ Service: "events.amazonaws.com" }]);
    expect(sends[0]?.Condition).toEqual({ StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } });
  });

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
