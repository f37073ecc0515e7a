/**
 * The local cloud's clock inside function workers (local/lambda/shifted-date.mjs): a bundle run by
 * LocalFunction sees real time plus the LocalClock's offset, read live from shared memory, while Date keeps
 * behaving as the real one (instanceof both ways, parse, UTC, subclasses) and offset 0 is plain real time.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalClock } from "../../local/clock";
import { type InvokeResult, LocalFunction } from "../../local/lambda/local-function";

const REGION = "cn-north-1";
const DAY_MS = 24 * 60 * 60 * 1000;

/** What a handler can observe about Date; `sent` is a Date made in the parent and cloned into the worker. */
const HANDLER = `
export async function handler(event, context) {
  const now = Date.now();
  const made = new Date();
  class Stamp extends Date {}
  const stamp = new Stamp(0);
  return {
    now,
    made: made.getTime(),
    called: Date(),
    fromMillis: new Date(86400000).toISOString(),
    fromParts: new Date(2026, 10, 28, 15, 20).getTime() - new Date(2026, 10, 28, 15, 20).getTimezoneOffset() * 60000,
    fromText: new Date("2026-11-28T15:20:00Z").getTime(),
    parse: Date.parse("2026-11-28T15:20:00Z"),
    utc: Date.UTC(2026, 10, 28, 15, 20),
    name: Date.name,
    length: Date.length,
    native: Function.prototype.toString.call(Date).includes("[native code]"),
    madeIsDate: made instanceof Date,
    samePrototype: Object.getPrototypeOf(made) === Date.prototype,
    constructorIsDate: made.constructor === Date,
    copy: new made.constructor(made).getTime() === made.getTime(),
    clonedIsDate: structuredClone(made) instanceof Date,
    sentIsDate: event.sent instanceof Date,
    sent: event.sent.getTime(),
    stamp: stamp instanceof Stamp && stamp instanceof Date && stamp.getTime() === 0,
    remainingMs: context.getRemainingTimeInMillis(),
    result: made,
  };
}
`;

interface Observed {
  now: number;
  made: number;
  called: string;
  fromMillis: string;
  fromParts: number;
  fromText: number;
  parse: number;
  utc: number;
  name: string;
  length: number;
  native: boolean;
  madeIsDate: boolean;
  samePrototype: boolean;
  constructorIsDate: boolean;
  copy: boolean;
  clonedIsDate: boolean;
  sentIsDate: boolean;
  sent: number;
  stamp: boolean;
  remainingMs: number;
  result: Date;
}

let dir: string;
let functions: LocalFunction[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "shifted-date-"));
  await writeFile(join(dir, "index.mjs"), HANDLER);
  functions = [];
});

afterEach(async () => {
  await Promise.all(functions.map((fn) => fn.close()));
  await rm(dir, { recursive: true, force: true });
});

function dateFunction(clock?: LocalClock): LocalFunction {
  const fn = new LocalFunction(
    {
      logicalId: "DateFunction",
      name: "hub-date",
      arn: `arn:aws-cn:lambda:${REGION}:000000000000:function:hub-date`,
      handlerFile: join(dir, "index.mjs"),
      handlerExport: "handler",
      environment: {},
      timeoutSeconds: 10,
      memorySize: 128,
      logGroupName: "/aws/lambda/hub-date",
      maxConcurrency: 1,
    },
    {
      region: REGION,
      awsEndpoint: "http://127.0.0.1:4566",
      logDir: join(dir, "logs"),
      ...(clock ? { clockOffset: clock.sharedOffset } : {}),
    },
  );
  functions.push(fn);
  return fn;
}

async function observe(fn: LocalFunction): Promise<Observed> {
  const result: InvokeResult = await fn.invoke({ sent: new Date(1_000) });
  if (!result.ok) throw new Error(`${result.errorType}: ${result.errorMessage}`);
  return result.payload as Observed;
}

/** Date behaviour that does not depend on the offset. */
function expectRealDateBehaviour(seen: Observed): void {
  expect(seen).toMatchObject({
    fromMillis: "1970-01-02T00:00:00.000Z",
    fromParts: Date.UTC(2026, 10, 28, 15, 20),
    fromText: Date.parse("2026-11-28T15:20:00Z"),
    parse: Date.parse("2026-11-28T15:20:00Z"),
    utc: Date.UTC(2026, 10, 28, 15, 20),
    name: "Date",
    length: 7,
    madeIsDate: true,
    samePrototype: true,
    constructorIsDate: true,
    copy: true,
    clonedIsDate: true,
    sentIsDate: true,
    sent: 1_000,
    stamp: true,
  });
  // The deadline is kept in real time, whatever the clock says.
  expect(seen.remainingMs).toBeGreaterThan(8_000);
  expect(seen.remainingMs).toBeLessThanOrEqual(10_000);
  // A date made in the worker is a Date here too.
  expect(seen.result).toBeInstanceOf(Date);
}

describe("Date in a function worker", () => {
  it("is real time plus the clock's offset, read on every call", async () => {
    const clock = new LocalClock();
    const fn = dateFunction(clock);
    clock.advance(6 * DAY_MS);
    const shifted = await observe(fn);
    const expected = Date.now() + 6 * DAY_MS;
    expect(Math.abs(shifted.now - expected)).toBeLessThan(2_000);
    expect(Math.abs(shifted.made - expected)).toBeLessThan(2_000);
    expect(Math.abs(shifted.result.getTime() - expected)).toBeLessThan(2_000);
    // Date() without new answers the shifted time as text (second precision).
    expect(Math.abs(Date.parse(shifted.called) - expected)).toBeLessThan(3_000);
    expect(shifted.native).toBe(false);
    expectRealDateBehaviour(shifted);

    // The same environment follows the clock as it moves: set() and back to real time.
    clock.set(new Date("2030-01-01T00:00:00Z"));
    const set = await observe(fn);
    expect(Math.abs(set.now - Date.parse("2030-01-01T00:00:00Z"))).toBeLessThan(2_000);
    clock.reset();
    const real = await observe(fn);
    expect(Math.abs(real.now - Date.now())).toBeLessThan(1_000);
    expect(Math.abs(real.made - Date.now())).toBeLessThan(1_000);
    expectRealDateBehaviour(real);
  });

  it("is the real Date when the function runs without a clock", async () => {
    const seen = await observe(dateFunction());
    expect(seen.native).toBe(true);
    expect(Math.abs(seen.now - Date.now())).toBeLessThan(1_000);
    expectRealDateBehaviour(seen);
  });
});
