/**
 * Sandbox platforms: one loopback HTTP server playing every push platform's after-sale API at
 * `POST /<platformId>/after-sale`, the way the hub's delivery functions reach them
 * (`<sandboxBaseUrl>/<platformId>/after-sale`, infra/stages.ts).
 *
 * Each platform verifies the Standard Webhooks signature with its current key (an implementation of its own,
 * ./webhook-verifier.ts), opens one case per `webhook-id` (a repeat gets the same case reference and counts
 * as a duplicate), answers in its success rule's style, and records every request in memory and in
 * `<stateDir>/sandbox/<platformId>.jsonl` (reloaded on start, so case references survive a restart).
 *
 * Behaviour can be switched per platform at run time, by code (`setMode`) or over HTTP:
 *   GET  /_sandbox                     status of every platform
 *   GET  /_sandbox/<id>                status of one
 *   GET  /_sandbox/<id>/received       its records (`?since=<seq>` for the newer ones)
 *   GET  /_sandbox/<id>/cases          its distinct case references
 *   PUT  /_sandbox/<id>/mode           {"mode": ..., "delayMs"?, "retryAfterSeconds"?, "times"?}
 *   POST /_sandbox/reset               every platform back to "ok", records and cases forgotten
 *   POST /_sandbox/<id>/reset          the same for one platform
 * Modes act on authentic requests (a bad signature is always 401 and uses up no `times`):
 *   ok                answer success              slow        answer success after delayMs
 *   fail              503                         timeout     no answer; the socket is dropped after 5 min
 *   rate-limit        429 with Retry-After        gone        410
 *   error-body        200 with the rule's field set to an error value and no case reference
 *   reject-signature  401 as if verification failed
 *   disconnect        the connection is closed without an answer (to the hub, what a refused or reset
 *                     connection looks like: no HTTP status at all)
 * `times` limits a mode to that many requests, after which the platform is back to "ok".
 */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { join } from "node:path";
import { isPush, type PlatformEntry, type PushPlatform, type SuccessRule } from "../../infra/platforms";
import { closeServer, listen } from "../net";
import { errorBody, successBody } from "./sandbox-answers";
import { currentKeyFromSecretValue, type Verification, verifyWebhook } from "./webhook-verifier";

export const SANDBOX_MODES = [
  "ok",
  "fail",
  "timeout",
  "slow",
  "rate-limit",
  "gone",
  "error-body",
  "reject-signature",
  "disconnect",
] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export interface ModeSettings {
  mode: SandboxMode;
  /** slow: how long to wait before answering (default 2000). */
  delayMs?: number;
  /** rate-limit: the Retry-After value (default 1). */
  retryAfterSeconds?: number;
  /** How many requests the mode applies to before the platform is back to "ok" (default: until changed). */
  times?: number;
}

export interface ModeState {
  mode: SandboxMode;
  delayMs: number;
  retryAfterSeconds: number;
  /** Requests left in this mode; null while it applies until changed. */
  remaining: number | null;
}

/** One request as the platform saw it, and what it answered. */
export interface SandboxRecord {
  /** Per platform, increasing. */
  seq: number;
  at: string;
  platform: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  webhookId?: string;
  /** The request body parsed as JSON; undefined when it is not JSON (then see rawBody). */
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON as sent by the hub, inspected freely by tests
  body: any;
  /** The first 4 KiB of a body that is not JSON. */
  rawBody?: string;
  verified: boolean;
  /** Why verification failed. */
  verifyError?: string;
  /** The mode that shaped the answer (absent when the signature was refused). */
  mode?: SandboxMode;
  /** The HTTP status answered; 0 when no answer was given (timeout mode). */
  status: number;
  /** The JSON body answered. */
  answer?: unknown;
  retryAfterSeconds?: number;
  delayMs?: number;
  /** The case reference answered (success only). */
  caseRef?: string;
  /** The webhook-id had been given a case before: the same one was answered. */
  duplicate: boolean;
}

export interface PlatformStatus {
  id: string;
  endpoint: string;
  secretName: string;
  successRule: SuccessRule;
  mode: ModeState;
  requests: number;
  verified: number;
  rejected: number;
  duplicates: number;
  cases: number;
}

export interface SandboxPlatformsOptions {
  /** The registry; its push platforms are served, pull platforms ignored. */
  platforms: readonly PlatformEntry[];
  stage: string;
  /** The platform's webhook secret value (`complaint-hub/<stage>/platforms/<id>/webhook`), read per request. */
  getSecret: (platformId: string) => Promise<string>;
  /** Records go to `<stateDir>/sandbox/<platformId>.jsonl`. */
  stateDir: string;
  host?: string;
  /** Default 4010; 0 picks a free port. */
  port?: number;
  /** How long timeout mode holds a connection before dropping it (default 5 minutes). */
  timeoutHoldMs?: number;
  /** Clock in epoch milliseconds (timestamps and the signature's tolerance window). */
  now?: () => number;
}

export interface SandboxPlatforms {
  /** e.g. http://127.0.0.1:4010; platform endpoints are `<url>/<platformId>/after-sale`. */
  url: string;
  port: number;
  close(): Promise<void>;
  setMode(platformId: string, settings: ModeSettings | SandboxMode): ModeState;
  received(platformId: string): SandboxRecord[];
  /** Distinct case references opened, in order. */
  cases(platformId: string): string[];
  status(): PlatformStatus[];
  /** Back to "ok" with records and cases forgotten (the case counter keeps counting). */
  reset(platformId?: string): Promise<void>;
  /**
   * Stops listening and closes open connections: every push platform refuses connections (ECONNREFUSED)
   * until resume(), which listens on the same port again.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export class SandboxInputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "SandboxInputError";
  }
}

const DEFAULT_DELAY_MS = 2000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const TIMEOUT_HOLD_MS = 5 * 60 * 1000;
const MAX_BODY_BYTES = 1024 * 1024;
const RAW_BODY_CHARS = 4096;
const OK_MODE: ModeState = {
  mode: "ok",
  delayMs: DEFAULT_DELAY_MS,
  retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
  remaining: null,
};

interface PlatformState {
  platform: PushPlatform;
  file: string;
  mode: ModeState;
  records: SandboxRecord[];
  caseByWebhookId: Map<string, string>;
  cases: string[];
  lastCase: number;
  seq: number;
  writes: Promise<void>;
}

/** A line of the jsonl file that stands for a reset: earlier records are gone, the case counter is kept. */
interface ResetMarker {
  reset: true;
  at: string;
  lastCase: number;
}

type Answer = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

export async function createSandboxPlatforms(options: SandboxPlatformsOptions): Promise<SandboxPlatforms> {
  const now = options.now ?? Date.now;
  const holdMs = options.timeoutHoldMs ?? TIMEOUT_HOLD_MS;
  const host = options.host ?? "127.0.0.1";
  const dir = join(options.stateDir, "sandbox");
  await mkdir(dir, { recursive: true });

  const states = new Map<string, PlatformState>();
  for (const platform of options.platforms.filter(isPush)) {
    const file = join(dir, `${platform.id}.jsonl`);
    states.set(platform.id, await loadState(platform, file));
  }
  const timers = new Set<NodeJS.Timeout>();
  let url = "";

  const stateOf = (platformId: string): PlatformState => {
    const state = states.get(platformId);
    if (!state) throw new SandboxInputError(`No sandbox platform "${platformId}"`, 404);
    return state;
  };

  const append = (
    state: PlatformState,
    line: SandboxRecord | ResetMarker,
    truncate = false,
  ): Promise<void> => {
    const text = `${JSON.stringify(line)}\n`;
    state.writes = state.writes
      .then(() => (truncate ? writeFile(state.file, text) : appendFile(state.file, text)))
      .catch((error: unknown) =>
        console.error(`[sandbox ${state.platform.id}] cannot write records:`, error),
      );
    return state.writes;
  };

  const statusOf = (state: PlatformState): PlatformStatus => ({
    id: state.platform.id,
    endpoint: `${url}/${state.platform.id}/after-sale`,
    secretName: `complaint-hub/${options.stage}/platforms/${state.platform.id}/webhook`,
    successRule: state.platform.delivery.successRule,
    mode: { ...state.mode },
    requests: state.records.length,
    verified: state.records.filter((r) => r.verified).length,
    rejected: state.records.filter((r) => !r.verified).length,
    duplicates: state.records.filter((r) => r.duplicate).length,
    cases: state.cases.length,
  });

  const setMode = (platformId: string, settings: ModeSettings | SandboxMode): ModeState => {
    const state = stateOf(platformId);
    state.mode = modeState(typeof settings === "string" ? { mode: settings } : settings);
    return { ...state.mode };
  };

  const reset = async (platformId?: string): Promise<void> => {
    const targets = platformId === undefined ? [...states.values()] : [stateOf(platformId)];
    for (const state of targets) {
      state.mode = { ...OK_MODE };
      state.records = [];
      state.caseByWebhookId.clear();
      state.cases = [];
      await append(state, { reset: true, at: new Date(now()).toISOString(), lastCase: state.lastCase }, true);
    }
  };

  /** The mode for this request; a limited mode counts down and returns to ok. */
  const takeMode = (state: PlatformState): ModeState => {
    const applied = { ...state.mode };
    if (state.mode.remaining !== null) {
      state.mode.remaining -= 1;
      if (state.mode.remaining <= 0) state.mode = { ...OK_MODE };
    }
    return applied;
  };

  const send = (res: ServerResponse, answer: Answer): void => {
    if (res.destroyed || res.headersSent) return;
    const payload = answer.body === undefined ? "" : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(answer.body === undefined ? {} : { "content-type": "application/json" }),
      ...answer.headers,
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  };

  /** Runs `action` after `ms` unless the connection is gone first; close() cancels it. */
  const later = (res: ServerResponse, ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
    res.on("close", () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const afterSale = async (
    state: PlatformState,
    headers: IncomingHttpHeaders,
    res: ServerResponse,
    raw: Buffer,
  ) => {
    const flat = flattenHeaders(headers);
    const webhookId = flat["webhook-id"];
    const base = {
      seq: ++state.seq,
      at: new Date(now()).toISOString(),
      platform: state.platform.id,
      headers: flat,
      ...(webhookId ? { webhookId } : {}),
      ...parseBody(raw),
    };
    const rule = state.platform.delivery.successRule;

    let verification: Verification;
    try {
      const key = currentKeyFromSecretValue(await options.getSecret(state.platform.id));
      verification = verifyWebhook(
        key,
        {
          id: webhookId,
          timestamp: flat["webhook-timestamp"],
          signature: flat["webhook-signature"],
          body: raw,
        },
        Math.floor(now() / 1000),
      );
    } catch (error) {
      // The platform cannot read its own key: its fault, and one the hub should retry.
      const answer = { status: 500, body: { error: "the platform's webhook key is unavailable" } };
      const reason = `webhook key unavailable: ${(error as Error).message}`;
      return finish(state, res, { ...base, verified: false, verifyError: reason, duplicate: false }, answer);
    }
    if (!verification.ok) {
      const answer = { status: 401, body: { error: "invalid signature", reason: verification.reason } };
      return finish(
        state,
        res,
        { ...base, verified: false, verifyError: verification.reason, duplicate: false },
        answer,
      );
    }

    const mode = takeMode(state);
    const verified = { ...base, verified: true, mode: mode.mode, duplicate: false };
    switch (mode.mode) {
      case "ok":
      case "slow": {
        const id = webhookId as string;
        const known = state.caseByWebhookId.get(id);
        const caseRef = known ?? `CASE-${state.platform.id}-${++state.lastCase}`;
        if (!known) {
          state.caseByWebhookId.set(id, caseRef);
          state.cases.push(caseRef);
        }
        const answer = { status: rule.statuses[0] ?? 200, body: successBody(rule, caseRef) };
        const delay = mode.mode === "slow" ? { delayMs: mode.delayMs } : {};
        return finish(
          state,
          res,
          { ...verified, ...delay, caseRef, duplicate: Boolean(known) },
          answer,
          () =>
            mode.mode === "slow" ? later(res, mode.delayMs, () => send(res, answer)) : send(res, answer),
        );
      }
      case "fail":
        return finish(state, res, verified, { status: 503, body: { error: "service unavailable" } });
      case "timeout":
        // Never answer: the client gives up on its own; the connection is dropped after the hold time.
        return finish(state, res, verified, { status: 0 }, () => later(res, holdMs, () => res.destroy()));
      case "rate-limit": {
        const seconds = mode.retryAfterSeconds;
        return finish(
          state,
          res,
          { ...verified, retryAfterSeconds: seconds },
          { status: 429, body: { error: "too many requests" }, headers: { "retry-after": String(seconds) } },
        );
      }
      case "gone":
        return finish(state, res, verified, { status: 410, body: { error: "this endpoint is gone" } });
      case "error-body":
        return finish(state, res, verified, { status: 200, body: errorBody(rule) });
      case "reject-signature":
        return finish(state, res, verified, {
          status: 401,
          body: { error: "invalid signature", reason: "rejected by the sandbox's reject-signature mode" },
        });
      case "disconnect":
        return finish(state, res, verified, { status: 0 }, () => res.destroy());
    }
  };

  /** Records the request (memory, then the jsonl file), then answers. */
  const finish = async (
    state: PlatformState,
    res: ServerResponse,
    record: Omit<SandboxRecord, "status" | "answer">,
    answer: Answer,
    deliver: () => void = () => send(res, answer),
  ): Promise<void> => {
    const full: SandboxRecord = {
      ...record,
      status: answer.status,
      ...(answer.body !== undefined ? { answer: answer.body } : {}),
    };
    state.records.push(full);
    await append(state, full);
    deliver();
  };

  const control = async (
    method: string,
    parts: string[],
    query: URLSearchParams,
    raw: Buffer,
  ): Promise<Answer> => {
    const [id, action] = parts;
    if (id === undefined) {
      return method === "GET"
        ? { status: 200, body: { stage: options.stage, url, platforms: [...states.values()].map(statusOf) } }
        : notAllowed("GET");
    }
    if (id === "reset" && parts.length === 1) {
      if (method !== "POST") return notAllowed("POST");
      await reset();
      return { status: 200, body: { platforms: [...states.values()].map(statusOf) } };
    }
    const state = stateOf(id);
    if (parts.length === 1)
      return method === "GET" ? { status: 200, body: statusOf(state) } : notAllowed("GET");
    if (parts.length > 2) throw new SandboxInputError("Not found", 404);
    switch (action) {
      case "received": {
        if (method !== "GET") return notAllowed("GET");
        const since = Number(query.get("since") ?? 0) || 0;
        return { status: 200, body: state.records.filter((r) => r.seq > since) };
      }
      case "cases":
        return method === "GET" ? { status: 200, body: [...state.cases] } : notAllowed("GET");
      case "mode": {
        if (method === "GET") return { status: 200, body: state.mode };
        if (method !== "PUT") return notAllowed("GET, PUT");
        let input: unknown;
        try {
          input = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new SandboxInputError('The body must be JSON: {"mode": ...}');
        }
        return { status: 200, body: setMode(id, parseModeSettings(input)) };
      }
      case "reset":
        if (method !== "POST") return notAllowed("POST");
        await reset(id);
        return { status: 200, body: statusOf(state) };
      default:
        throw new SandboxInputError("Not found", 404);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      const route = async () => {
        if (size > MAX_BODY_BYTES)
          return send(res, { status: 413, body: { error: "request body too large" } });
        const target = new URL(req.url ?? "/", "http://sandbox");
        const parts = target.pathname.split("/").filter(Boolean).map(decodeURIComponent);
        const method = req.method ?? "GET";
        if (parts[0] === "_sandbox")
          return send(res, await control(method, parts.slice(1), target.searchParams, Buffer.concat(chunks)));
        if (parts.length === 2 && parts[1] === "after-sale") {
          const state = states.get(parts[0] as string);
          if (!state) return send(res, { status: 404, body: { error: `no sandbox platform "${parts[0]}"` } });
          if (method !== "POST") return send(res, notAllowed("POST"));
          return afterSale(state, req.headers, res, Buffer.concat(chunks));
        }
        send(res, { status: 404, body: { error: "not found" } });
      };
      route().catch((error: unknown) => {
        if (error instanceof SandboxInputError)
          return send(res, { status: error.status, body: { error: error.message } });
        console.error("[sandbox]", error);
        if (!res.headersSent) send(res, { status: 500, body: { error: "sandbox failure" } });
        else res.destroy();
      });
    });
  });

  const port = await listen(server, host, options.port ?? 4010, "sandbox platforms", "--sandbox-port");
  url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await closeServer(server);
      await Promise.all([...states.values()].map((s) => s.writes));
    },
    async pause() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async resume() {
      if (server.listening) return;
      await listen(server, host, port, "sandbox platforms", "--sandbox-port");
    },
    setMode,
    received: (platformId) => [...stateOf(platformId).records],
    cases: (platformId) => [...stateOf(platformId).cases],
    status: () => [...states.values()].map(statusOf),
    reset,
  };
}

/** Validates mode settings from code or from the control API. */
export function parseModeSettings(input: unknown): ModeSettings {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new SandboxInputError('Expected {"mode": ..., "delayMs"?, "retryAfterSeconds"?, "times"?}');
  }
  const { mode, delayMs, retryAfterSeconds, times } = input as Record<string, unknown>;
  if (typeof mode !== "string" || !(SANDBOX_MODES as readonly string[]).includes(mode)) {
    throw new SandboxInputError(`mode must be one of ${SANDBOX_MODES.join(", ")}`);
  }
  const integer = (name: string, value: unknown, min: number, max: number) => {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new SandboxInputError(`${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const settings: ModeSettings = { mode: mode as SandboxMode };
  const delay = integer("delayMs", delayMs, 0, 10 * 60 * 1000);
  if (delay !== undefined) settings.delayMs = delay;
  const retryAfter = integer("retryAfterSeconds", retryAfterSeconds, 0, 86_400);
  if (retryAfter !== undefined) settings.retryAfterSeconds = retryAfter;
  const count = integer("times", times, 1, 1_000_000);
  if (count !== undefined) settings.times = count;
  return settings;
}

function modeState(settings: ModeSettings): ModeState {
  const valid = parseModeSettings(settings);
  return {
    mode: valid.mode,
    delayMs: valid.delayMs ?? DEFAULT_DELAY_MS,
    retryAfterSeconds: valid.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    remaining: valid.times ?? null,
  };
}

/** Rebuilds records, cases and the case counter from the jsonl file (a torn last line is skipped). */
async function loadState(platform: PushPlatform, file: string): Promise<PlatformState> {
  const state: PlatformState = {
    platform,
    file,
    mode: { ...OK_MODE },
    records: [],
    caseByWebhookId: new Map(),
    cases: [],
    lastCase: 0,
    seq: 0,
    writes: Promise.resolve(),
  };
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let entry: SandboxRecord | ResetMarker;
    try {
      entry = JSON.parse(line) as SandboxRecord | ResetMarker;
    } catch {
      continue;
    }
    if ("reset" in entry) {
      state.records = [];
      state.caseByWebhookId.clear();
      state.cases = [];
      state.lastCase = Math.max(state.lastCase, entry.lastCase || 0);
      continue;
    }
    state.records.push(entry);
    state.seq = Math.max(state.seq, entry.seq || 0);
    if (entry.caseRef && entry.webhookId && !state.caseByWebhookId.has(entry.webhookId)) {
      state.caseByWebhookId.set(entry.webhookId, entry.caseRef);
      state.cases.push(entry.caseRef);
    }
    const number = Number(/-(\d+)$/.exec(entry.caseRef ?? "")?.[1] ?? 0);
    state.lastCase = Math.max(state.lastCase, number);
  }
  return state;
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of unknown shape
function parseBody(raw: Buffer): { body: any; rawBody?: string } {
  const text = raw.toString("utf8");
  if (text.length === 0) return { body: undefined };
  try {
    return { body: JSON.parse(text) };
  } catch {
    return { body: undefined, rawBody: text.slice(0, RAW_BODY_CHARS) };
  }
}

const notAllowed = (allow: string): Answer => ({
  status: 405,
  body: { error: "method not allowed" },
  headers: { allow },
});
