import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TemplateResource } from "../template/physical-resources";

export interface StackTemplate {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Conditions?: Record<string, unknown>;
}

/** A synthesized stack: its template and where each of its file assets was staged. */
export interface LoadedStack {
  assemblyDir: string;
  stackName: string;
  region: string;
  template: StackTemplate;
  /** Directory of a file asset, by the S3 object key the template names (e.g. "<hash>.zip"). */
  assetDirectory(objectKey: string): string;
}

interface Manifest {
  artifacts: Record<string, { type: string; environment?: string; properties?: Record<string, unknown> }>;
}

interface AssetManifest {
  files: Record<
    string,
    { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
  >;
}

/** Reads the one stack of a cloud assembly (cdk.out) the way `cdk deploy` would find it. */
export function loadStack(assemblyDir: string): LoadedStack {
  const manifestPath = join(assemblyDir, "manifest.json");
  if (!existsSync(manifestPath))
    throw new Error(`No cloud assembly at ${assemblyDir} (manifest.json missing)`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === "aws:cloudformation:stack");
  if (stacks.length !== 1) throw new Error(`Expected one stack in ${assemblyDir}, found ${stacks.length}`);
  const [stackName, artifact] = stacks[0] as [string, Manifest["artifacts"][string]];
  const templateFile = String(artifact.properties?.templateFile);
  const template = JSON.parse(readFileSync(join(assemblyDir, templateFile), "utf8")) as StackTemplate;
  const region = artifact.environment?.split("/").pop() ?? "unknown-region";

  const assetsArtifact = Object.values(manifest.artifacts).find(
    (a) => a.type === "cdk:asset-manifest" && String(a.properties?.file).startsWith(stackName),
  );
  const objectKeyToDir = new Map<string, string>();
  if (assetsArtifact) {
    const assets = JSON.parse(
      readFileSync(join(assemblyDir, String(assetsArtifact.properties?.file)), "utf8"),
    ) as AssetManifest;
    for (const file of Object.values(assets.files)) {
      for (const destination of Object.values(file.destinations)) {
        objectKeyToDir.set(destination.objectKey, join(assemblyDir, file.source.path));
      }
    }
  }
  return {
    assemblyDir,
    stackName,
    region: region === "unknown-region" ? "cn-north-1" : region,
    template,
    assetDirectory(objectKey) {
      const dir = objectKeyToDir.get(objectKey);
      if (!dir) throw new Error(`Asset ${objectKey} is not in the assembly's asset manifest`);
      return dir;
    },
  };
}
