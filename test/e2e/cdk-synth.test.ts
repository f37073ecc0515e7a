import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { isPush, PLATFORMS } from "../../infra/platforms";

const outDir = mkdtempSync(join(tmpdir(), "hub-cdk-out-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

it("synthesizes with the CDK CLI, offline, cdk-nag included", async () => {
  // The machine has no network: the CLI must not need one (no notices, no lookups).
  const { stderr } = await promisify(execFile)(
    "npx",
    ["cdk", "synth", "--quiet", "--no-notices", "-c", "stage=test", "-o", outDir],
    { env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" }, timeout: 170_000 },
  );
  expect(stderr).not.toMatch(/AwsSolutions-|Serverless-/);
  const template = JSON.parse(readFileSync(join(outDir, "ComplaintHub-test.template.json"), "utf8"));
  const functions = Object.values(
    template.Resources as Record<string, { Type: string; Properties: { Code: { S3Key: string } } }>,
  ).filter((r) => r.Type === "AWS::Lambda::Function");
  // The consumer API (5), the platform API (2), the publisher, the chase, the statistics (2), one per push platform.
  expect(functions).toHaveLength(11 + PLATFORMS.filter(isPush).length);
  for (const fn of functions) {
    expect(
      existsSync(join(outDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, "")}`, "index.mjs")),
    ).toBe(true);
  }
}, 180_000);
