/**
 * The local EventBridge keeps what it accepted: an event PutEvents answered for is delivered to its targets even
 * when the bus dies before the delivery (a SIGKILLed local cloud), once a bus on the same state folder resumes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalEventBridge } from "../../local/eventbridge/local-event-bridge";
import { PendingDeliveries } from "../../local/eventbridge/pending-deliveries";
import { SqsEngine } from "../../local/sqs/sqs-engine";

const REGION = "cn-north-1";
const ACCOUNT = "000000000000";
const BUS = "durable-bus";

let stateDir: string;
let sqs: SqsEngine;
const bridges: LocalEventBridge[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "eventbridge-durable-"));
  sqs = await SqsEngine.open({ stateDir, baseUrl: "http://127.0.0.1:1", region: REGION, accountId: ACCOUNT });
  await sqs.createQueue("routed");
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
  await sqs.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** A bus with one rule to the "routed" queue, sending through `send` (which may never answer: a dying bus). */
function bus(send: SqsEngine["sendMessage"]): LocalEventBridge {
  const bridge = new LocalEventBridge({
    stateDir,
    region: REGION,
    accountId: ACCOUNT,
    sqs: new Proxy(sqs, {
      get: (target, name, receiver) =>
        name === "sendMessage" ? send : (Reflect.get(target, name, receiver) as unknown),
    }),
    fsync: false,
  });
  bridge.addBus(BUS);
  bridge.addRule({
    name: "all",
    busName: BUS,
    eventPattern: { source: ["durable"] },
    targets: [{ id: "q", arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:routed` }],
  });
  return bridge;
}

const entries = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    EventBusName: BUS,
    Source: "durable",
    DetailType: "Test",
    Detail: JSON.stringify({ i }),
  }));
const queued = () => sqs.queueDepth("routed").visible;

describe("events accepted and not yet delivered", () => {
  it("are delivered by the next bus on the same state when the first died before delivering", async () => {
    // The first bus accepts, then never gets its deliveries through (it is as good as killed).
    const dying = bus(() => new Promise(() => undefined));
    const result = await dying.putEvents(entries(3));
    expect(result.FailedEntryCount).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(queued()).toBe(0);

    const next = bus((...args) => sqs.sendMessage(...args));
    bridges.push(next);
    expect(await next.resumePendingDeliveries()).toBe(3);
    await next.drain();
    expect(queued()).toBe(3);
    const bodies = (await sqs.receiveMessages("routed", { max: 10 })).map((m) => JSON.parse(m.Body).detail.i);
    expect(bodies.sort()).toEqual([0, 1, 2]);
  });

  it("are not delivered again once delivered", async () => {
    const first = bus((...args) => sqs.sendMessage(...args));
    await first.putEvents(entries(2));
    await first.drain();
    await first.close();
    expect(queued()).toBe(2);

    const next = bus((...args) => sqs.sendMessage(...args));
    bridges.push(next);
    expect(await next.resumePendingDeliveries()).toBe(0);
    expect(queued()).toBe(2);
  });

  it("keeps the journal short: only what is pending survives a reopen", async () => {
    const journal = await PendingDeliveries.open(stateDir, { fsync: false });
    await journal.accept([
      { id: "a", busName: BUS, text: "{}", ingestedAt: 1 },
      { id: "b", busName: BUS, text: "{}", ingestedAt: 2 },
    ]);
    journal.done("a");
    await journal.close();
    const reopened = await PendingDeliveries.open(stateDir, { fsync: false });
    expect(reopened.events().map((e) => e.id)).toEqual(["b"]);
    await reopened.close();
  });
});
