/**
 * The ops CLI's plumbing without a cloud: finding the target (a running local cloud's endpoints.json, or the stack
 * of a deployed stage through CloudFormation, mocked here), exit codes, and the output helpers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runOps } from "../../ops/cli";
import { csvRow, duration, EXIT, OpsError, Output, width } from "../../ops/output";
import { platformQueues, resolveTarget } from "../../ops/target";

const cloudFormation = mockClient(CloudFormationClient);
let stateDir: string;

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), "ops-cli-"));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
afterEach(() => cloudFormation.reset());

const endpoints = (pid: number) => ({
  stage: "dev",
  pid,
  awsEndpoint: "http://127.0.0.1:4566",
  apiUrl: "http://127.0.0.1:3000",
  sandboxUrl: "http://127.0.0.1:4010",
  region: "cn-north-1",
  accountId: "000000000000",
  outputs: { TableName: "complaint-hub-dev-complaints", Queuejd: "q", DeadLetterQueuejd: "d" },
});

describe("resolveTarget", () => {
  it("takes the local cloud that runs for the stage, and AWS when none runs", async () => {
    mkdirSync(join(stateDir, "dev"), { recursive: true });
    writeFileSync(join(stateDir, "dev", "endpoints.json"), JSON.stringify(endpoints(process.pid)));
    const local = await resolveTarget({ stage: "dev", stateDir });
    expect(local).toMatchObject({
      kind: "local",
      stage: "dev",
      region: "cn-north-1",
      apiUrl: "http://127.0.0.1:3000",
    });
    expect(local.output("TableName")).toBe("complaint-hub-dev-complaints");
    expect(() => local.output("Nope")).toThrow(OpsError);
    expect(platformQueues(local, "jd")).toEqual({ queueUrl: "q", deadLetterQueueUrl: "d" });
    local.close();

    cloudFormation.on(DescribeStacksCommand, { StackName: "ComplaintHub-dev" }).resolves({
      Stacks: [
        {
          StackName: "ComplaintHub-dev",
          CreationTime: new Date(),
          StackStatus: "UPDATE_COMPLETE",
          Outputs: [
            { OutputKey: "TableName", OutputValue: "complaint-hub-dev-complaints" },
            { OutputKey: "ApiUrl", OutputValue: "https://api.example.com/dev/" },
          ],
        },
      ],
    });
    const aws = await resolveTarget({ stage: "dev", stateDir, aws: true });
    expect(aws).toMatchObject({ kind: "aws", stage: "dev", apiUrl: "https://api.example.com/dev/" });
    expect(aws.region).toBe(process.env.AWS_REGION);
    aws.close();
  });

  it("ignores the file a local cloud that died left behind; says what is missing", async () => {
    mkdirSync(join(stateDir, "stale"), { recursive: true });
    writeFileSync(
      join(stateDir, "stale", "endpoints.json"),
      JSON.stringify({ ...endpoints(2 ** 22 + 12345), stage: "stale" }),
    );
    await expect(resolveTarget({ stage: "stale", stateDir, local: true })).rejects.toThrow(
      /No local cloud runs/,
    );
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error("Stack with id ComplaintHub-stale does not exist"), {
        name: "ValidationError",
      }),
    );
    await expect(resolveTarget({ stage: "stale", stateDir })).rejects.toMatchObject({
      exitCode: EXIT.notFound,
    });
    await expect(resolveTarget({ stage: "dev", stateDir, local: true, aws: true })).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
    await expect(resolveTarget({ stage: "Bad Stage!", stateDir })).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
  });
});

describe("runOps", () => {
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return {
      out,
      io: {
        stdout: { write: (t: string) => (out.stdout += t) },
        stderr: { write: (t: string) => (out.stderr += t) },
        env: {},
      },
    };
  };

  it("reports a failure's message and exit code, and in JSON too with --json", async () => {
    const { out, io: streams } = io();
    const code = await runOps(["--json", "stats"], streams, async () => {
      throw new OpsError("No stack ComplaintHub-dev", EXIT.notFound);
    });
    expect(code).toBe(EXIT.notFound);
    expect(out.stderr).toContain("No stack ComplaintHub-dev");
    expect(JSON.parse(out.stdout)).toEqual({ error: { message: "No stack ComplaintHub-dev", exitCode: 3 } });
  });

  it("refuses unknown platforms and bad options before reaching any target", async () => {
    const unreachable = async () => {
      throw new Error("no target expected");
    };
    expect(await runOps(["dlq", "list", "nosuch"], io().io, unreachable)).toBe(EXIT.notFound);
    expect(await runOps(["replay", "--from", "yesterday-ish"], io().io, unreachable)).toBe(EXIT.usage);
    expect(await runOps(["replay", "--from", "1h", "--to", "2h"], io().io, unreachable)).toBe(EXIT.usage);
    expect(await runOps(["status", "--bogus"], io().io, unreachable)).toBe(EXIT.usage);
    expect(await runOps(["--version-nope"], io().io, unreachable)).toBe(EXIT.usage);
    expect(await runOps(["--help"], io().io, unreachable)).toBe(EXIT.ok);
  });
});

describe("output", () => {
  it("aligns tables on display width (CJK is two columns), without colour when not a terminal", () => {
    let text = "";
    const output = new Output(
      { stdout: { write: (t: string) => (text += t) }, stderr: { write: () => undefined }, env: {} },
      {},
    );
    output.table(
      [
        { name: "淘宝", n: 3 },
        { name: "jd", n: 12 },
      ],
      [
        { header: "NAME", value: (r) => r.name },
        { header: "N", value: (r) => r.n, align: "right" },
      ],
    );
    expect(text).toBe("NAME   N\n淘宝   3\njd    12\n");
    expect(width("淘宝ab")).toBe(6);
  });

  it("colours only on a terminal without NO_COLOR", () => {
    const tty = { write: () => undefined, isTTY: true };
    expect(new Output({ stdout: tty, stderr: tty, env: {} }, {}).colors.red("x")).not.toBe("x");
    expect(new Output({ stdout: tty, stderr: tty, env: { NO_COLOR: "1" } }, {}).colors.red("x")).toBe("x");
    expect(new Output({ stdout: tty, stderr: tty, env: {} }, { color: false }).colors.red("x")).toBe("x");
    expect(new Output({ stdout: tty, stderr: tty, env: {} }, { json: true }).colors.red("x")).toBe("x");
  });

  it("writes CSV (RFC 4180) and short durations", () => {
    expect(csvRow(["a", 1, null, 'say "hi"', "x,y"])).toBe('a,1,,"say ""hi""","x,y"');
    expect(duration(95)).toBe("1m 35s");
    expect(duration(7200)).toBe("2h 0m");
    expect(duration(undefined)).toBeUndefined();
  });
});
