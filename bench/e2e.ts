/**
 * Part 4: end to end through the local cloud, in a child process (bench/e2e-worker.ts) run with --cpu-prof,
 * whose profiles say where the time goes.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./assembly";
import type { E2eConfig, E2eWorkerResult } from "./e2e-worker";
import { type ProfileSummary, summarizeBundleProfiles, summarizeProfiles } from "./profile";

const WORKER = new URL("./e2e-worker.ts", import.meta.url).pathname;

export const E2E_GOALS = { throughput: 200, p99Ms: 1000 };

export interface E2eResult extends E2eWorkerResult {
  /** The process's threads (the main thread runs the emulated services). */
  profiles: ProfileSummary[];
  /** Every function execution environment (worker thread) of the run, as one, through the bundles' source maps. */
  functionProfile?: ProfileSummary & { environments: number };
  profileDir: string;
}

export async function measureEndToEnd(
  config: Omit<E2eConfig, "functionProfileDir">,
  progress: (line: string) => void,
): Promise<E2eResult> {
  const dir = join(BENCH_DIR, "e2e");
  const profileDir = join(dir, "profiles");
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const functionProfileDir = join(dir, "function-profiles");
  rmSync(functionProfileDir, { recursive: true, force: true });
  const configFile = join(dir, "config.json");
  const outFile = join(dir, "result.json");
  writeFileSync(configFile, JSON.stringify({ ...config, functionProfileDir }));
  writeFileSync(outFile, "");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--import", "tsx", WORKER, configFile, outFile],
      { env: { ...process.env, NODE_NO_WARNINGS: "1" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let tail = "";
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split("\n")) if (line.trim()) progress(line.trimEnd());
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`e2e worker exited ${code}: ${tail}`)),
    );
  });
  const result = JSON.parse(readFileSync(outFile, "utf8")) as E2eWorkerResult;
  return {
    ...result,
    profiles: summarizeProfiles(profileDir),
    ...(existsSync(functionProfileDir)
      ? { functionProfile: summarizeBundleProfiles(functionProfileDir, process.cwd(), 40) }
      : {}),
    profileDir,
  };
}
