/**
 * Secrets Manager for the local cloud: the secrets the template declares, provisioned once and kept on disk
 * (`<stateDir>/secrets.json`, mode 0600, replaced atomically), served over the AWS JSON 1.1 protocol
 * (`X-Amz-Target: secretsmanager.<Action>`) to the real AWS SDK. Actions: GetSecretValue, PutSecretValue
 * (operators rotate with it: the new version becomes AWSCURRENT, the old one AWSPREVIOUS), DescribeSecret
 * and ListSecrets. Requests are not authenticated: the endpoint listens on loopback only.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { jsonProtocolHandler } from "../aws-json-protocol";
import {
  type GenerateSecretStringProps,
  generateSecretString,
  normalizeGenerateProps,
} from "./generate-secret-string";
import { SecretsManagerError, secretNotFound } from "./secrets-errors";

export { type GenerateSecretStringProps, generateSecretString } from "./generate-secret-string";
export { SecretsManagerError } from "./secrets-errors";

export const SECRETS_MANAGER_TARGET_PREFIX = "secretsmanager.";
export const AWSCURRENT = "AWSCURRENT";
export const AWSPREVIOUS = "AWSPREVIOUS";

export interface LocalSecretsManagerOptions {
  /** The local cloud's state folder; the secrets live in `<stateDir>/secrets.json`. */
  stateDir: string;
  region?: string;
  accountId?: string;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
}

/** A secret as the template declares it (the local cloud's SecretModel has this shape). */
export interface SecretSpec {
  name: string;
  arn: string;
  /** CloudFormation GenerateSecretString properties (PascalCase, as in the template). */
  generate?: GenerateSecretStringProps | Record<string, unknown>;
  secretString?: string;
  description?: string;
}

export interface SecretsManagerResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export type SecretsManagerHttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => Promise<void>;

interface StoredVersion {
  versionId: string;
  secretString?: string;
  /** Base64, as on the wire. */
  secretBinary?: string;
  createdDate: number;
  stages: string[];
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  /** Fingerprint of the template's value source: a change replaces the value, as a stack update would. */
  source?: string;
  versions: StoredVersion[];
}

interface StateFile {
  version: 1;
  secrets: StoredSecret[];
}

const CONTENT_TYPE = "application/x-amz-json-1.1";
const MAX_SECRET_CHARS = 65_536;
/** Versions without a staging label are deprecated; AWS keeps about 100, we keep a few for inspection. */
const KEEP_UNLABELLED_VERSIONS = 10;

export class LocalSecretsManager {
  private readonly file: string;
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly now: () => number;
  private writes: Promise<void> = Promise.resolve();
  private tempCounter = 0;

  constructor(private readonly options: LocalSecretsManagerOptions) {
    this.now = options.now ?? Date.now;
    mkdirSync(options.stateDir, { recursive: true });
    this.file = join(options.stateDir, "secrets.json");
    for (const secret of loadState(this.file).secrets) this.secrets.set(secret.name, secret);
  }

  /**
   * Creates the secret on first start, its value from `secretString` or generated with crypto-random
   * characters; later starts keep the stored value (and any rotation). A changed template value source
   * creates a new AWSCURRENT version, as a CloudFormation update would.
   */
  provision(spec: SecretSpec): Promise<void>;
  provision(
    secretName: string,
    arn: string,
    generateSecretString?: GenerateSecretStringProps | Record<string, unknown>,
    secretString?: string,
  ): Promise<void>;
  async provision(
    specOrName: SecretSpec | string,
    arn?: string,
    generate?: GenerateSecretStringProps | Record<string, unknown>,
    secretString?: string,
  ): Promise<void> {
    const spec: SecretSpec =
      typeof specOrName === "string"
        ? {
            name: specOrName,
            arn: arn ?? this.arnFor(specOrName),
            ...(generate ? { generate } : {}),
            ...(secretString !== undefined ? { secretString } : {}),
          }
        : specOrName;
    const props = spec.generate
      ? normalizeGenerateProps(spec.generate as Record<string, unknown>)
      : undefined;
    const source =
      spec.secretString !== undefined
        ? `string:${sha256(spec.secretString)}`
        : props
          ? `generate:${sha256(JSON.stringify(props))}`
          : "empty";
    const valueFromSource = () =>
      spec.secretString !== undefined ? spec.secretString : props ? generateSecretString(props) : undefined;

    const existing = this.secrets.get(spec.name);
    const now = this.now();
    if (!existing) {
      const secret: StoredSecret = {
        name: spec.name,
        arn: spec.arn,
        ...(spec.description ? { description: spec.description } : {}),
        createdDate: now,
        lastChangedDate: now,
        source,
        versions: [],
      };
      const value = valueFromSource();
      if (value !== undefined) this.addVersion(secret, randomUUID(), { secretString: value }, [AWSCURRENT]);
      this.secrets.set(secret.name, secret);
      await this.save();
      return;
    }
    let changed = false;
    if (existing.arn !== spec.arn) {
      existing.arn = spec.arn;
      changed = true;
    }
    if (spec.description !== undefined && existing.description !== spec.description) {
      existing.description = spec.description;
      changed = true;
    }
    if (existing.source !== source) {
      const value = existing.source === undefined ? undefined : valueFromSource();
      if (value !== undefined) this.addVersion(existing, randomUUID(), { secretString: value }, [AWSCURRENT]);
      existing.source = source;
      changed = true;
    }
    if (changed) await this.save();
  }

  /** The AWSCURRENT SecretString of a secret (by name or ARN), for in-process readers such as the sandbox. */
  async currentValue(secretId: string): Promise<string> {
    const secret = this.find(secretId);
    const version = this.versionFor(secret, undefined, AWSCURRENT);
    if (version.secretString === undefined) {
      throw new SecretsManagerError("InvalidRequestException", `Secret ${secret.name} holds a binary value.`);
    }
    return version.secretString;
  }

  /** One AWS JSON 1.1 action; unknown failures propagate (the endpoint answers InternalFailure). */
  async handle(action: string, body: unknown): Promise<SecretsManagerResponse> {
    try {
      const input = new Input(body);
      switch (action) {
        case "GetSecretValue":
          return ok(this.getSecretValue(input));
        case "PutSecretValue":
          return ok(await this.putSecretValue(input));
        case "DescribeSecret":
          return ok(this.describeSecret(input));
        case "ListSecrets":
          return ok(this.listSecrets(input));
        default:
          throw new SecretsManagerError(
            "UnknownOperationException",
            `The local Secrets Manager does not support ${action || "this operation"}.`,
          );
      }
    } catch (error) {
      if (error instanceof SecretsManagerError) return errorResponse(error);
      throw error;
    }
  }

  /** Node http adapter: the shared AWS endpoint routes `X-Amz-Target: secretsmanager.*` here. */
  readonly handleHttp = jsonProtocolHandler({
    targetPrefix: SECRETS_MANAGER_TARGET_PREFIX,
    handle: (action, input) => this.handle(action, input),
    unknownOperation: () =>
      errorResponse(
        new SecretsManagerError(
          "UnknownOperationException",
          "Send X-Amz-Target: secretsmanager.<Action> (the AWS SDK does).",
        ),
      ),
    malformedBody: () =>
      errorResponse(new SecretsManagerError("SerializationException", "The request body is not valid JSON.")),
  });

  /** Resolves once every state write so far is on disk. */
  flush(): Promise<void> {
    return this.writes;
  }

  private getSecretValue(input: Input): Record<string, unknown> {
    const secret = this.find(input.required("SecretId"));
    const version = this.versionFor(secret, input.optional("VersionId"), input.optional("VersionStage"));
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.createdDate),
    };
  }

  private async putSecretValue(input: Input): Promise<Record<string, unknown>> {
    const secret = this.find(input.required("SecretId"));
    const secretString = input.optional("SecretString");
    const secretBinary = input.optional("SecretBinary");
    if ((secretString === undefined) === (secretBinary === undefined)) {
      throw new SecretsManagerError(
        "InvalidParameterException",
        "You must provide either SecretString or SecretBinary, but not both.",
      );
    }
    if ((secretString ?? secretBinary ?? "").length > MAX_SECRET_CHARS) {
      throw new SecretsManagerError("InvalidParameterException", "The secret value exceeds 65536 bytes.");
    }
    const versionId = input.optional("ClientRequestToken") ?? randomUUID();
    if (versionId.length < 32 || versionId.length > 64) {
      throw new SecretsManagerError(
        "InvalidParameterException",
        "ClientRequestToken must be 32 to 64 characters long.",
      );
    }
    const stages = input.stringList("VersionStages") ?? [AWSCURRENT];
    const value = secretString !== undefined ? { secretString } : { secretBinary: secretBinary as string };
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) {
      // Idempotent retry of the same request; anything else would rewrite history.
      if (existing.secretString !== value.secretString || existing.secretBinary !== value.secretBinary) {
        throw new SecretsManagerError(
          "ResourceExistsException",
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: existing.versionId,
        VersionStages: existing.stages,
      };
    }
    const version = this.addVersion(secret, versionId, value, stages);
    await this.save();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  }

  private describeSecret(input: Input): Record<string, unknown> {
    const secret = this.find(input.required("SecretId"));
    return {
      ...summary(secret),
      RotationEnabled: false,
      VersionIdsToStages: versionsToStages(secret),
      Tags: [],
    };
  }

  private listSecrets(input: Input): Record<string, unknown> {
    const maxResults = input.integer("MaxResults") ?? 100;
    if (maxResults < 1 || maxResults > 100) {
      throw new SecretsManagerError("InvalidParameterException", "MaxResults must be from 1 to 100.");
    }
    const filters = input.filters();
    let list = [...this.secrets.values()].filter((s) => filters.every((f) => matchesFilter(s, f)));
    list.sort((a, b) => a.createdDate - b.createdDate || a.name.localeCompare(b.name));
    if (input.optional("SortOrder") === "desc") list = list.reverse();
    const token = input.optional("NextToken");
    const start = token === undefined ? 0 : Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isInteger(start) || start < 0 || start > list.length) {
      throw new SecretsManagerError("InvalidParameterException", "The NextToken is not valid.");
    }
    const page = list.slice(start, start + maxResults);
    const next = start + page.length;
    return {
      SecretList: page.map((s) => ({ ...summary(s), SecretVersionsToStages: versionsToStages(s) })),
      ...(next < list.length ? { NextToken: Buffer.from(String(next)).toString("base64url") } : {}),
    };
  }

  /** By name, full ARN, or partial ARN (the ARN without the 6-character suffix Secrets Manager appends). */
  private find(secretId: string): StoredSecret {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    if (secretId.startsWith("arn:")) {
      for (const secret of this.secrets.values()) {
        if (secret.arn === secretId) return secret;
        if (secret.arn.length === secretId.length + 7 && secret.arn.startsWith(`${secretId}-`)) return secret;
      }
    }
    throw secretNotFound();
  }

  private versionFor(secret: StoredSecret, versionId?: string, stage?: string): StoredVersion {
    if (versionId !== undefined) {
      const version = secret.versions.find((v) => v.versionId === versionId);
      if (!version || (stage !== undefined && !version.stages.includes(stage))) {
        throw new SecretsManagerError(
          "ResourceNotFoundException",
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      return version;
    }
    const label = stage ?? AWSCURRENT;
    const version = secret.versions.find((v) => v.stages.includes(label));
    if (!version) {
      throw new SecretsManagerError(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for staging label: ${label}`,
      );
    }
    return version;
  }

  /** Adds a version with the given labels, moving each label off its previous holder (AWSCURRENT → AWSPREVIOUS). */
  private addVersion(
    secret: StoredSecret,
    versionId: string,
    value: { secretString?: string; secretBinary?: string },
    stages: readonly string[],
  ): StoredVersion {
    const version: StoredVersion = { versionId, ...value, createdDate: this.now(), stages: [] };
    secret.versions.push(version);
    for (const stage of new Set(stages)) moveStage(secret, stage, version);
    secret.lastChangedDate = this.now();
    const unlabelled = secret.versions.filter((v) => v.stages.length === 0);
    const drop = new Set(unlabelled.slice(0, Math.max(0, unlabelled.length - KEEP_UNLABELLED_VERSIONS)));
    secret.versions = secret.versions.filter((v) => !drop.has(v));
    return version;
  }

  private arnFor(name: string): string {
    const region = this.options.region ?? "us-east-1";
    const account = this.options.accountId ?? "000000000000";
    return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${sha256(name).slice(0, 6)}`;
  }

  /** Queues an atomic write of the current state (temporary file, fsync, rename); writes stay in order. */
  private save(): Promise<void> {
    const state: StateFile = { version: 1, secrets: [...this.secrets.values()] };
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const temporary = `${this.file}.${process.pid}.${++this.tempCounter}.tmp`;
    const write = async () => {
      const handle = await open(temporary, "w", 0o600);
      try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temporary, this.file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    };
    const result = this.writes.then(write);
    this.writes = result.catch(() => undefined);
    return result;
  }
}

/** A node http adapter around a manager, for the shared AWS endpoint or a standalone server. */
export function createSecretsManagerHttpHandler(manager: LocalSecretsManager): SecretsManagerHttpHandler {
  return (req, res, body) => manager.handleHttp(req, res, body);
}

function moveStage(secret: StoredSecret, stage: string, target: StoredVersion): void {
  if (target.stages.includes(stage)) return;
  let previousHolder: StoredVersion | undefined;
  for (const version of secret.versions) {
    if (version === target || !version.stages.includes(stage)) continue;
    version.stages = version.stages.filter((s) => s !== stage);
    previousHolder = version;
  }
  target.stages.push(stage);
  if (stage === AWSCURRENT && previousHolder) moveStage(secret, AWSPREVIOUS, previousHolder);
}

function loadState(file: string): StateFile {
  if (!existsSync(file)) return { version: 1, secrets: [] };
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<StateFile>;
    if (!Array.isArray(parsed.secrets)) throw new Error("no secrets list");
    return { version: 1, secrets: parsed.secrets };
  } catch (error) {
    throw new Error(
      `${file} is not a valid secrets state file (${(error as Error).message}): fix or remove it`,
    );
  }
}

function summary(secret: StoredSecret): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description ? { Description: secret.description } : {}),
    CreatedDate: epochSeconds(secret.createdDate),
    LastChangedDate: epochSeconds(secret.lastChangedDate),
  };
}

function versionsToStages(secret: StoredSecret): Record<string, string[]> {
  return Object.fromEntries(
    secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, v.stages]),
  );
}

interface Filter {
  key: string;
  values: string[];
}

/** ListSecrets filters: prefix match per value, `!` negates; name, description and all are supported. */
function matchesFilter(secret: StoredSecret, filter: Filter): boolean {
  const fields =
    filter.key === "name"
      ? [secret.name]
      : filter.key === "description"
        ? [secret.description ?? ""]
        : filter.key === "all"
          ? [secret.name, secret.description ?? ""]
          : undefined;
  if (!fields) return true;
  return filter.values.some((value) => {
    const negated = value.startsWith("!");
    const prefix = negated ? value.slice(1) : value;
    const hit = fields.some((field) => field.startsWith(prefix));
    return negated ? !hit : hit;
  });
}

const epochSeconds = (ms: number) => ms / 1000;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const ok = (body: Record<string, unknown>): SecretsManagerResponse => ({
  status: 200,
  headers: { "content-type": CONTENT_TYPE },
  body,
});

function errorResponse(error: SecretsManagerError): SecretsManagerResponse {
  return {
    status: error.status,
    headers: { "content-type": CONTENT_TYPE, "x-amzn-errortype": error.code },
    body: { __type: error.code, Message: error.message },
  };
}

/** Typed reads of a request's members; a wrong type is the caller's error. */
class Input {
  private readonly members: Record<string, unknown>;

  constructor(body: unknown) {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new SecretsManagerError("SerializationException", "The request body must be a JSON object.");
    }
    this.members = body as Record<string, unknown>;
  }

  optional(name: string): string | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw invalid(`${name} must be a string.`);
    return value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (!value) throw invalid(`You must specify ${name}.`);
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value)) throw invalid(`${name} must be an integer.`);
    return value;
  }

  stringList(name: string): string[] | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== "string" || !v)) {
      throw invalid(`${name} must be a non-empty list of strings.`);
    }
    return value as string[];
  }

  filters(): Filter[] {
    const value = this.members.Filters;
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw invalid("Filters must be a list.");
    return value.map((entry) => {
      const f = entry as { Key?: unknown; Values?: unknown };
      if (
        typeof f?.Key !== "string" ||
        !Array.isArray(f.Values) ||
        f.Values.some((v) => typeof v !== "string")
      ) {
        throw invalid("Each filter needs a Key and a list of Values.");
      }
      return { key: f.Key, values: f.Values as string[] };
    });
  }
}

const invalid = (message: string) => new SecretsManagerError("InvalidParameterException", message);
