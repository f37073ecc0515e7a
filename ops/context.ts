/** What every command gets: the output, the target (resolved once, on first use), the operator's name. */
import { userInfo } from "node:os";
import { findPlatform, PLATFORMS, type PlatformEntry } from "../infra/platforms";
import type { OperatorDependencies } from "../shared/operator/operator-actions";
import { isEnabledPlatform } from "../shared/platform/dependencies";
import { ComplaintStore } from "../shared/store/complaint-store";
import { type Io, notFound, Output } from "./output";
import { resolveTarget, type Target, type TargetOptions } from "./target";

export interface GlobalOptions {
  stage: string;
  local?: boolean;
  aws?: boolean;
  stateDir: string;
  json?: boolean;
  color?: boolean;
  operator?: string;
}

export class OpsContext {
  readonly out: Output;
  private resolved: Promise<Target> | undefined;

  constructor(
    readonly io: Io,
    readonly options: GlobalOptions,
    private readonly resolve: (options: TargetOptions) => Promise<Target> = resolveTarget,
  ) {
    this.out = new Output(io, { json: options.json === true, color: options.color !== false });
  }

  target(): Promise<Target> {
    this.resolved ??= this.resolve({
      stage: this.options.stage,
      stateDir: this.options.stateDir,
      ...(this.options.local ? { local: true } : {}),
      ...(this.options.aws ? { aws: true } : {}),
    });
    return this.resolved;
  }

  /** Who acts: --operator, OPS_OPERATOR, or the login name. Recorded in every timeline entry an operator makes. */
  get operator(): string {
    return (this.options.operator ?? this.io.env.OPS_OPERATOR ?? safeUserName()).trim();
  }

  now(): Date {
    return new Date();
  }

  async store(): Promise<ComplaintStore> {
    const target = await this.target();
    return new ComplaintStore(target.dynamodb, target.output("TableName"));
  }

  async operatorDependencies(): Promise<OperatorDependencies> {
    return { store: await this.store(), now: () => this.now(), isMember: isEnabledPlatform };
  }

  async close(): Promise<void> {
    if (!this.resolved) return;
    const target = await this.resolved.catch(() => undefined);
    target?.close();
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}

/** The registry entry of an enabled platform, or exit 3. */
export function enabledPlatform(id: string): PlatformEntry {
  const platform = findPlatform(id);
  if (!platform?.enabled) {
    const ids = PLATFORMS.filter((p) => p.enabled).map((p) => p.id);
    throw notFound(`No enabled platform "${id}"; one of: ${ids.join(", ")}`);
  }
  return platform;
}

export const enabledPlatforms = () => PLATFORMS.filter((p) => p.enabled);
