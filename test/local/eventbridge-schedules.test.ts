/**
 * Schedule rules in the local EventBridge: taken from a CDK template as `cdk deploy` ships them, validated as
 * PutRule validates them, run on demand (runSchedules) with exactly the event EventBridge sends, and run by
 * themselves as the local cloud's clock passes their fire times.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction, SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { Function as LambdaFn } from "aws-cdk-lib/aws-lambda";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StackTemplate } from "../../local/assembly/cloud-assembly.js";
import { LocalClock } from "../../local/clock.js";
import { handleEventBridgeRequest } from "../../local/eventbridge/eventbridge-json-protocol.js";
import { EventBridgeError, LocalEventBridge } from "../../local/eventbridge/local-event-bridge.js";
import type { ScheduleTimers } from "../../local/eventbridge/schedules.js";
import { SqsEngine } from "../../local/sqs/sqs-engine.js";
import { buildStackModel } from "../../local/template/stack-model.js";

const REGION = "cn-north-1";
const ACCOUNT = "000000000000";
const lambdaArn = (name: string) => `arn:aws-cn:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const queueArn = (name: string) => `arn:aws-cn:sqs:${REGION}:${ACCOUNT}:${name}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let stateDir: string;
let sqs: SqsEngine;
let bridge: LocalEventBridge;
let clock: LocalClock;
let calls: { arn: string; event: Record<string, unknown>; finishedAt?: number }[];
let warnings: string[];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "eventbridge-schedules-"));
  sqs = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:4566", region: REGION, fsync: false });
  await sqs.createQueue("scheduled");
  clock = new LocalClock();
  calls = [];
  warnings = [];
  bridge = new LocalEventBridge({
    stateDir,
    region: REGION,
    accountId: ACCOUNT,
    sqs,
    clock: { now: () => clock.nowMs() },
    fsync: false,
    logger: { warn: (message) => warnings.push(message) },
    invokeLambda: async (arn, event) => {
      const call: (typeof calls)[number] = { arn, event: event as Record<string, unknown> };
      calls.push(call);
      // A handler that takes a while: runSchedules must wait for it.
      await new Promise((resolve) => setTimeout(resolve, 30));
      call.finishedAt = Date.now();
    },
  });
});

afterEach(async () => {
  await bridge.close();
  await sqs.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Timers the test steps through by hand: nothing waits for real time. */
class StepTimers implements ScheduleTimers {
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  private lastId = 0;

  set(callback: () => void, ms: number): number {
    this.lastId++;
    this.pending.set(this.lastId, { callback, ms });
    return this.lastId;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Runs the callbacks that are waiting (the timer's wake-up), as if their time had come. */
  wake(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const { callback } of due) callback();
  }
}

function scheduleRule(name: string, scheduleExpression: string, state = "ENABLED") {
  return bridge.addRule({
    name,
    scheduleExpression,
    state,
    targets: [{ id: "Target0", arn: lambdaArn(`${name}-fn`) }],
  });
}

function errorOf(action: () => unknown): EventBridgeError {
  try {
    action();
  } catch (error) {
    if (error instanceof EventBridgeError) return error;
    throw error;
  }
  throw new Error("expected an EventBridgeError");
}

describe("schedule rules from the template", () => {
  it("takes CDK's Schedule.rate / Schedule.cron rules on the default bus, with their state", async () => {
    const app = new App();
    const stack = new Stack(app, "ScheduleStack", { env: { account: ACCOUNT, region: REGION } });
    const fn = LambdaFn.fromFunctionArn(stack, "ChaseFunction", lambdaArn("chase-deadlines"));
    new Rule(stack, "Chase", {
      ruleName: "chase-deadlines",
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(5) })],
    });
    new Rule(stack, "Nightly", {
      ruleName: "nightly",
      schedule: Schedule.cron({ minute: "0", hour: "2" }),
      enabled: false,
      targets: [new SqsQueue(new Queue(stack, "Scheduled", { queueName: "scheduled" }))],
    });
    const template = Template.fromStack(stack).toJSON() as StackTemplate;
    const model = buildStackModel(
      {
        assemblyDir: stateDir,
        stackName: stack.stackName,
        region: REGION,
        template,
        assetDirectory: () => stateDir,
      },
      { accountId: ACCOUNT, partition: "aws-cn", awsEndpoint: "http://127.0.0.1:4566" },
    );
    expect(model.rules).toEqual([
      expect.objectContaining({
        name: "chase-deadlines",
        busName: "default",
        scheduleExpression: "rate(5 minutes)",
        state: "ENABLED",
      }),
      expect.objectContaining({
        name: "nightly",
        scheduleExpression: "cron(0 2 * * ? *)",
        state: "DISABLED",
      }),
    ]);
    expect(model.rules[0]).not.toHaveProperty("eventPattern");
    for (const rule of model.rules) bridge.addRule(rule);

    const described = await handleEventBridgeRequest(bridge, "DescribeRule", { Name: "chase-deadlines" });
    expect(described.body).toEqual({
      Name: "chase-deadlines",
      Arn: `arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/chase-deadlines`,
      ScheduleExpression: "rate(5 minutes)",
      State: "ENABLED",
      EventBusName: "default",
      CreatedBy: ACCOUNT,
    });
    const listed = await handleEventBridgeRequest(bridge, "ListRules", {});
    expect((listed.body as { Rules: unknown[] }).Rules).toEqual([
      expect.objectContaining({ Name: "chase-deadlines", ScheduleExpression: "rate(5 minutes)" }),
      expect.objectContaining({
        Name: "nightly",
        ScheduleExpression: "cron(0 2 * * ? *)",
        State: "DISABLED",
      }),
    ]);

    const runs = await bridge.runSchedules();
    expect(runs.map((run) => run.ruleName)).toEqual(["chase-deadlines"]);
    expect(calls.map((call) => call.arn)).toEqual([lambdaArn("chase-deadlines")]);
  });

  it("refuses what PutRule refuses, with EventBridge's messages", () => {
    bridge.addBus("custom");
    const onCustomBus = errorOf(() =>
      bridge.addRule({ name: "custom-schedule", busName: "custom", scheduleExpression: "rate(5 minutes)" }),
    );
    expect([onCustomBus.code, onCustomBus.message]).toEqual([
      "ValidationException",
      "ScheduleExpression is supported only on the default event bus.",
    ]);
    const invalid = errorOf(() => bridge.addRule({ name: "bad", scheduleExpression: "rate(1 minutes)" }));
    expect([invalid.code, invalid.message]).toEqual([
      "ValidationException",
      "Parameter ScheduleExpression is not valid.",
    ]);
    const neither = errorOf(() => bridge.addRule({ name: "empty" }));
    expect(neither.message).toBe("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    expect(bridge.listRules().map((rule) => rule.name)).toEqual([]);
  });
});

describe("runSchedules", () => {
  it("sends each target exactly the Scheduled Event EventBridge sends, and waits for the handlers", async () => {
    clock.set(new Date("2026-11-28T15:20:00.400Z"));
    const ruleArn = scheduleRule("chase", "rate(5 minutes)");
    bridge.addRule({
      name: "chase-to-queue",
      scheduleExpression: "cron(0/15 * * * ? *)",
      targets: [{ id: "Queue", arn: queueArn("scheduled") }],
    });

    const runs = await bridge.runSchedules();

    expect(runs).toEqual([
      { ruleName: "chase", ruleArn, eventId: expect.stringMatching(UUID), time: "2026-11-28T15:20:00Z" },
      {
        ruleName: "chase-to-queue",
        ruleArn: `arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/chase-to-queue`,
        eventId: expect.stringMatching(UUID),
        time: "2026-11-28T15:20:00Z",
      },
    ]);
    // The handler has finished when runSchedules resolves.
    expect(calls).toHaveLength(1);
    expect(calls[0]?.finishedAt).toBeDefined();
    const event = calls[0]?.event;
    expect(Object.keys(event ?? {})).toEqual([
      "version",
      "id",
      "detail-type",
      "source",
      "account",
      "time",
      "region",
      "resources",
      "detail",
    ]);
    expect(event).toEqual({
      version: "0",
      id: runs[0]?.eventId,
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: ACCOUNT,
      time: "2026-11-28T15:20:00Z",
      region: REGION,
      resources: [ruleArn],
      detail: {},
    });

    const [message] = await sqs.receiveMessages("scheduled", { max: 10, waitTimeSeconds: 0 });
    expect(message?.Body).toBe(
      `{"version":"0","id":"${runs[1]?.eventId}","detail-type":"Scheduled Event","source":"aws.events",` +
        `"account":"${ACCOUNT}","time":"2026-11-28T15:20:00Z","region":"${REGION}",` +
        `"resources":["arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/chase-to-queue"],"detail":{}}`,
    );
  });

  it("runs only the named rule, never a disabled one, and keeps scheduled events off the bus", async () => {
    scheduleRule("chase", "rate(5 minutes)");
    scheduleRule("stats", "cron(0 2 * * ? *)");
    scheduleRule("paused", "rate(1 minute)", "DISABLED");
    bridge.addRule({
      name: "everything-on-default",
      eventPattern: { source: [{ prefix: "" }] },
      targets: [{ id: "Target0", arn: lambdaArn("listener") }],
    });

    expect((await bridge.runSchedules({ ruleName: "stats" })).map((run) => run.ruleName)).toEqual(["stats"]);
    expect(await bridge.runSchedules({ ruleName: "paused" })).toEqual([]);
    expect((await bridge.runSchedules()).map((run) => run.ruleName)).toEqual(["chase", "stats"]);
    expect(calls.map((call) => call.arn)).toEqual([
      lambdaArn("stats-fn"),
      lambdaArn("chase-fn"),
      lambdaArn("stats-fn"),
    ]);

    await expect(bridge.runSchedules({ ruleName: "nope" })).rejects.toMatchObject({
      code: "ResourceNotFoundException",
    });
    await expect(bridge.runSchedules({ ruleName: "everything-on-default" })).rejects.toMatchObject({
      code: "ValidationException",
      message: "Rule everything-on-default has no ScheduleExpression.",
    });

    // A schedule-only rule matches no event put on the bus.
    calls.length = 0;
    await bridge.putEvents([{ Source: "complaint-hub", DetailType: "Anything", Detail: "{}" }]);
    await bridge.drain();
    expect(calls.map((call) => call.arn)).toEqual([lambdaArn("listener")]);
  });
});

describe("automatic runs", () => {
  it("runs a rate rule each time the clock passes a period, once after a jump, and stops with the bus", async () => {
    const timers = new StepTimers();
    const start = new Date("2026-11-28T15:20:00Z");
    clock.set(start);
    scheduleRule("chase", "rate(1 minute)");
    scheduleRule("paused", "rate(1 minute)", "DISABLED");
    bridge.startSchedules({ timers });
    const step = async (ms: number) => {
      clock.advance(ms);
      timers.wake();
      await bridge.drain();
    };

    // The timer sleeps at most a second, so that a moved clock is noticed.
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([1000]);
    await step(30_000);
    expect(calls).toHaveLength(0);
    await step(30_000);
    expect(calls.map((call) => call.event.time)).toEqual(["2026-11-28T15:21:00Z"]);
    expect(calls[0]?.event.resources).toEqual([`arn:aws-cn:events:${REGION}:${ACCOUNT}:rule/chase`]);

    // Six days later: one late run, not thousands of missed ones.
    await step(6 * 24 * 60 * 60_000);
    expect(calls).toHaveLength(2);
    await step(1000);
    expect(calls).toHaveLength(2);

    // Back in time: the schedule plans from the new time.
    clock.set(start);
    timers.wake();
    await step(60_000);
    expect(calls.map((call) => call.event.time)).toEqual([
      "2026-11-28T15:21:00Z",
      "2026-12-04T15:21:00Z",
      "2026-11-28T15:21:00Z",
    ]);

    await bridge.close();
    expect(timers.pending.size).toBe(0);
    await step(60_000);
    expect(calls).toHaveLength(3);
    expect(calls.every((call) => call.arn === lambdaArn("chase-fn"))).toBe(true);
  });

  it("follows rules added, replaced or disabled while running, and stopSchedules clears the timer", async () => {
    const timers = new StepTimers();
    clock.set(new Date("2026-11-28T15:20:30Z"));
    bridge.startSchedules({ timers });
    scheduleRule("stats", "cron(* * * * ? *)");
    timers.wake();
    // A cron rule sleeps until its next minute when that is sooner than a second.
    clock.set(new Date("2026-11-28T15:20:59.600Z"));
    timers.wake();
    const [sleep] = [...timers.pending.values()].map((timer) => timer.ms);
    expect(sleep).toBeGreaterThan(300);
    expect(sleep).toBeLessThanOrEqual(400);
    clock.advance(400);
    timers.wake();
    await bridge.drain();
    expect(calls.map((call) => call.event.time)).toEqual(["2026-11-28T15:21:00Z"]);

    scheduleRule("stats", "cron(* * * * ? *)", "DISABLED");
    clock.advance(60_000);
    timers.wake();
    await bridge.drain();
    expect(calls).toHaveLength(1);

    bridge.stopSchedules();
    expect(timers.pending.size).toBe(0);
  });

  it("runs on real timers, unref'd, noticing a moved clock within recheckMs", async () => {
    scheduleRule("chase", "rate(5 minutes)");
    bridge.startSchedules({ recheckMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toHaveLength(0);
    clock.advance(5 * 60_000);
    const deadline = Date.now() + 2000;
    while (calls.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await bridge.drain();
    expect(calls).toHaveLength(1);
    expect(Date.parse(calls[0]?.event.time as string)).toBeGreaterThan(Date.now() + 4 * 60_000);

    await bridge.close();
    clock.advance(5 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toHaveLength(1);
    expect(warnings).toEqual([]);
  });
});
