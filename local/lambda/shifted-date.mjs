// The local cloud's clock inside a function's worker thread: replaces globalThis.Date with one that reads
// real time plus the offset the parent keeps in shared memory (local/clock.ts), on every call, so a test that
// moves the clock moves every function's "now" at once. Everything else is the real Date: the same prototype
// (instanceof holds both ways, with dates from either side), parse and UTC unchanged, and with offset 0 the
// behaviour is the real Date's. Plain JavaScript: the worker runs without a TS loader.

/** Installs the shifted Date; returns the real one (for the runtime's own timekeeping, e.g. deadlines). */
export function installShiftedDate(sharedOffset) {
  const RealDate = globalThis.Date;
  const offset = new Float64Array(sharedOffset);
  const nowMs = function now() {
    return RealDate.now() + offset[0];
  };

  // `function`, not `class`: Date() called without new must work and answer a string, as the real one does.
  function ShiftedDate(...args) {
    if (new.target === undefined) return new RealDate(nowMs()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [nowMs()] : args, new.target);
  }
  Object.defineProperty(ShiftedDate, "name", { value: "Date" });
  Object.defineProperty(ShiftedDate, "length", { value: RealDate.length });
  Object.defineProperty(ShiftedDate, "prototype", { value: RealDate.prototype, writable: false });
  // Code that copies a date with `new date.constructor(date)` gets this Date too.
  Object.defineProperty(RealDate.prototype, "constructor", {
    value: ShiftedDate,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  ShiftedDate.now = nowMs;
  ShiftedDate.parse = RealDate.parse;
  ShiftedDate.UTC = RealDate.UTC;

  globalThis.Date = ShiftedDate;
  return RealDate;
}
