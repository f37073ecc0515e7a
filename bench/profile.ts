/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): self time per package or local-cloud component, and the
 * hottest functions, per thread profile.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
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

export function summarizeProfile(file: string, root = process.cwd(), top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const isOwner = (category: string) =>
    category.startsWith("npm: ") ||
    category.startsWith("local/") ||
    category.endsWith("/") ||
    /\.(ts|mjs|js)$/.test(category);
  const ownerOf = (id: number): string => {
    let current: number | undefined = id;
    while (current !== undefined) {
      const node = byId.get(current);
      if (!node) break;
      const category = categoryOf(node.callFrame.url, node.callFrame.functionName, root);
      if (isOwner(category)) return category;
      current = parent.get(current);
    }
    const own = byId.get(id);
    return own ? categoryOf(own.callFrame.url, own.callFrame.functionName, root) : "(unknown)";
  };
  const categories = new Map<string, number>();
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const category = categoryOf(url, functionName, root);
    if (category === "(idle)") {
      idle += us;
      continue;
    }
    categories.set(category, (categories.get(category) ?? 0) + us);
    const owner = ownerOf(id);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const where = url ? `${url.replace(/^file:\/\//, "").replace(`${root}/`, "")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: Math.round((us / busy) * 1000) / 10 }));
  return {
    file,
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    categories: rank(categories),
    owners: rank(owners),
    functions: rank(functions),
  };
}

/** Every profile in `dir`, busiest first. */
export function summarizeProfiles(dir: string, root = process.cwd()): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => summarizeProfile(join(dir, f), root))
    .sort((a, b) => b.busyMs - a.busyMs);
}
