import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** What an assembly is built from: a change to any of these makes a new synth necessary. */
const SOURCES = ["infra", "functions", "shared", "package-lock.json", "cdk.json"];

export interface SynthOptions {
  projectRoot: string;
  outDir: string;
  stage: string;
  /** Extra CDK context (-c key=value). */
  context?: Record<string, string>;
  onProgress?: (line: string) => void;
}

/**
 * Synthesizes the CDK app into `outDir`, or reuses the assembly there when nothing it was built from changed.
 * Runs the app exactly as the CDK CLI does (CDK_OUTDIR and CDK_CONTEXT_JSON), so no CLI or network is needed.
 */
export async function synthesizeIfStale(options: SynthOptions): Promise<{ reused: boolean }> {
  const fingerprint = sourceFingerprint(options);
  const stamp = join(options.outDir, ".local-fingerprint");
  if (
    existsSync(stamp) &&
    readFileSync(stamp, "utf8") === fingerprint &&
    existsSync(join(options.outDir, "manifest.json"))
  ) {
    return { reused: true };
  }
  const cdkJson = JSON.parse(readFileSync(join(options.projectRoot, "cdk.json"), "utf8")) as {
    context?: object;
  };
  const context = { ...cdkJson.context, ...options.context, stage: options.stage };
  options.onProgress?.(`Synthesizing the CDK app (stage ${options.stage})…`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "infra/app.ts"], {
      cwd: options.projectRoot,
      env: { ...process.env, CDK_OUTDIR: options.outDir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
      const line = chunk.toString().trim().split("\n").pop();
      if (line?.startsWith("Bundling")) options.onProgress?.(line);
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `CDK synth failed: ${firstErrorLine(output)} (run npx cdk synth -c stage=${options.stage} for the whole output)`,
            ),
          ),
    );
  });
  writeFileSync(stamp, fingerprint);
  return { reused: false };
}

/** The app's own error message, without its stack: the line a person needs to act on. */
function firstErrorLine(output: string): string {
  const line = output.split("\n").find((l) => /^\s*(\w*Error|Error)\b.*:/.test(l));
  return (line ?? output.trim().split("\n").at(-1) ?? "no output").trim().slice(0, 300);
}

function sourceFingerprint(options: SynthOptions): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ stage: options.stage, context: options.context ?? {} }));
  for (const source of SOURCES) {
    for (const file of listFiles(join(options.projectRoot, source))) {
      hash.update(relative(options.projectRoot, file));
      hash.update(readFileSync(file));
    }
  }
  return hash.digest("hex");
}

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => listFiles(join(path, entry.name)));
}
