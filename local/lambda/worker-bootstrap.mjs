// One Lambda execution environment: loads the function's bundled handler once and runs one invocation at
// a time, like the Lambda runtime. Plain JavaScript: it runs inside a worker thread without a TS loader.
import dgram from "node:dgram";
import net from "node:net";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

// Nothing leaves the machine: TCP and UDP are refused unless they go to a loopback address.
const isLoopback = (host) =>
  host === undefined ||
  host === "localhost" ||
  /^127\./.test(host) ||
  host === "::1" ||
  host === "::ffff:127.0.0.1";
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const options =
    typeof args[0] === "object" && args[0] !== null
      ? Array.isArray(args[0])
        ? args[0][0]
        : args[0]
      : { host: args[1] };
  const host = options?.host ?? (typeof args[1] === "string" ? args[1] : undefined);
  if (!options?.path && !isLoopback(host)) {
    const error = Object.assign(
      new Error(`Local cloud: connection to ${host} refused (only loopback is reachable)`),
      {
        code: "ECONNREFUSED",
      },
    );
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return originalConnect.apply(this, args);
};
const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(...args) {
  const address = args.find((a, i) => i > 0 && typeof a === "string");
  if (address && !isLoopback(address)) return;
  return originalSend.apply(this, args);
};

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
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const handler = await loadHandler();
    const result = await handler(event, context);
    parentPort.postMessage({ invocationId, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const errorType = error?.name ?? "Error";
    parentPort.postMessage({
      invocationId,
      ok: false,
      errorType,
      errorMessage: String(error?.message ?? error),
    });
  }
});
