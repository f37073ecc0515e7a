/**
 * Part 1: bundle sizes. Every function asset of the synthesized assembly (index.mjs, bytes and gzip), a
 * hello-world handler bundled with the same esbuild options as infra/constructs/hub-function.ts, and for the
 * submit function an esbuild metafile: which packages its bytes come from, and what the bundle would weigh
 * without the heaviest ones (what-if builds; nothing is changed in the functions).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build, type Plugin } from "esbuild";
import type { StackModel } from "../local/template/stack-model";
import { BENCH_DIR, functionRole, PROJECT_ROOT } from "./assembly";

/** The esbuild options HubFunction gives the CDK (its `bundling` props, as the CDK turns them into flags). */
export const HUB_ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  sourcemap: true,
  mainFields: ["module", "main"],
  external: [],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: "error",
};

export interface BundleRow {
  /** The functions that run this asset. */
  functions: string[];
  asset: string;
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  /** Ratio of bytes to the hello-world bundle's. */
  ratioToHello?: number;
}

export interface PackageShare {
  name: string;
  bytes: number;
  share: number;
}

export interface WhatIf {
  change: string;
  bytes: number;
  gzipBytes: number;
  saved: number;
}

export interface BundleResult {
  hello: BundleRow;
  helloFile: string;
  functions: BundleRow[];
  submit: BundleRow;
  /** The submit function rebuilt here with the same options: must match the asset (sanity check). */
  submitRebuiltBytes: number;
  submitPackages: PackageShare[];
  submitWhatIf: WhatIf[];
  goalBytes: number;
  met: boolean;
}

export const SUBMIT_GOAL_BYTES = 300 * 1024;

function sizes(file: string): { bytes: number; gzipBytes: number; sourceMapBytes: number } {
  const content = readFileSync(file);
  let sourceMapBytes = 0;
  try {
    sourceMapBytes = statSync(`${file}.map`).size;
  } catch {
    // no source map
  }
  return { bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length, sourceMapBytes };
}

/** Writes and bundles the hello-world handler; returns the bundle's path. */
export async function buildHelloWorld(): Promise<string> {
  const dir = join(BENCH_DIR, "hello");
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, "hello.ts");
  writeFileSync(
    entry,
    [
      "// The benchmarks' hello-world Lambda function: answers every event, touches nothing.",
      "export const handler = async (_event: unknown) => ({ statusCode: 200, body: JSON.stringify({ hello: 'world' }) });",
      "",
    ].join("\n"),
  );
  const outfile = join(dir, "index.mjs");
  await build({ ...HUB_ESBUILD_OPTIONS, entryPoints: [entry], outfile });
  return outfile;
}

function packageOf(input: string): string {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (match) return match[1] as string;
  return input.split("/")[0] ?? input;
}

/** A plugin replacing modules by an empty stand-in, to weigh what they bring. */
function stub(filter: RegExp, contents: string): Plugin {
  return {
    name: `stub-${filter.source}`,
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "bench-stub" }));
      b.onLoad({ filter: /.*/, namespace: "bench-stub" }, () => ({ contents, loader: "js" }));
    },
  };
}

async function weigh(entry: string, plugins: Plugin[] = []) {
  const result = await build({
    ...HUB_ESBUILD_OPTIONS,
    entryPoints: [entry],
    outfile: join(BENCH_DIR, "what-if", "index.mjs"),
    sourcemap: false,
    write: false,
    metafile: true,
    plugins,
  });
  const output = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  if (!output) throw new Error("esbuild wrote no output");
  return {
    bytes: output.contents.length,
    gzipBytes: gzipSync(output.contents, { level: 9 }).length,
    metafile: result.metafile,
  };
}

export async function measureBundles(
  model: StackModel,
  progress: (line: string) => void,
): Promise<BundleResult> {
  const helloFile = await buildHelloWorld();
  const hello: BundleRow = {
    functions: ["hello-world"],
    asset: relative(PROJECT_ROOT, helloFile),
    ...sizes(helloFile),
  };
  progress(`hello-world: ${hello.bytes} B (${hello.gzipBytes} B gzip)`);

  const byAsset = new Map<string, string[]>();
  for (const spec of model.functions) {
    const list = byAsset.get(spec.handlerFile) ?? [];
    list.push(functionRole(spec));
    byAsset.set(spec.handlerFile, list);
  }
  const functions: BundleRow[] = [...byAsset].map(([file, names]) => {
    const row = { functions: names, asset: relative(PROJECT_ROOT, file), ...sizes(file) };
    return { ...row, ratioToHello: Math.round((row.bytes / hello.bytes) * 10) / 10 };
  });
  functions.sort((a, b) => b.bytes - a.bytes);
  const submit = functions.find((row) => row.functions.includes("ApiSubmit"));
  if (!submit) throw new Error("No submit function asset");

  // The metafile of the submit function, rebuilt from source with the same options.
  const entry = join(PROJECT_ROOT, "functions", "submit-complaint.ts");
  const full = await weigh(entry);
  const out = Object.values(full.metafile.outputs)[0];
  const perPackage = new Map<string, number>();
  for (const [input, info] of Object.entries(out?.inputs ?? {})) {
    const name = packageOf(input);
    perPackage.set(name, (perPackage.get(name) ?? 0) + info.bytesInOutput);
  }
  const submitPackages = [...perPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([name, bytes]) => ({ name, bytes, share: Math.round((bytes / full.bytes) * 1000) / 10 }));

  // What-if builds, cumulative: the same entry with one more change each; nothing here changes the functions.
  const tracerStub = [
    "export class Tracer { getSegment(){} setSegment(){} addServiceNameAnnotation(){} annotateColdStart(){}",
    "putAnnotation(){} putMetadata(){} captureAWSv3Client(c){return c} isTracingEnabled(){return false} }",
    "export const captureLambdaHandler = () => ({});",
  ].join(" ");
  const sdkExternal: Plugin = {
    name: "sdk-external",
    setup(b) {
      b.onResolve({ filter: /^@(aws-sdk|smithy)\// }, (args) => ({ path: args.path, external: true }));
    },
  };
  const cases: Array<[string, Plugin[]]> = [
    [
      "without the Powertools Tracer (aws-xray-sdk-core, cls-hooked, semver)",
      [stub(/^@aws-lambda-powertools\/tracer(\/.*)?$/, tracerStub)],
    ],
    [
      "… and the AWS SDK left to the Lambda runtime (external @aws-sdk/*, @smithy/*)",
      [stub(/^@aws-lambda-powertools\/tracer(\/.*)?$/, tracerStub), sdkExternal],
    ],
  ];
  const submitWhatIf: WhatIf[] = [];
  for (const [change, plugins] of cases) {
    try {
      const weighed = await weigh(entry, plugins);
      submitWhatIf.push({
        change,
        bytes: weighed.bytes,
        gzipBytes: weighed.gzipBytes,
        saved: full.bytes - weighed.bytes,
      });
    } catch (error) {
      progress(`what-if "${change}" did not build: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  progress(`submit: ${submit.bytes} B (${submit.gzipBytes} B gzip); goal ${SUBMIT_GOAL_BYTES} B`);
  return {
    hello,
    helloFile,
    functions,
    submit,
    submitRebuiltBytes: full.bytes,
    submitPackages,
    submitWhatIf,
    goalBytes: SUBMIT_GOAL_BYTES,
    met: submit.bytes <= SUBMIT_GOAL_BYTES,
  };
}
