import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The local cloud's state folder: `<root>/<stage>/` holds the data (tables, queues, archives, secrets,
 * logs, sandbox records); `<root>/assembly-<stage>/` the synthesized assembly, kept across `--reset`.
 * A lock file stops two local clouds from sharing one folder.
 */
export class StateFolder {
  readonly dataDir: string;
  readonly assemblyDir: string;
  private readonly lockFile: string;

  constructor(root: string, stage: string, assemblyDir?: string) {
    const base = resolve(root);
    this.dataDir = join(base, stage);
    this.assemblyDir = assemblyDir ? resolve(assemblyDir) : join(base, `assembly-${stage}`);
    this.lockFile = join(this.dataDir, "local-cloud.pid");
  }

  prepare(reset: boolean): void {
    if (reset) rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true });
    if (existsSync(this.lockFile)) {
      const pid = Number(readFileSync(this.lockFile, "utf8"));
      if (pid && pid !== process.pid && isRunning(pid)) {
        throw new Error(
          `${this.dataDir} is in use by another local cloud (pid ${pid}): stop it or pass --state-dir`,
        );
      }
    }
    writeFileSync(this.lockFile, String(process.pid));
  }

  release(): void {
    rmSync(this.lockFile, { force: true });
  }
}

/** Whether a process with this id runs (EPERM: it does, as another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
