/**
 * Queues: every platform's queue has its DLQ after the stage's attempts, the hub key, 14 days' retention and
 * TLS only; push queues feed their delivery function with partial batch responses and the platform's
 * concurrency cap; pull queues are consumed by the platform's own principal and nothing else.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORMS } from "../../infra/platforms";
import { STAGES } from "../../infra/stages";
import {
  arnOf,
  type Cfn,
  functionByService,
  grantsOf,
  keyId,
  list,
  mappingsFrom,
  onlyOne,
  PULL_PLATFORMS,
  PUSH_PLATFORMS,
  platformQueues,
  queuePolicyStatements,
  resourcesOfType,
  type Statement,
  synthHub,
} from "./hub-template";

const CONSUME_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
  "sqs:GetQueueUrl",
];
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;
const dev = STAGES.dev as NonNullable<(typeof STAGES)["dev"]>;

let json: Cfn;
beforeAll(() => {
  json = synthHub().json;
});

const deniesPlainHttp = (statements: readonly Statement[]) =>
  statements.some(
    (s) =>
      s.Effect === "Deny" &&
      list(s.Action).includes("sqs:*") &&
      JSON.stringify(s.Principal) === JSON.stringify({ AWS: "*" }) &&
      s.Condition?.Bool?.["aws:SecureTransport"] === "false",
  );

/** What takes messages off a queue (the other two consume actions only read metadata). */
const RECEIVE_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"];

/** Allow statements in a queue's policy that let a principal receive, delete or hide its messages. */
const consumeGrants = (queue: string) =>
  queuePolicyStatements(json, queue).filter((s) => RECEIVE_ACTIONS.some((a) => grantsOf([s], a).length > 0));

describe("every platform queue", () => {
  it.each(PLATFORMS.map((p) => p.id))("%s: dead-letters after the stage's attempts", (id) => {
    const { queue, dlq } = platformQueues(json, id);
    expect(json.Resources[queue].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(dlq),
      maxReceiveCount: dev.delivery.retry.maxAttempts,
    });
    expect(json.Resources[dlq].Properties.RedrivePolicy).toBeUndefined();
  });

  it.each(PLATFORMS.map((p) => p.id))(
    "%s: queue and DLQ use the hub key, keep 14 days, refuse plain HTTP",
    (id) => {
      const key = keyId(json);
      for (const q of Object.values(platformQueues(json, id))) {
        const props = json.Resources[q].Properties;
        expect(props.KmsMasterKeyId, q).toEqual(arnOf(key));
        expect(props.MessageRetentionPeriod, q).toBe(FOURTEEN_DAYS);
        expect(props.SqsManagedSseEnabled, q).toBeUndefined();
        expect(deniesPlainHttp(queuePolicyStatements(json, q)), q).toBe(true);
      }
    },
  );
});

describe("every queue in the stack", () => {
  it("uses the hub key, keeps 14 days and refuses plain HTTP", () => {
    const key = keyId(json);
    const queues = resourcesOfType(json, "AWS::SQS::Queue");
    // 2 per platform, triage and its DLQ, the routing DLQ, and the publisher's and statistics' failure queues
    expect(queues).toHaveLength(2 * PLATFORMS.length + 5);
    for (const [id, queue] of queues) {
      expect(queue.Properties.KmsMasterKeyId, id).toEqual(arnOf(key));
      expect(queue.Properties.MessageRetentionPeriod, id).toBe(FOURTEEN_DAYS);
      expect(deniesPlainHttp(queuePolicyStatements(json, id)), id).toBe(true);
    }
  });
});

describe("push platform queues", () => {
  it.each(PUSH_PLATFORMS.map((p) => [p.id, p] as const))(
    "%s: visibility covers 6 delivery timeouts",
    (id) => {
      const { queue } = platformQueues(json, id);
      const [, fn] = functionByService(json, `deliver-${id}`);
      expect(fn.Properties.Timeout).toBeGreaterThan(0);
      expect(json.Resources[queue].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
        6 * fn.Properties.Timeout,
      );
    },
  );

  it.each(PUSH_PLATFORMS.map((p) => [p.id, p] as const))(
    "%s: feeds its own delivery function with partial batch responses and its concurrency cap",
    (id, platform) => {
      const { queue, dlq } = platformQueues(json, id);
      const [fnId] = functionByService(json, `deliver-${id}`);
      const [, mapping] = onlyOne(mappingsFrom(json, queue), `event source mapping of ${id}`);
      expect(mapping.Properties.FunctionName).toEqual({ Ref: fnId });
      expect(mapping.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      expect(mapping.Properties.ScalingConfig).toEqual({
        MaximumConcurrency: platform.delivery.maxConcurrency,
      });
      expect(mapping.Properties.BatchSize).toBe(dev.delivery.batchSize);
      expect(mappingsFrom(json, dlq)).toEqual([]);
    },
  );

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: grants no consumer in its queue policy", (id) => {
    expect(consumeGrants(platformQueues(json, id).queue)).toEqual([]);
  });

  it("maps exactly the push queues", () => {
    const sqsMappings = resourcesOfType(json, "AWS::Lambda::EventSourceMapping").filter(([, m]) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('"Arn"'),
    );
    expect(sqsMappings).toHaveLength(PUSH_PLATFORMS.length);
  });
});

describe("pull platform queues", () => {
  it("covers at least two platforms", () => {
    expect(PULL_PLATFORMS.length).toBeGreaterThanOrEqual(2);
  });

  it.each(PULL_PLATFORMS.map((p) => p.id))("%s: has no event source mapping on its queue or DLQ", (id) => {
    const { queue, dlq } = platformQueues(json, id);
    expect(mappingsFrom(json, queue)).toEqual([]);
    expect(mappingsFrom(json, dlq)).toEqual([]);
    expect(() => functionByService(json, `deliver-${id}`)).toThrow(/found 0/);
  });

  it.each(PULL_PLATFORMS.map((p) => p.id))(
    "%s: lets the pull principal, and only it, consume the queue",
    (id) => {
      const { queue } = platformQueues(json, id);
      const grants = consumeGrants(queue);
      const grant = onlyOne(grants, `consume grant on ${id}'s queue`);
      expect(grant.Effect).toBe("Allow");
      expect([...list(grant.Action)].sort()).toEqual([...CONSUME_ACTIONS].sort());
      expect(grant.Resource).toEqual(arnOf(queue));
      // dev pulls with the deploying account's own principal; prod passes the platform's (deployment-data.test)
      expect(grant.Principal).toEqual({
        AWS: { "Fn::Join": ["", ["arn:aws-cn:iam::", { Ref: "AWS::AccountId" }, ":root"]] },
      });
      // Besides the pull principal, only EventBridge is allowed anything: to send
      const others = queuePolicyStatements(json, queue).filter((s) => s.Effect === "Allow" && s !== grant);
      expect(others.map((s) => s.Principal)).toEqual([{ Service: "events.amazonaws.com" }]);
    },
  );

  it.each(PULL_PLATFORMS.map((p) => p.id))("%s: leaves its DLQ to operators", (id) => {
    expect(consumeGrants(platformQueues(json, id).dlq)).toEqual([]);
  });
});
