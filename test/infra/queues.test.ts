/**
 * Queues: every platform's queue and urgent queue dead-letter into its one DLQ after the stage's attempts, with
 * the hub key, 14 days' retention and TLS only; push queues feed their delivery function with partial batch
 * responses (the normal queue with the platform's concurrency cap, the urgent queue with pollers of its own);
 * pull queues are consumed by the platform's own principal and nothing else.
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
  it.each(PLATFORMS.map((p) => p.id))("%s: queue and urgent queue dead-letter into one DLQ", (id) => {
    const { queue, urgent, dlq } = platformQueues(json, id);
    for (const source of [queue, urgent]) {
      expect(json.Resources[source].Properties.RedrivePolicy, source).toEqual({
        deadLetterTargetArn: arnOf(dlq),
        maxReceiveCount: dev.delivery.retry.maxAttempts,
      });
    }
    expect(json.Resources[dlq].Properties.RedrivePolicy).toBeUndefined();
  });

  it.each(PLATFORMS.map((p) => p.id))("%s: urgent queue has the normal queue's settings", (id) => {
    const { queue, urgent } = platformQueues(json, id);
    const { QueueName: urgentName, ...urgentProps } = json.Resources[urgent].Properties;
    const { QueueName: name, ...props } = json.Resources[queue].Properties;
    expect(urgentName).toBe(`${name}-urgent`);
    expect(urgentProps).toEqual(props);
  });

  it.each(PLATFORMS.map((p) => p.id))(
    "%s: queue, urgent queue and DLQ use the hub key, keep 14 days, refuse plain HTTP",
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
    // 3 per platform, triage and its DLQ, the routing DLQ, the publisher's and statistics' failure queues, and the
    // replay preview's queue
    expect(queues).toHaveLength(3 * PLATFORMS.length + 6);
    for (const [id, queue] of queues) {
      expect(queue.Properties.KmsMasterKeyId, id).toEqual(arnOf(key));
      // The replay preview holds a dry run's count for a minute, never a complaint: it keeps an hour.
      const preview = queue.Properties.QueueName === "complaint-hub-dev-replay-preview";
      expect(queue.Properties.MessageRetentionPeriod, id).toBe(preview ? 3600 : FOURTEEN_DAYS);
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

  it.each(PUSH_PLATFORMS.map((p) => p.id))(
    "%s: feeds the same function from its urgent queue, one at a time, with pollers of its own",
    (id) => {
      const { urgent } = platformQueues(json, id);
      const [fnId] = functionByService(json, `deliver-${id}`);
      const [, mapping] = onlyOne(mappingsFrom(json, urgent), `urgent event source mapping of ${id}`);
      expect(mapping.Properties.FunctionName).toEqual({ Ref: fnId });
      expect(mapping.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      expect(mapping.Properties.BatchSize).toBe(1);
      expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
      // Lambda's minimum: urgent notices never wait for the normal queue's pollers, and add little load.
      expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
    },
  );

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: grants no consumer in its queue policies", (id) => {
    const { queue, urgent } = platformQueues(json, id);
    expect(consumeGrants(queue)).toEqual([]);
    expect(consumeGrants(urgent)).toEqual([]);
  });

  it("maps exactly the push queues and urgent queues", () => {
    const sqsMappings = resourcesOfType(json, "AWS::Lambda::EventSourceMapping").filter(([, m]) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('"Arn"'),
    );
    expect(sqsMappings).toHaveLength(2 * PUSH_PLATFORMS.length);
  });
});

describe("pull platform queues", () => {
  it("covers at least two platforms", () => {
    expect(PULL_PLATFORMS.length).toBeGreaterThanOrEqual(2);
  });

  it.each(PULL_PLATFORMS.map((p) => p.id))("%s: has no event source mapping on any of its queues", (id) => {
    for (const queue of Object.values(platformQueues(json, id)))
      expect(mappingsFrom(json, queue)).toEqual([]);
    expect(() => functionByService(json, `deliver-${id}`)).toThrow(/found 0/);
  });

  it.each(PULL_PLATFORMS.flatMap((p) => [[p.id, "normal"] as const, [p.id, "urgent"] as const]))(
    "%s: lets the pull principal, and only it, consume its %s queue",
    (id, which) => {
      const { queue: normal, urgent } = platformQueues(json, id);
      const queue = which === "urgent" ? urgent : normal;
      const grants = consumeGrants(queue);
      const grant = onlyOne(grants, `consume grant on ${id}'s ${which} queue`);
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

describe("stack outputs", () => {
  it.each(PLATFORMS.map((p) => p.id))("%s: names its queue, urgent queue and DLQ for operators", (id) => {
    const name = id.replace(/[^A-Za-z0-9]/g, "");
    const { queue, urgent, dlq } = platformQueues(json, id);
    expect(json.Outputs[`Queue${name}`].Value).toEqual({ Ref: queue });
    expect(json.Outputs[`UrgentQueue${name}`].Value).toEqual({ Ref: urgent });
    expect(json.Outputs[`DeadLetterQueue${name}`].Value).toEqual({ Ref: dlq });
  });
});
