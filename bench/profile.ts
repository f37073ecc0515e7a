/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, the local cloud's function profiles): self time per package or
 * local-cloud component, and the hottest functions, per thread profile or over a folder of them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  categories: ProfileShare[];
  /**
   * Self time given to the nearest caller in a package or project file (native calls, Node internals and
   * GC samples inside a JS frame count for the code that made them): who causes the work.
   */
  owners: ProfileShare[];
  functions: ProfileShare[];
}

export function categoryOf(url: string, functionName: string, root: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "V8: garbage collection";
    if (functionName === "(program)") return "V8/native (program)";
    if (functionName === "(idle)") return "(idle)";
    return `native: ${functionName || "(anonymous)"}`;
  }
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return `npm: ${pkg[1]}`;
  if (url.startsWith("node:")) {
    const parts = url.replace(/^node:(internal\/)?/, "").split("/");
    return `node: ${parts[0]}`;
  }
  const path = url.replace(/^file:\/\//, "").replace(`${root}/`, "");
  const parts = path.split("/");
  if (parts[0] === "local") return `local/${parts.length > 2 ? parts[1] : parts[1]?.replace(/\.ts$/, "")}`;
  return parts.length > 1 ? `${parts[0]}/` : path;
}

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** Self time of one or more profiles, by category, owner and function (microseconds). */
class ProfileTally {
  readonly categories = new Map<string, number>();
  readonly owners = new Map<string, number>();
  readonly functions = new Map<string, number>();
  idleUs = 0;
  totalUs = 0;
  wallUs = 0;

  constructor(
    private readonly root: string,
    /** Where a frame's code comes from: bundled frames are read through their source map. */
    private readonly frameOf: (node: ProfileNode) => Frame = (node) => node.callFrame,
    /**
     * A profile started through the inspector gives its first sample the time from the start request to the
     * sampler's first tick (seconds on a busy machine), in the frame that asked: not work, so left out.
     */
    private readonly skipSamples = 0,
  ) {}

  add(profile: CpuProfile): void {
    const { root } = this;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const frames = new Map(profile.nodes.map((n) => [n.id, this.frameOf(n)]));
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      if (i < this.skipSamples) return;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const categoryOfNode = (id: number) => {
      const frame = frames.get(id) as Frame;
      return categoryOf(frame.url, frame.functionName, root);
    };
    const isOwner = (category: string) =>
      category.startsWith("npm: ") ||
      category.startsWith("local/") ||
      category.endsWith("/") ||
      /\.(ts|mjs|js)$/.test(category);
    const ownerOf = (id: number): string => {
      let current: number | undefined = id;
      while (current !== undefined && byId.has(current)) {
        const category = categoryOfNode(current);
        if (isOwner(category)) return category;
        current = parent.get(current);
      }
      return byId.has(id) ? categoryOfNode(id) : "(unknown)";
    };
    for (const [id, us] of selfUs) {
      const frame = frames.get(id);
      if (!frame) continue;
      this.totalUs += us;
      const category = categoryOf(frame.url, frame.functionName, root);
      if (category === "(idle)") {
        this.idleUs += us;
        continue;
      }
      bump(this.categories, category, us);
      bump(this.owners, ownerOf(id), us);
      const where = frame.url
        ? `${frame.url.replace(/^file:\/\//, "").replace(`${root}/`, "")}:${frame.lineNumber + 1}`
        : "";
      bump(this.functions, `${frame.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`, us);
    }
    this.wallUs += profile.endTime - profile.startTime;
  }

  summary(file: string, top: number): ProfileSummary {
    const busy = this.totalUs - this.idleUs;
    const rank = (map: Map<string, number>) =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, us]) => ({
          name,
          ms: Math.round(us / 1000),
          share: Math.round((us / busy) * 1000) / 10,
        }));
    return {
      file,
      wallMs: Math.round(this.wallUs / 1000),
      busyMs: Math.round(busy / 1000),
      idleMs: Math.round(this.idleUs / 1000),
      categories: rank(this.categories),
      owners: rank(this.owners),
      functions: rank(this.functions),
    };
  }
}

const bump = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

const readProfile = (file: string) => JSON.parse(readFileSync(file, "utf8")) as CpuProfile;

export function summarizeProfile(file: string, root = process.cwd(), top = 15): ProfileSummary {
  const tally = new ProfileTally(root);
  tally.add(readProfile(file));
  return tally.summary(file, top);
}

/**
 * Every profile in `dir` as one (the execution environments of the local cloud's functions), with the bundles'
 * frames read through their source maps, so that time is given to the package or project file it came from.
 * `wallMs` is the sum of the environments' lifetimes.
 */
export function summarizeBundleProfiles(
  dir: string,
  root = process.cwd(),
  top = 15,
): ProfileSummary & {
  environments: number;
} {
  const maps = new Map<string, SourceMap | undefined>();
  const sourceMapOf = (url: string) => {
    if (!maps.has(url)) {
      const mapFile = `${fileURLToPath(url)}.map`;
      maps.set(
        url,
        existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, "utf8"))) : undefined,
      );
    }
    return maps.get(url);
  };
  const frameOf = (node: ProfileNode): Frame => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    const map = url.startsWith("file://") && url.endsWith(".mjs") ? sourceMapOf(url) : undefined;
    const entry = map?.findEntry(lineNumber, columnNumber ?? 0);
    if (!entry || !("originalSource" in entry) || !entry.originalSource) return node.callFrame;
    // esbuild names sources relative to where it bundled (not where the asset lies): below that, they are the
    // project's own paths (node_modules/…, shared/…, functions/…).
    const source = entry.originalSource.startsWith("file://")
      ? entry.originalSource
      : pathToFileURL(join(root, entry.originalSource.replace(/^(\.\.\/)+/, ""))).href;
    return { functionName: node.callFrame.functionName, url: source, lineNumber: entry.originalLine };
  };
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  const tally = new ProfileTally(root, frameOf, 1);
  for (const f of files) tally.add(readProfile(join(dir, f)));
  return { ...tally.summary(dir, top), environments: files.length };
}

/** Every profile in `dir`, busiest first. */
export function summarizeProfiles(dir: string, root = process.cwd()): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => summarizeProfile(join(dir, f), root))
    .sort((a, b) => b.busyMs - a.busyMs);
}
