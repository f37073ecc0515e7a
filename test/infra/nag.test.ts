/**
 * cdk-nag (AwsSolutions and Serverless packs) as `cdk synth` runs it: every finding is fixed or acknowledged
 * with a reason, no acknowledgement is stale, and without the acknowledgements synthesis fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { applyNagSuppressions } from "../../infra/nag-suppressions";
import { buildHub, type Cfn } from "./hub-template";

interface NagRun {
  stack: Stack;
  error?: Error;
  /** Warnings and errors CDK attached to the stack's constructs. */
  messages: string[];
  /** The validation report CDK writes next to the assembly. */
  report?: Cfn;
}

const outdirs: string[] = [];

function synthWithNag(acknowledge: boolean): NagRun {
  const outdir = mkdtempSync(join(tmpdir(), "complaint-hub-nag-"));
  outdirs.push(outdir);
  const { app, stack } = buildHub({ outdir });
  if (acknowledge) applyNagSuppressions(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  // A failing synth prints its whole report; the assertions below say what matters.
  const quiet = ["log", "error", "warn", "info"].map((m) =>
    vi.spyOn(console, m as "log").mockImplementation(() => {}),
  );
  let error: Error | undefined;
  let messages: string[] = [];
  try {
    messages = app
      .synth()
      .getStackArtifact(stack.artifactId)
      .messages.filter((m) => m.level !== "info")
      .map((m) => `${m.level} at ${m.id}: ${JSON.stringify(m.entry.data)}`);
  } catch (e) {
    error = e as Error;
  } finally {
    for (const spy of quiet) spy.mockRestore();
  }
  const reportFile = join(outdir, "validation-report.json");
  const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, "utf8")) : undefined;
  return { stack, error, messages, report };
}

/** "<rule> <construct path>" for every unacknowledged finding in a report. */
function findings(report: Cfn): string[] {
  return (report?.pluginReports ?? []).flatMap((plugin: Cfn) =>
    (plugin.violations ?? []).flatMap((v: Cfn) =>
      (v.violatingConstructs ?? []).map(
        (c: Cfn) => `${plugin.pluginName}: ${v.ruleName} at ${c.constructPath}`,
      ),
    ),
  );
}

/** Every acknowledgement recorded on the stack's constructs: [construct path, rule id, reason]. */
function acknowledgements(stack: IConstruct): [string, string, unknown][] {
  return stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, unknown>).map(([id, reason]) => [c.node.path, id, reason]),
        ),
    ) as [string, string, unknown][];
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe("with the hub's acknowledgements", () => {
  let run: NagRun;
  beforeAll(() => {
    run = synthWithNag(true);
  });

  it("synthesizes with no unacknowledged finding", () => {
    const open = findings(run.report);
    const message = `cdk-nag findings without an acknowledgement:\n  ${open.join("\n  ")}\n${run.error?.message ?? ""}`;
    expect(open, message).toEqual([]);
    expect(run.error, message).toBeUndefined();
  });

  it("gives every acknowledgement a reason", () => {
    const acks = acknowledgements(run.stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const [path, id, reason] of acks) {
      expect(typeof reason, `${id} at ${path}`).toBe("string");
      expect(String(reason).trim().length, `${id} at ${path} has an empty reason`).toBeGreaterThan(0);
      expect(String(reason).trim(), `${id} at ${path}`).not.toBe(id);
    }
  });

  it("acknowledges no rule that no longer fires", () => {
    const acknowledgedIds = new Set(acknowledgements(run.stack).map(([, id]) => id));
    const used = new Set<string>(
      (run.report?.pluginReports ?? []).flatMap((plugin: Cfn) =>
        (plugin.suppressedViolations ?? []).map((v: Cfn) => v.acknowledgedId),
      ),
    );
    expect([...acknowledgedIds].filter((id) => !used.has(id))).toEqual([]);
  });

  it("raises no CDK warning or error on any construct", () => {
    expect(run.messages).toEqual([]);
  });
});

describe("without the acknowledgements", () => {
  it("fails synthesis, listing the findings", () => {
    const run = synthWithNag(false);
    expect(run.error).toBeDefined();
    expect(run.error?.message).toContain("Acknowledge with 'AwsSolutions::AwsSolutions-SMG4'");
    const open = findings(run.report);
    expect(open.some((f) => f.includes("AwsSolutions-SMG4"))).toBe(true);
    expect(open.some((f) => f.includes("Serverless-LambdaDLQ"))).toBe(true);
  });
});
