// One cold start, in a fresh `node` process: the parent sets the function's environment (as Lambda does),
// this loads the bundle and handles one event. Plain JavaScript, so no loader sits between node and the bundle.
//   node bench/cold-runner.mjs <bundle index.mjs> <event json file> <result json file>
// performance.now() counts from the process's start (performance.timeOrigin): `initMs` is everything before
// the handler is ready (Node's own start, this script, the bundle's import and its module-scope code),
// the analogue of Lambda's Init Duration; `firstInvokeMs` is the first invocation, clients' connections and
// the secrets' first read included.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, eventFile, resultFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, "utf8"));
const bootMs = performance.now();
const module = await import(pathToFileURL(bundle).href);
const initMs = performance.now();
const context = {
  awsRequestId: "cold-1",
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "bench",
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:bench`,
  memoryLimitInMB: "512",
  logGroupName: "/aws/lambda/bench",
  logStreamName: "bench",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
};
const started = performance.now();
const result = await module.handler(event, context);
const firstInvokeMs = performance.now() - started;
writeFileSync(
  resultFile,
  JSON.stringify({ bootMs, importMs: initMs - bootMs, initMs, firstInvokeMs, result }),
);
process.exit(0);
