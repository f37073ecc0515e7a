/**
 * The synthesized assembly the benchmarks measure: the test stage's, shared with the end-to-end tests
 * (`.hub/assembly-e2e`, synthesized again only when infra/, functions/, shared/ or the lockfile changed).
 */
import { join } from "node:path";
import { loadStack } from "../local/assembly/cloud-assembly";
import { synthesizeIfStale } from "../local/assembly/synthesize";
import type { FunctionSpec } from "../local/lambda/local-function";
import { buildStackModel, type StackModel } from "../local/template/stack-model";

export const PROJECT_ROOT = process.cwd();
export const ASSEMBLY_DIR = join(PROJECT_ROOT, ".hub", "assembly-e2e");
export const BENCH_DIR = join(PROJECT_ROOT, ".hub", "bench");
export const ACCOUNT_ID = "000000000000";

export async function synthesize(onProgress: (line: string) => void): Promise<{ reused: boolean }> {
  return synthesizeIfStale({ projectRoot: PROJECT_ROOT, outDir: ASSEMBLY_DIR, stage: "test", onProgress });
}

/** The stack as the local cloud would run it, with every AWS endpoint at `awsEndpoint`. */
export function stackModel(awsEndpoint = "http://127.0.0.1:4566"): StackModel {
  return buildStackModel(loadStack(ASSEMBLY_DIR), { accountId: ACCOUNT_ID, partition: "aws", awsEndpoint });
}

/** What each function's logical id starts with after the stack name (ComplaintHub-test-<this>...). */
export function functionRole(spec: FunctionSpec): string {
  const local = spec.name.replace(/^ComplaintHub-[a-z]+-/, "").replace(/[0-9A-F]{8}$/, "");
  return local.replace(/^Platform([a-z]+)Delivery$/, "Delivery ($1)");
}

export function findFunction(model: StackModel, pattern: RegExp): FunctionSpec {
  const spec = model.functions.find((f) => pattern.test(f.name));
  if (!spec) throw new Error(`No function matching ${pattern} in the assembly`);
  return spec;
}

export const submitFunction = (model: StackModel) => findFunction(model, /-ApiSubmit/);
export const deliverFunction = (model: StackModel, platform = "taobao") =>
  findFunction(model, new RegExp(`-Platform${platform.replace(/-/g, "")}Delivery`));
