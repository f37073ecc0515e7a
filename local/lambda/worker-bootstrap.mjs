// One Lambda execution environment: loads the function's bundled handler once and runs one invocation at
// a time, like the Lambda runtime. Plain JavaScript: it runs inside a worker thread without a TS loader.
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import net from "node:net";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { installShiftedDate } from "./shifted-date.mjs";

// The function sees the local cloud's clock (local/clock.ts) from before its bundle is imported; the
// runtime keeps the real time for its own deadlines, which the parent measures in real time.
const RealDate = workerData.clockOffset ? installShiftedDate(workerData.clockOffset) : Date;

// Nothing leaves the machine: TCP and UDP are refused unless they go to a loopback address.
const isLoopback = (host) =>
  host === undefined ||
  host === "localhost" ||
  /^127\./.test(host) ||
  host === "::1" ||
  host === "::ffff:127.0.0.1";
const refused = (host) =>
  Object.assign(new Error(`Local cloud: connection to ${host} refused (only loopback is reachable)`), {
    code: "ECONNREFUSED",
  });
// Reports a refused UDP operation the way dgram reports its own errors: to the callback, else as 'error'.
const refuseUdp = (socket, host, args) => {
  const callback = args.findLast((a) => typeof a === "function");
  const error = refused(host);
  process.nextTick(() => (callback ? callback(error) : socket.emit("error", error)));
};
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const options =
    typeof args[0] === "object" && args[0] !== null
      ? Array.isArray(args[0])
        ? args[0][0]
        : args[0]
      : { host: typeof args[1] === "string" ? args[1] : undefined };
  const host = options?.host ?? (typeof args[1] === "string" ? args[1] : undefined);
  if (!options?.path && !isLoopback(host)) {
    const error = refused(host);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return originalConnect.apply(this, args);
};
const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(...args) {
  const address = args.find((a, i) => i > 0 && typeof a === "string");
  if (address && !isLoopback(address)) return refuseUdp(this, address, args);
  return originalSend.apply(this, args);
};
// A connected UDP socket sends without naming an address, so the connect itself must be guarded too.
const originalDgramConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function guardedDgramConnect(...args) {
  const address = typeof args[1] === "string" ? args[1] : undefined;
  if (address && !isLoopback(address)) return refuseUdp(this, address, args);
  return originalDgramConnect.apply(this, args);
};

// Worker stdio reaches the parent on another channel than the result: a write's callback runs once the
// parent has taken the data, so waiting for an empty write keeps the invocation's log lines before its END.
const flushed = (stream) => new Promise((resolve) => stream.write("", () => resolve()));
const flushOutput = () => Promise.all([flushed(process.stdout), flushed(process.stderr)]);

// Diagnostics (npm run bench): this environment's CPU profile, between the local cloud's start-profile and
// write-profile messages.
let profiler;
let profileFile;

async function startProfile(file) {
  if (profiler) return;
  profiler = new Session();
  profiler.connect();
  profileFile = file;
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
}

async function writeProfile() {
  if (!profiler) return;
  const session = profiler;
  profiler = undefined;
  try {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(profileFile, JSON.stringify(profile));
  } catch (error) {
    console.error(`CPU profile not written: ${error?.message ?? error}`);
  } finally {
    session.disconnect();
  }
}

if (workerData.cpuProfileFile) await startProfile(workerData.cpuProfileFile);

let handlerPromise;
function loadHandler() {
  handlerPromise ??= import(pathToFileURL(workerData.handlerFile).href).then((module) => {
    const handler = module[workerData.handlerExport];
    if (typeof handler !== "function") {
      throw Object.assign(new Error(`${workerData.handlerExport} is not a function in the bundle`), {
        name: "Runtime.HandlerNotFound",
      });
    }
    return handler;
  });
  return handlerPromise;
}

parentPort.on("message", async (message) => {
  if (message.kind === "start-profile") {
    await startProfile(message.file);
    return;
  }
  if (message.kind === "write-profile") {
    await writeProfile();
    parentPort.postMessage({ kind: "profile-written" });
    return;
  }
  const { invocationId, event, deadlineMs, requestId, traceId } = message;
  process.env._X_AMZN_TRACE_ID = traceId;
  const context = {
    awsRequestId: requestId,
    functionName: workerData.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    logGroupName: workerData.logGroupName,
    logStreamName: workerData.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - RealDate.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const handler = await loadHandler();
    const result = await handler(event, context);
    await flushOutput();
    parentPort.postMessage({ invocationId, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const errorType = error?.name ?? "Error";
    await flushOutput();
    parentPort.postMessage({
      invocationId,
      ok: false,
      errorType,
      errorMessage: String(error?.message ?? error),
    });
  }
});
