/**
 * `npm start`: synthesizes the CDK app (or reuses an up-to-date assembly) and runs it on this machine.
 *   npm start -- [--reset] [--stage dev] [--state-dir .hub] [--api-port 3000] [--aws-port 4566]
 *                [--sandbox-port 4010] [--no-pull-clients] [--verbose] [--assembly-dir <dir>]
 * Ports and the state folder can also be set with HUB_API_PORT, HUB_AWS_PORT, HUB_SANDBOX_PORT, HUB_STATE_DIR;
 * `--assembly-dir` (HUB_ASSEMBLY_DIR) keeps the synthesized assembly elsewhere than the state folder.
 */
import { parseArgs } from "node:util";
import { LocalCloud } from "./local-cloud";

const { values } = parseArgs({
  options: {
    reset: { type: "boolean", default: false },
    stage: { type: "string", default: process.env.HUB_STAGE ?? "dev" },
    "state-dir": { type: "string", default: process.env.HUB_STATE_DIR ?? ".hub" },
    "assembly-dir": { type: "string", default: process.env.HUB_ASSEMBLY_DIR },
    "api-port": { type: "string", default: process.env.HUB_API_PORT ?? "3000" },
    "aws-port": { type: "string", default: process.env.HUB_AWS_PORT ?? "4566" },
    "sandbox-port": { type: "string", default: process.env.HUB_SANDBOX_PORT ?? "4010" },
    "no-pull-clients": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "npm start -- [--reset] [--stage dev] [--state-dir .hub] [--api-port 3000] [--aws-port 4566] [--sandbox-port 4010] [--no-pull-clients] [--verbose] [--assembly-dir <dir>]",
  );
  process.exit(0);
}

const port = (value: string, flag: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${flag} must be a port number (got ${value})`);
    process.exit(2);
  }
  return n;
};

let progressShown = false;
try {
  const cloud = await LocalCloud.start({
    projectRoot: process.cwd(),
    stateDir: values["state-dir"],
    ...(values["assembly-dir"] ? { assemblyDir: values["assembly-dir"] } : {}),
    stage: values.stage,
    reset: values.reset,
    apiPort: port(values["api-port"], "--api-port"),
    awsPort: port(values["aws-port"], "--aws-port"),
    sandboxPort: port(values["sandbox-port"], "--sandbox-port"),
    pullClients: !values["no-pull-clients"],
    echoFunctionLogs: values.verbose,
    onProgress: (line) => {
      progressShown = true;
      process.stdout.write(`\r\x1b[2K${line.slice(0, 110)}`);
    },
  });
  if (progressShown) process.stdout.write("\r\x1b[2K");
  console.log(`Complaint Hub (${values.stage}) is running locally.
  API:               ${cloud.apiUrl}
  AWS endpoint:      ${cloud.awsEndpoint}   (AWS_ENDPOINT_URL for any SDK or the AWS CLI; region ${cloud.region})
  Sandbox platforms: ${cloud.sandboxUrl}/_sandbox
  State:             ${cloud.stateDir}
Press Ctrl-C to stop; npm start again continues from the same state.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log("\nStopping…");
    await cloud.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  if (progressShown) process.stdout.write("\r\x1b[2K");
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
}
