/**
 * The local EventBridge: event buses, rules with the complete pattern matcher (event-pattern.ts), targets
 * with Input / InputPath / InputTransformer, retry with exponential back-off and jitter up to each target's
 * RetryPolicy, target dead-letter queues with the attributes EventBridge adds, archives on disk and replay.
 * No HTTP here: eventbridge-json-protocol.ts speaks the AWS wire protocol.
 *
 * What follows AWS, and where the sources are:
 * - PutEvents limits and per-entry errors: LocalStack's recordings of real EventBridge
 *   (tests/aws/services/events/test_events.snapshot.json) and the entry size formula of the user guide
 *   ("Calculating PutEvents event entry size").
 * - Delivery: "Event retry policy and using dead-letter queues". Retryable failures are retried with
 *   back-off until MaximumRetryAttempts or MaximumEventAgeInSeconds runs out; failures that retrying cannot
 *   fix (the target does not exist, no permission, an invalid message) go straight to the DLQ; with no DLQ
 *   the event is dropped. DLQ messages carry the original event and RULE_ARN, TARGET_ARN, ERROR_CODE,
 *   ERROR_MESSAGE, RETRY_ATTEMPTS and, when a retry limit ended the delivery, EXHAUSTED_RETRY_CONDITION.
 *
 * - Schedule rules (ScheduleExpression, default bus only; schedule-expression.ts): each run sends the rule's
 *   targets the "Scheduled Event" that EventBridge sends, and only them (the event is not put on the bus).
 *   startSchedules() runs them as the clock passes their fire times (schedules.ts); runSchedules() runs
 *   them once, now, for tests.
 *
 * Deliberate difference: an entry for an event bus that does not exist fails with ResourceNotFoundException
 * (real EventBridge answers success and drops the event, aws/aws-cli#9186); `rejectUnknownEventBus: false`
 * restores AWS's behaviour.
 */
import { randomUUID } from "node:crypto";
import type { LocalFaults } from "../faults.js";
import type { Clock, MessageAttributeInput, SqsEngine } from "../sqs/sqs-engine.js";
import { SqsError } from "../sqs/sqs-errors.js";
import { archivesDirectory, EventArchive, eventTimeOf } from "./event-archive.js";
import { type CompiledPattern, compileEventPattern, prepareEvent } from "./event-pattern.js";
import { constraintViolation, EventBridgeError, notFound, validationError } from "./eventbridge-errors.js";
import { JsonObject, type JsonValue, parseJson } from "./pattern/json.js";
import { PendingDeliveries } from "./pending-deliveries.js";
import { parseScheduleExpression, type ScheduleExpression } from "./schedule-expression.js";
import { ScheduleTimer, type ScheduleTimers } from "./schedules.js";
import {
  type CompiledInputTransformer,
  compileInputTransformer,
  type JsonPath,
  memberOf,
  parseJsonPath,
  renderInputPath,
  renderInputTemplate,
  serializeJson,
} from "./target-input.js";

export { InvalidEventPatternError } from "./event-pattern.js";
export { EventBridgeError } from "./eventbridge-errors.js";

export interface EventBridgeLogger {
  warn(message: string): void;
}

export interface LocalEventBridgeOptions {
  /** The local cloud's state folder; archives live in `<stateDir>/eventbridge/archives/`. */
  stateDir: string;
  region: string;
  /** Defaults to the SQS engine's account. */
  accountId?: string;
  sqs: SqsEngine;
  /** Runs a Lambda target; a rejection counts as a failed delivery (see TargetDeliveryError). */
  invokeLambda?: (functionArn: string, event: unknown) => Promise<void>;
  /** First retry delay before jitter (default 1000 ms); doubles with each retry. */
  retryBaseDelayMs?: number;
  /** Longest retry delay (default 300,000 ms). */
  retryMaxDelayMs?: number;
  /** Event times, ingestion times, event age and schedules (retry back-off waits use real timers). */
  clock?: Clock;
  /** Where dropped events and other delivery trouble are reported (default console). */
  logger?: EventBridgeLogger;
  /** fdatasync archive appends (default true). */
  fsync?: boolean;
  /** Fail PutEvents entries for unknown buses (default true; AWS accepts and drops them). */
  rejectUnknownEventBus?: boolean;
  /** Test-only fault injection (local/faults.ts): PutEvents throttling and partial failures. */
  faults?: LocalFaults;
}

export interface RetryPolicyDefinition {
  /** 0–185, default 185. */
  maximumRetryAttempts?: number;
  /** 60–86,400, default 86,400. */
  maximumEventAgeInSeconds?: number;
}

export interface TargetDefinition {
  id: string;
  arn: string;
  /** Constant JSON text. */
  input?: string;
  /** JSON path into the event, e.g. "$.detail". */
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate: string };
  retryPolicy?: RetryPolicyDefinition;
  /** ARN of the SQS queue for events that could not be delivered. */
  deadLetterArn?: string;
}

export interface RuleDefinition {
  name: string;
  /** Name or ARN; default "default". */
  busName?: string;
  /** JSON text or an object. A rule needs an event pattern, a schedule expression or both. */
  eventPattern?: string | object;
  /** "rate(5 minutes)", "cron(0 10 * * ? *)": on the default bus only. */
  scheduleExpression?: string;
  /** "ENABLED" (default), "DISABLED" or "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS". */
  state?: string;
  description?: string;
  targets?: readonly TargetDefinition[];
}

export interface ArchiveDefinition {
  name: string;
  /** Name or ARN of the source bus. */
  busName: string;
  eventPattern?: string | object;
  /** 0 (default): keep forever. */
  retentionDays?: number;
  description?: string;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  /** A JSON object, as text. */
  Detail?: string;
  /** Name or ARN; default "default". */
  EventBusName?: string;
  Resources?: string[];
  /** A Date, an ISO 8601 string, or epoch seconds (as the JSON protocol sends it). */
  Time?: Date | string | number;
  TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface BusDescription {
  name: string;
  arn: string;
  description?: string;
  createdAt: Date;
}

export interface TargetDescription {
  id: string;
  arn: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap: Record<string, string>; inputTemplate: string };
  retryPolicy?: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
  deadLetterArn?: string;
}

export interface RuleDescription {
  name: string;
  arn: string;
  busName: string;
  /** JSON text, as EventBridge returns it. */
  eventPattern?: string;
  scheduleExpression?: string;
  state: string;
  description?: string;
  createdAt: Date;
  targets: TargetDescription[];
}

export interface ArchiveDescription {
  name: string;
  arn: string;
  busName: string;
  sourceArn: string;
  eventPattern?: string;
  description?: string;
  state: "ENABLED";
  retentionDays: number;
  eventCount: number;
  sizeBytes: number;
  createdAt: Date;
}

export interface ReplayInput {
  archiveName: string;
  /** Replays events whose `time` is in [from, to]. */
  from: Date | string | number;
  to: Date | string | number;
  /** Rule names or ARNs on the archive's bus; default every rule of the bus. */
  destinationRules?: readonly string[];
  /** Default "replay-<random>". */
  replayName?: string;
  description?: string;
}

export type ReplayState = "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";

export interface ReplayDescription {
  replayName: string;
  replayArn: string;
  description?: string;
  state: ReplayState;
  stateReason?: string;
  /** The archive's ARN. */
  eventSourceArn: string;
  destination: { arn: string; filterArns?: string[] };
  eventStartTime: Date;
  eventEndTime: Date;
  eventLastReplayedTime?: Date;
  replayStartTime: Date;
  replayEndTime?: Date;
  /** Events sent to the bus's rules (local addition). */
  replayedEvents: number;
}

export interface TargetStats {
  targetId: string;
  arn: string;
  /** Events that matched the rule and were handed to this target. */
  invocations: number;
  delivered: number;
  /** Retries made (attempts after the first). */
  retried: number;
  deadLettered: number;
  /** Given up with no DLQ configured. */
  dropped: number;
  /** Given up and the DLQ could not take the event either. */
  deadLetterFailed: number;
}

export interface RuleStats {
  ruleName: string;
  busName: string;
  ruleArn: string;
  matched: number;
  targets: TargetStats[];
}

/** One run of a schedule rule: the "Scheduled Event" its targets were sent. */
export interface ScheduledRun {
  ruleName: string;
  ruleArn: string;
  eventId: string;
  /** The event's `time`, e.g. "2026-11-28T15:20:00Z". */
  time: string;
}

export interface EventBridgeStats {
  /** PutEvents entries accepted and failed. */
  accepted: number;
  failed: number;
  rules: RuleStats[];
}

/**
 * Throw this from `invokeLambda` to say how EventBridge should treat the failure; codes as in the DLQ
 * ERROR_CODE attribute (THROTTLING, TIMEOUT, NO_RESOURCE, NO_PERMISSIONS, ...).
 */
export class TargetDeliveryError extends Error {
  override readonly name = "TargetDeliveryError";

  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export const DEFAULT_BUS = "default";
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** 256 KiB, counted as EventBridge counts entries. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_EVENT_AGE_SECONDS = 86_400;
const MAX_TARGETS_PER_RULE = 5;
const NAME = /^[.\-_A-Za-z0-9]+$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]+$/;
const RULE_STATES = ["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"];
const TEST_EVENT_REQUIRED_FIELDS = ["id", "account", "source", "time", "region", "detail-type"];

interface BusRecord {
  name: string;
  arn: string;
  description?: string;
  createdAt: number;
}

interface TargetCounters {
  invocations: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  dropped: number;
  deadLetterFailed: number;
}

interface TargetRecord {
  definition: TargetDescription;
  kind: "sqs" | "lambda" | "other";
  inputPath?: JsonPath;
  transformer?: CompiledInputTransformer;
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  counters: TargetCounters;
}

interface RuleRecord {
  name: string;
  arn: string;
  busName: string;
  /** Absent for a rule that only runs on a schedule: it matches no event. */
  eventPattern?: string;
  pattern?: CompiledPattern;
  schedule?: ScheduleExpression;
  state: string;
  description?: string;
  createdAt: number;
  targets: TargetRecord[];
  matched: number;
}

interface ArchiveRecord {
  archive: EventArchive;
  busName: string;
}

/** One accepted event on its way to targets. */
interface BusEvent {
  id: string;
  /** The envelope as minified JSON text (what whole-event targets, archives and DLQs receive). */
  text: string;
  tree: JsonValue;
  /** Epoch ms when the bus took it (for replays: when the replay sent it). */
  ingestedAt: number;
}

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

interface ReplayRecord extends ReplayDescription {
  done: Promise<void>;
}

export class LocalEventBridge {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  private readonly sqs: SqsEngine;
  private readonly invokeLambda: LocalEventBridgeOptions["invokeLambda"];
  private readonly clock: Clock;
  private readonly logger: EventBridgeLogger;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly archiveDirectory: string;
  private readonly fsync: boolean;
  private readonly rejectUnknownEventBus: boolean;
  private readonly faults: LocalFaults | undefined;
  private readonly stateDir: string;
  /** Accepted events not yet delivered to every target, on disk (opened with the first PutEvents). */
  private pendingJournal: Promise<PendingDeliveries> | undefined;
  /** What the journal held when it was opened: delivered again by resumePendingDeliveries(). */
  private recovered: ReturnType<PendingDeliveries["events"]> | undefined;
  private readonly buses = new Map<string, BusRecord>();
  /** By bus name, then rule name. */
  private readonly rulesByBus = new Map<string, Map<string, RuleRecord>>();
  private readonly archives = new Map<string, ArchiveRecord>();
  private readonly replays = new Map<string, ReplayRecord>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private scheduleTimer: ScheduleTimer<RuleRecord> | undefined;
  private accepted = 0;
  private failed = 0;
  private closed = false;

  constructor(options: LocalEventBridgeOptions) {
    this.region = options.region;
    this.accountId = options.accountId ?? options.sqs.accountId;
    this.partition = partitionOf(options.region);
    this.sqs = options.sqs;
    this.invokeLambda = options.invokeLambda;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.logger = options.logger ?? { warn: (message) => console.warn(`[eventbridge] ${message}`) };
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 1000;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 300_000;
    this.archiveDirectory = archivesDirectory(options.stateDir);
    this.fsync = options.fsync ?? true;
    this.rejectUnknownEventBus = options.rejectUnknownEventBus ?? true;
    this.faults = options.faults;
    this.stateDir = options.stateDir;
    this.createBus(DEFAULT_BUS);
  }

  // ---- ARNs ----

  busArn(name: string): string {
    return `${this.arnPrefix()}:event-bus/${name}`;
  }

  ruleArn(name: string, busName = DEFAULT_BUS): string {
    return `${this.arnPrefix()}:rule/${busName === DEFAULT_BUS ? "" : `${busName}/`}${name}`;
  }

  archiveArn(name: string): string {
    return `${this.arnPrefix()}:archive/${name}`;
  }

  replayArn(name: string): string {
    return `${this.arnPrefix()}:replay/${name}`;
  }

  /** The bus a name or ARN refers to, when it exists here. */
  resolveBusName(nameOrArn: string | undefined): string | undefined {
    if (nameOrArn === undefined || nameOrArn === "") return DEFAULT_BUS;
    let name = nameOrArn;
    if (nameOrArn.startsWith("arn:")) {
      const match = /^arn:[\w-]+:events:([\w-]+):(\d{12}):event-bus\/(.+)$/.exec(nameOrArn);
      if (!match || match[1] !== this.region || match[2] !== this.accountId) return undefined;
      name = match[3] as string;
    }
    return this.buses.has(name) ? name : undefined;
  }

  // ---- resources ----

  /** Creates an event bus; the default bus always exists. Returns its ARN. */
  addBus(name: string, options: { description?: string } = {}): string {
    if (typeof name !== "string" || !BUS_NAME.test(name) || name.length > 256) {
      throw constraintViolation(
        String(name),
        "name",
        "satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
      );
    }
    if (this.buses.has(name)) {
      throw new EventBridgeError("ResourceAlreadyExistsException", `Event bus ${name} already exists.`);
    }
    return this.createBus(name, options.description).arn;
  }

  /**
   * Creates or replaces a rule with its targets. Throws InvalidEventPatternError with EventBridge's text for
   * an invalid pattern, EventBridgeError for everything else PutRule / PutTargets would refuse.
   */
  addRule(definition: RuleDefinition): string {
    const { name } = definition;
    if (typeof name !== "string" || !NAME.test(name) || name.length > 64) {
      throw constraintViolation(
        String(name),
        "name",
        name?.length > 64
          ? "have length less than or equal to 64"
          : "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
      );
    }
    const busName = this.requireBus(definition.busName);
    const { eventPattern, scheduleExpression } = definition;
    const hasPattern = eventPattern !== undefined && eventPattern !== null;
    const hasSchedule = scheduleExpression !== undefined && scheduleExpression !== null;
    if (!hasPattern && !hasSchedule) {
      throw validationError("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    }
    if (hasSchedule && busName !== DEFAULT_BUS) {
      throw validationError("ScheduleExpression is supported only on the default event bus.");
    }
    let schedule: ScheduleExpression | undefined;
    if (hasSchedule) {
      try {
        schedule = parseScheduleExpression(scheduleExpression);
      } catch {
        throw validationError("Parameter ScheduleExpression is not valid.");
      }
    }
    const pattern = hasPattern ? compileEventPattern(eventPattern) : undefined;
    const state = definition.state ?? "ENABLED";
    if (!RULE_STATES.includes(state)) {
      throw constraintViolation(state, "state", `satisfy enum value set: [${RULE_STATES.join(", ")}]`);
    }
    const targets = this.compileTargets(name, definition.targets ?? []);
    const rule: RuleRecord = {
      name,
      arn: this.ruleArn(name, busName),
      busName,
      ...(hasPattern
        ? {
            eventPattern: typeof eventPattern === "string" ? eventPattern : JSON.stringify(eventPattern),
            pattern,
          }
        : {}),
      ...(schedule ? { schedule } : {}),
      state,
      ...(definition.description !== undefined ? { description: definition.description } : {}),
      createdAt: this.clock.now(),
      targets,
      matched: 0,
    };
    this.rulesOf(busName).set(name, rule);
    return rule.arn;
  }

  /** Opens (or creates) an archive of a bus; its events stay on disk across restarts. Returns its ARN. */
  async addArchive(definition: ArchiveDefinition): Promise<string> {
    const { name } = definition;
    if (typeof name !== "string" || !NAME.test(name) || name.length > 48) {
      throw constraintViolation(
        String(name),
        "archiveName",
        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
      );
    }
    if (this.archives.has(name)) {
      throw new EventBridgeError("ResourceAlreadyExistsException", `Archive ${name} already exists.`);
    }
    const busName = this.requireBus(definition.busName);
    const retentionDays = definition.retentionDays ?? 0;
    if (!Number.isInteger(retentionDays) || retentionDays < 0) {
      throw constraintViolation(
        String(retentionDays),
        "retentionDays",
        "have value greater than or equal to 0",
      );
    }
    const pattern =
      definition.eventPattern === undefined ? undefined : compileEventPattern(definition.eventPattern);
    const archive = await EventArchive.open(this.archiveDirectory, {
      name,
      busName,
      arn: this.archiveArn(name),
      sourceArn: this.busArn(busName),
      ...(definition.eventPattern !== undefined
        ? {
            eventPattern:
              typeof definition.eventPattern === "string"
                ? definition.eventPattern
                : JSON.stringify(definition.eventPattern),
          }
        : {}),
      ...(pattern ? { pattern } : {}),
      retentionDays,
      ...(definition.description !== undefined ? { description: definition.description } : {}),
      fsync: this.fsync,
      now: () => this.clock.now(),
    });
    this.archives.set(name, { archive, busName });
    return archive.options.arn;
  }

  listBuses(): BusDescription[] {
    return [...this.buses.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((bus) => ({
        name: bus.name,
        arn: bus.arn,
        ...(bus.description !== undefined ? { description: bus.description } : {}),
        createdAt: new Date(bus.createdAt),
      }));
  }

  describeBus(nameOrArn?: string): BusDescription {
    const name = this.requireBus(nameOrArn);
    const found = this.listBuses().find((bus) => bus.name === name);
    if (!found) throw notFound(`Event bus ${nameOrArn} does not exist.`);
    return found;
  }

  /** The rules of a bus, sorted by name. */
  listRules(busName?: string): RuleDescription[] {
    const bus = this.requireBus(busName);
    return [...this.rulesOf(bus).values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((rule) => this.describeRuleRecord(rule));
  }

  describeRule(name: string, busName?: string): RuleDescription {
    return this.describeRuleRecord(this.requireRule(name, busName));
  }

  listArchives(): ArchiveDescription[] {
    return [...this.archives.values()]
      .sort((a, b) => a.archive.name.localeCompare(b.archive.name))
      .map((record) => this.describeArchiveRecord(record));
  }

  describeArchive(name: string): ArchiveDescription {
    const record = this.archives.get(name);
    if (!record) throw notFound(`Archive ${name} does not exist.`);
    return this.describeArchiveRecord(record);
  }

  // ---- events ----

  /**
   * PutEvents: 1–10 entries of at most 256 KiB together (else ValidationException, nothing accepted), each
   * accepted or failed on its own. Accepted events are archived (on disk before this resolves) and matched
   * against the enabled rules of their bus; deliveries to targets start after it resolves.
   */
  async putEvents(
    entries: readonly PutEventsEntry[],
    context: { caller?: string } = {},
  ): Promise<PutEventsResult> {
    if (!Array.isArray(entries))
      throw validationError(
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    if (entries.length < 1) {
      throw constraintViolation("[]", "entries", "have length greater than or equal to 1");
    }
    if (entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw constraintViolation(
        `[${entries.map(describeEntry).join(", ")}]`,
        "entries",
        `have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES}`,
      );
    }
    entries.forEach(checkEntryTypes);
    if (entries.reduce((sum, entry) => sum + entrySize(entry), 0) > PUT_EVENTS_MAX_BYTES) {
      throw validationError("Total size of the entries in the request is over the limit.");
    }
    if (this.faults?.requestFault("events", "PutEvents", undefined, context.caller) === "throttle") {
      this.failed += entries.length;
      throw new EventBridgeError("ThrottlingException", "Rate exceeded");
    }
    const now = this.clock.now();
    const results: PutEventsResultEntry[] = [];
    const accepted: { busName: string; event: BusEvent }[] = [];
    for (const entry of entries) {
      if (this.faults?.entryFails("events", "PutEvents", context.caller)) {
        results.push({ ErrorCode: "InternalFailure", ErrorMessage: "Internal service error (injected)" });
        continue;
      }
      const outcome = this.acceptEntry(entry, now);
      if ("ErrorCode" in outcome) {
        results.push(outcome);
      } else {
        results.push({ EventId: outcome.event.id });
        if (outcome.busName !== undefined) accepted.push({ busName: outcome.busName, event: outcome.event });
      }
    }
    await this.archiveEvents(accepted);
    // On disk before the answer, as EventBridge has it durably once PutEvents says so: a local cloud killed
    // before the deliveries end delivers them after its restart (resumePendingDeliveries).
    const journal = await this.journal();
    await journal.accept(
      accepted.map(({ busName, event }) => ({
        id: event.id,
        busName,
        text: event.text,
        ingestedAt: event.ingestedAt,
      })),
    );
    for (const { busName, event } of accepted) this.dispatchRecorded(journal, busName, event);
    const failedCount = results.filter((result) => "ErrorCode" in result).length;
    this.failed += failedCount;
    this.accepted += results.length - failedCount;
    return { FailedEntryCount: failedCount, Entries: results };
  }

  /**
   * TestEventPattern: whether the event (JSON text or object, with id, account, source, time, region and
   * detail-type) matches. Throws InvalidEventPatternError for the pattern, ValidationException for the event.
   */
  testEventPattern(pattern: string | object, event: string | object): boolean {
    const compiled = compileEventPattern(pattern);
    let text: string;
    try {
      text = typeof event === "string" ? event : JSON.stringify(event);
      const tree = parseJson(text);
      const fields = new Set(tree instanceof JsonObject ? tree.entries.map(([key]) => key) : []);
      if (!TEST_EVENT_REQUIRED_FIELDS.every((field) => fields.has(field))) throw new Error("missing field");
    } catch {
      throw validationError("Parameter Event is not valid.");
    }
    return compiled.matches(text);
  }

  // ---- replay ----

  /** StartReplay: validates and starts replaying in the background; the description starts as STARTING. */
  startReplay(input: ReplayInput): ReplayDescription {
    const record = this.archives.get(input.archiveName);
    if (!record) throw notFound(`Archive ${input.archiveName} does not exist.`);
    const replayName = input.replayName ?? `replay-${randomUUID().slice(0, 8)}`;
    if (!NAME.test(replayName) || replayName.length > 64) {
      throw constraintViolation(
        replayName,
        "replayName",
        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
      );
    }
    if (this.replays.has(replayName)) {
      throw new EventBridgeError("ResourceAlreadyExistsException", `Replay ${replayName} already exists.`);
    }
    const from = toDate(input.from, "EventStartTime");
    const to = toDate(input.to, "EventEndTime");
    if (from.getTime() >= to.getTime()) {
      throw validationError(
        "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.",
      );
    }
    if (to.getTime() > this.clock.now()) {
      throw validationError(
        "Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future.",
      );
    }
    const filter = input.destinationRules?.map((rule) => this.requireRule(rule, record.busName).arn);
    const replay: ReplayRecord = {
      replayName,
      replayArn: this.replayArn(replayName),
      ...(input.description !== undefined ? { description: input.description } : {}),
      state: "STARTING",
      eventSourceArn: record.archive.options.arn,
      destination: { arn: this.busArn(record.busName), ...(filter ? { filterArns: filter } : {}) },
      eventStartTime: from,
      eventEndTime: to,
      replayStartTime: new Date(this.clock.now()),
      replayedEvents: 0,
      done: Promise.resolve(),
    };
    this.replays.set(replayName, replay);
    const started = describeReplayRecord(replay);
    replay.done = this.runReplay(replay, record, filter ? new Set(filter) : undefined);
    return started;
  }

  /** Replays and resolves once every event is sent to the rules (deliveries may still run: see drain()). */
  async replay(input: ReplayInput): Promise<ReplayDescription> {
    const { replayName } = this.startReplay(input);
    const record = this.replays.get(replayName) as ReplayRecord;
    await record.done;
    return describeReplayRecord(record);
  }

  describeReplay(name: string): ReplayDescription {
    const record = this.replays.get(name);
    if (!record) throw notFound(`Replay ${name} does not exist.`);
    return describeReplayRecord(record);
  }

  /** ListReplays: every replay, by name, optionally of one state or archive (ARN) and with a name prefix. */
  listReplays(
    filter: { namePrefix?: string; state?: string; eventSourceArn?: string } = {},
  ): ReplayDescription[] {
    return [...this.replays.values()]
      .filter((replay) => filter.namePrefix === undefined || replay.replayName.startsWith(filter.namePrefix))
      .filter((replay) => filter.state === undefined || replay.state === filter.state)
      .filter(
        (replay) => filter.eventSourceArn === undefined || replay.eventSourceArn === filter.eventSourceArn,
      )
      .sort((a, b) => a.replayName.localeCompare(b.replayName))
      .map((replay) => describeReplayRecord(replay));
  }

  /**
   * CancelReplay: a STARTING or RUNNING replay becomes CANCELLING and stops before its next event (CANCELLED);
   * events already sent stay sent. Any other state is an IllegalStatusException, as on AWS.
   */
  cancelReplay(name: string): ReplayDescription {
    const record = this.replays.get(name);
    if (!record) throw notFound(`Replay ${name} does not exist.`);
    if (record.state !== "STARTING" && record.state !== "RUNNING") {
      throw new EventBridgeError(
        "IllegalStatusException",
        `Replay ${name} is ${record.state}: it cannot be cancelled.`,
      );
    }
    record.state = "CANCELLING";
    return describeReplayRecord(record);
  }

  // ---- schedules ----

  /**
   * Runs schedule rules as the clock passes their fire times, until stopSchedules() or close(). `timers` and
   * `recheckMs` (default 1000: how soon a moved clock is noticed) are for tests.
   */
  startSchedules(options: { recheckMs?: number; timers?: ScheduleTimers } = {}): void {
    if (this.closed || this.scheduleTimer?.isRunning) return;
    this.scheduleTimer = new ScheduleTimer<RuleRecord>({
      rules: () =>
        this.enabledSchedules().map((rule) => ({ rule, schedule: rule.schedule as ScheduleExpression })),
      fire: (rule, timeMs) => {
        this.runSchedule(rule, timeMs);
      },
      onError: (error) => this.logger.warn(`schedule run failed: ${errorMessage(error)}`),
      now: () => this.clock.now(),
      ...options,
    });
    this.scheduleTimer.start();
  }

  /** Stops the automatic runs (runSchedules() still works). */
  stopSchedules(): void {
    this.scheduleTimer?.stop();
    this.scheduleTimer = undefined;
  }

  /**
   * Runs every enabled schedule rule, or the one named (a disabled one does not run), once with the clock's
   * time now. Resolves when each of their target deliveries has ended: delivered, or given up after its
   * retries (dead-lettered or dropped). Lambda targets are invoked synchronously: their handlers have returned.
   */
  async runSchedules(options: { ruleName?: string } = {}): Promise<ScheduledRun[]> {
    let rules = this.enabledSchedules();
    if (options.ruleName !== undefined) {
      const named = this.requireRule(options.ruleName, DEFAULT_BUS);
      if (!named.schedule) throw validationError(`Rule ${named.name} has no ScheduleExpression.`);
      rules = rules.filter((rule) => rule === named);
    }
    const now = this.clock.now();
    const started = rules.map((rule) => this.runSchedule(rule, now));
    await Promise.all(started.flatMap((run) => run.deliveries));
    return started.map((run) => run.run);
  }

  // ---- observation ----

  stats(): EventBridgeStats {
    const rules = [...this.rulesByBus.values()]
      .flatMap((rules) => [...rules.values()])
      .map((rule) => ruleStatsOf(rule));
    return { accepted: this.accepted, failed: this.failed, rules };
  }

  ruleStats(ruleName: string, busName = DEFAULT_BUS): RuleStats | undefined {
    const rule = this.rulesByBus.get(busName)?.get(ruleName);
    return rule ? ruleStatsOf(rule) : undefined;
  }

  /**
   * Delivers again, from the start, what the bus had accepted and not finished delivering when it last stopped
   * (killed, or closed while retrying): call once at start, after the rules are in place. Returns how many.
   */
  async resumePendingDeliveries(): Promise<number> {
    const journal = await this.journal();
    const events = this.recovered ?? [];
    this.recovered = [];
    for (const pending of events) {
      if (!this.buses.has(pending.busName)) {
        journal.done(pending.id);
        continue;
      }
      const event: BusEvent = {
        id: pending.id,
        text: pending.text,
        tree: parseJson(pending.text),
        ingestedAt: pending.ingestedAt,
      };
      this.dispatchRecorded(journal, pending.busName, event);
    }
    return events.length;
  }

  /** Resolves once no delivery (first attempts, retries, dead-lettering) or replay is in flight. */
  async drain(): Promise<void> {
    const replaying = () => [...this.replays.values()].filter((replay) => !replay.replayEndTime);
    while (this.inFlight.size > 0 || replaying().length > 0) {
      await Promise.allSettled([...this.inFlight, ...replaying().map((replay) => replay.done)]);
    }
  }

  /** Stops schedules and retries (events waiting for one are abandoned, with a warning), closes the archives. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopSchedules();
    for (const sleeper of this.sleeping) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.archives.values()].map(({ archive }) => archive.close()));
    await (await this.pendingJournal)?.close();
  }

  // ---- internals: resources ----

  private arnPrefix(): string {
    return `arn:${this.partition}:events:${this.region}:${this.accountId}`;
  }

  private createBus(name: string, description?: string): BusRecord {
    const bus: BusRecord = {
      name,
      arn: this.busArn(name),
      ...(description !== undefined ? { description } : {}),
      createdAt: this.clock.now(),
    };
    this.buses.set(name, bus);
    this.rulesByBus.set(name, new Map());
    return bus;
  }

  private requireBus(nameOrArn: string | undefined): string {
    const name = this.resolveBusName(nameOrArn);
    if (name === undefined) throw notFound(`Event bus ${nameOrArn} does not exist.`);
    return name;
  }

  private rulesOf(busName: string): Map<string, RuleRecord> {
    return this.rulesByBus.get(busName) ?? new Map();
  }

  /**
   * A rule by name or ARN on a bus. Both ARN forms are taken for rules on custom buses: EventBridge's
   * ".../rule/<bus>/<name>" and the ".../rule/<name>" that other tools sometimes build.
   */
  private requireRule(nameOrArn: string, busName?: string): RuleRecord {
    const bus = this.requireBus(busName);
    let name = nameOrArn;
    if (nameOrArn.startsWith("arn:")) {
      const prefix = `${this.arnPrefix()}:rule/`;
      const path = nameOrArn.startsWith(prefix) ? nameOrArn.slice(prefix.length).split("/") : [];
      const ruleBus = path.length === 2 ? path[0] : DEFAULT_BUS;
      name = path.length === 2 && ruleBus !== bus ? "" : (path.at(-1) ?? "");
    }
    const rule = this.rulesOf(bus).get(name);
    if (!rule) throw notFound(`Rule ${nameOrArn} does not exist on EventBus ${bus}.`);
    return rule;
  }

  private compileTargets(ruleName: string, definitions: readonly TargetDefinition[]): TargetRecord[] {
    if (definitions.length > MAX_TARGETS_PER_RULE) {
      throw new EventBridgeError(
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
      );
    }
    const ids = new Set<string>();
    return definitions.map((definition, index) => {
      const { id, arn } = definition;
      const at = `targets.${index + 1}.member`;
      if (typeof id !== "string" || id.length === 0 || id.length > 64) {
        throw constraintViolation(String(id), `${at}.id`, "have length less than or equal to 64");
      }
      if (!NAME.test(id)) {
        throw constraintViolation(id, `${at}.id`, "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
      }
      if (ids.has(id)) throw validationError(`Target ids must be unique within a rule: ${id} appears twice.`);
      ids.add(id);
      if (typeof arn !== "string" || arn.length === 0 || arn.length > 1600) {
        throw constraintViolation(String(arn), `${at}.arn`, "have length less than or equal to 1600");
      }
      const inputs = [definition.input, definition.inputPath, definition.inputTransformer].filter(
        (value) => value !== undefined,
      );
      if (inputs.length > 1) {
        throw validationError(
          `Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`,
        );
      }
      if (definition.input !== undefined) {
        try {
          parseJson(definition.input);
        } catch {
          throw validationError(`Input for target ${id} is not valid JSON text.`);
        }
      }
      let inputPath: JsonPath | undefined;
      if (definition.inputPath !== undefined) {
        inputPath = definition.inputPath.length <= 256 ? parseJsonPath(definition.inputPath) : undefined;
        if (!inputPath)
          throw validationError(
            `InputPath for target ${id} is not a valid JSON path: ${definition.inputPath}`,
          );
      }
      const transformer = definition.inputTransformer
        ? compileInputTransformer(
            id,
            definition.inputTransformer.inputPathsMap,
            definition.inputTransformer.inputTemplate,
          )
        : undefined;
      const maximumRetryAttempts = definition.retryPolicy?.maximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
      const maximumEventAgeInSeconds =
        definition.retryPolicy?.maximumEventAgeInSeconds ?? DEFAULT_EVENT_AGE_SECONDS;
      if (!Number.isInteger(maximumRetryAttempts) || maximumRetryAttempts < 0 || maximumRetryAttempts > 185) {
        throw constraintViolation(
          String(maximumRetryAttempts),
          `${at}.retryPolicy.maximumRetryAttempts`,
          "have value between 0 and 185",
        );
      }
      if (
        !Number.isInteger(maximumEventAgeInSeconds) ||
        maximumEventAgeInSeconds < 60 ||
        maximumEventAgeInSeconds > 86_400
      ) {
        throw constraintViolation(
          String(maximumEventAgeInSeconds),
          `${at}.retryPolicy.maximumEventAgeInSeconds`,
          "have value between 60 and 86400",
        );
      }
      if (definition.deadLetterArn !== undefined && !isSqsArn(definition.deadLetterArn)) {
        throw validationError(
          `Parameter DeadLetterConfig.Arn of target ${id} is not valid: ${definition.deadLetterArn} is not an SQS queue ARN.`,
        );
      }
      const kind = isSqsArn(arn) ? "sqs" : isLambdaArn(arn) ? "lambda" : "other";
      if (kind === "other" || (kind === "lambda" && !this.invokeLambda)) {
        this.logger.warn(
          `rule ${ruleName}, target ${id}: the local cloud does not deliver to ${arn}; its events will fail delivery`,
        );
      }
      const description: TargetDescription = {
        id,
        arn,
        ...(definition.input !== undefined ? { input: definition.input } : {}),
        ...(definition.inputPath !== undefined ? { inputPath: definition.inputPath } : {}),
        ...(transformer
          ? {
              inputTransformer: {
                inputPathsMap: { ...transformer.inputPathsMap },
                inputTemplate: transformer.inputTemplate,
              },
            }
          : {}),
        ...(definition.retryPolicy
          ? { retryPolicy: { maximumRetryAttempts, maximumEventAgeInSeconds } }
          : {}),
        ...(definition.deadLetterArn !== undefined ? { deadLetterArn: definition.deadLetterArn } : {}),
      };
      return {
        definition: description,
        kind,
        ...(inputPath ? { inputPath } : {}),
        ...(transformer ? { transformer } : {}),
        maximumRetryAttempts,
        maximumEventAgeInSeconds,
        counters: {
          invocations: 0,
          delivered: 0,
          retried: 0,
          deadLettered: 0,
          dropped: 0,
          deadLetterFailed: 0,
        },
      };
    });
  }

  private describeRuleRecord(rule: RuleRecord): RuleDescription {
    return {
      name: rule.name,
      arn: rule.arn,
      busName: rule.busName,
      ...(rule.eventPattern !== undefined ? { eventPattern: rule.eventPattern } : {}),
      ...(rule.schedule ? { scheduleExpression: rule.schedule.expression } : {}),
      state: rule.state,
      ...(rule.description !== undefined ? { description: rule.description } : {}),
      createdAt: new Date(rule.createdAt),
      targets: rule.targets.map((target) => structuredClone(target.definition)),
    };
  }

  private describeArchiveRecord({ archive, busName }: ArchiveRecord): ArchiveDescription {
    const { options } = archive;
    return {
      name: options.name,
      arn: options.arn,
      busName,
      sourceArn: options.sourceArn,
      ...(options.eventPattern !== undefined ? { eventPattern: options.eventPattern } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
      state: "ENABLED",
      retentionDays: options.retentionDays,
      eventCount: archive.eventCount,
      sizeBytes: archive.sizeBytes,
      createdAt: new Date(archive.createdAt),
    };
  }

  // ---- internals: events ----

  /** Validates one entry and builds its event; busName is undefined for an unknown bus AWS would accept. */
  private acceptEntry(
    entry: PutEventsEntry,
    now: number,
  ): { ErrorCode: string; ErrorMessage: string } | { busName: string | undefined; event: BusEvent } {
    for (const parameter of ["Source", "DetailType", "Detail"] as const) {
      if (entry[parameter] === undefined || entry[parameter] === null || entry[parameter] === "") {
        return entryError(
          "InvalidArgument",
          `Parameter ${parameter} is not valid. Reason: ${parameter} is a required argument.`,
        );
      }
    }
    const source = entry.Source as string;
    const detailType = entry.DetailType as string;
    if (source.startsWith("aws."))
      return entryError("NotAuthorizedForSourceException", "Not authorized for the source.");
    let detail: JsonValue;
    try {
      detail = parseJson(entry.Detail as string);
    } catch {
      return entryError("MalformedDetail", "Detail is malformed.");
    }
    if (!(detail instanceof JsonObject)) {
      return entryError("MalformedDetail", "Detail is malformed.");
    }
    let eventTime = now;
    if (entry.Time !== undefined && entry.Time !== null) {
      const time = timeOf(entry.Time);
      if (time === undefined)
        return entryError(
          "InvalidArgument",
          "Parameter Time is not valid. Reason: Time is not a valid timestamp.",
        );
      eventTime = time;
    }
    const busName = this.resolveBusName(entry.EventBusName);
    if (busName === undefined && this.rejectUnknownEventBus) {
      return entryError("ResourceNotFoundException", `Event bus ${entry.EventBusName} does not exist.`);
    }
    const event = this.newEvent({
      detailType,
      source,
      timeMs: eventTime,
      resources: entry.Resources ?? [],
      detailJson: serializeJson(detail),
      ingestedAt: now,
    });
    return { busName, event };
  }

  /** The envelope every event has, fields in EventBridge's order. */
  private newEvent(fields: {
    detailType: string;
    source: string;
    timeMs: number;
    resources: readonly string[];
    detailJson: string;
    ingestedAt: number;
  }): BusEvent {
    const id = randomUUID();
    const text =
      `{"version":"0","id":${JSON.stringify(id)},"detail-type":${JSON.stringify(fields.detailType)},` +
      `"source":${JSON.stringify(fields.source)},"account":${JSON.stringify(this.accountId)},` +
      `"time":${JSON.stringify(isoSeconds(fields.timeMs))},"region":${JSON.stringify(this.region)},` +
      `"resources":${JSON.stringify(fields.resources)},"detail":${fields.detailJson}}`;
    return { id, text, tree: parseJson(text), ingestedAt: fields.ingestedAt };
  }

  private enabledSchedules(): RuleRecord[] {
    return [...this.rulesOf(DEFAULT_BUS).values()].filter(
      (rule) => rule.schedule !== undefined && rule.state.startsWith("ENABLED"),
    );
  }

  /** One scheduled run: the rule's targets (and only they) get the Scheduled Event, not the bus. */
  private runSchedule(rule: RuleRecord, timeMs: number): { run: ScheduledRun; deliveries: Promise<void>[] } {
    const event = this.newEvent({
      detailType: "Scheduled Event",
      source: "aws.events",
      timeMs,
      resources: [rule.arn],
      detailJson: "{}",
      ingestedAt: timeMs,
    });
    const deliveries = this.deliverToTargets(rule, event);
    const run = { ruleName: rule.name, ruleArn: rule.arn, eventId: event.id, time: isoSeconds(timeMs) };
    return { run, deliveries };
  }

  private async archiveEvents(events: readonly { busName: string; event: BusEvent }[]): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const { archive, busName } of this.archives.values()) {
      const lines = events
        .filter((accepted) => accepted.busName === busName)
        .filter((accepted) => archive.options.pattern?.matches(accepted.event.text) ?? true)
        .map((accepted) => accepted.event.text);
      if (lines.length > 0) writes.push(archive.append(lines));
    }
    await Promise.all(writes);
  }

  /** Matches an event against the enabled rules of its bus and starts a delivery per matched target. */
  private dispatch(busName: string, event: BusEvent, onlyRules?: ReadonlySet<string>): Promise<void>[] {
    const prepared = prepareEvent(event.text);
    const deliveries: Promise<void>[] = [];
    for (const rule of this.rulesOf(busName).values()) {
      if (!rule.state.startsWith("ENABLED")) continue;
      if (onlyRules && !onlyRules.has(rule.arn)) continue;
      if (!rule.pattern?.matches(prepared)) continue;
      deliveries.push(...this.deliverToTargets(rule, event));
    }
    return deliveries;
  }

  /** dispatch() for an event in the journal: done there once every delivery has ended (unless the bus closed). */
  private dispatchRecorded(journal: PendingDeliveries, busName: string, event: BusEvent): void {
    void Promise.all(this.dispatch(busName, event)).then(() => {
      if (!this.closed) journal.done(event.id);
    });
  }

  private journal(): Promise<PendingDeliveries> {
    this.pendingJournal ??= PendingDeliveries.open(this.stateDir, { fsync: this.fsync }).then((journal) => {
      this.recovered = journal.events();
      return journal;
    });
    return this.pendingJournal;
  }

  /** Starts a delivery per target (after the current turn); each promise settles when its delivery has ended. */
  private deliverToTargets(rule: RuleRecord, event: BusEvent): Promise<void>[] {
    rule.matched++;
    return rule.targets.map((target) => {
      target.counters.invocations++;
      return this.track(
        new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.deliver(rule, target, event)),
      );
    });
  }

  private track(task: Promise<void>): Promise<void> {
    const tracked = task.catch((error: unknown) => {
      this.logger.warn(`delivery failed unexpectedly: ${(error as Error)?.message ?? error}`);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }

  private async deliver(rule: RuleRecord, target: TargetRecord, event: BusEvent): Promise<void> {
    let payload: string;
    try {
      payload = this.targetInput(rule, target, event);
    } catch (error) {
      return this.giveUp(
        rule,
        target,
        event,
        { code: "INVALID_JSON", message: errorMessage(error), retryable: false },
        0,
      );
    }
    let retries = 0;
    for (;;) {
      if (this.closed) return this.abandon(rule, target, event);
      try {
        await this.send(target, payload);
        target.counters.delivered++;
        return;
      } catch (error) {
        const failure = classifyFailure(error);
        if (!failure.retryable) return this.giveUp(rule, target, event, failure, retries);
        if (retries >= target.maximumRetryAttempts) {
          return this.giveUp(rule, target, event, failure, retries, "MaximumRetryAttempts");
        }
        const delay = this.backoff(retries);
        if (this.clock.now() + delay > event.ingestedAt + target.maximumEventAgeInSeconds * 1000) {
          return this.giveUp(rule, target, event, failure, retries, "MaximumEventAgeInSeconds");
        }
        retries++;
        target.counters.retried++;
        await this.sleep(delay);
      }
    }
  }

  private targetInput(rule: RuleRecord, target: TargetRecord, event: BusEvent): string {
    if (target.definition.input !== undefined) return target.definition.input;
    if (target.inputPath) return renderInputPath(target.inputPath, event.tree);
    if (target.transformer) {
      return renderInputTemplate(target.transformer, {
        event: event.tree,
        ruleArn: rule.arn,
        ruleName: rule.name,
        ingestionTime: isoSeconds(event.ingestedAt),
      });
    }
    return event.text;
  }

  private async send(target: TargetRecord, payload: string): Promise<void> {
    const { arn } = target.definition;
    if (target.kind === "sqs") {
      await this.sqs.sendMessage(arn, payload);
      return;
    }
    if (target.kind === "lambda" && this.invokeLambda) {
      let event: unknown = payload;
      try {
        event = JSON.parse(payload);
      } catch {
        // not JSON: the function gets the text
      }
      await this.invokeLambda(arn, event);
      return;
    }
    throw new TargetDeliveryError("NO_RESOURCE", `The local cloud does not deliver to ${arn}.`, false);
  }

  /** Exponential back-off with jitter: half the doubled delay fixed, half random. */
  private backoff(retries: number): number {
    const ceiling = Math.min(this.retryMaxDelayMs, this.retryBaseDelayMs * 2 ** Math.min(retries, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleeping.delete(sleeper);
          resolve();
        }, ms),
        wake: () => {
          this.sleeping.delete(sleeper);
          resolve();
        },
      };
      this.sleeping.add(sleeper);
    });
  }

  /** The end of a failed delivery: the target's DLQ, or dropped with a warning when there is none. */
  private async giveUp(
    rule: RuleRecord,
    target: TargetRecord,
    event: BusEvent,
    failure: Failure,
    retries: number,
    exhaustedCondition?: "MaximumRetryAttempts" | "MaximumEventAgeInSeconds",
  ): Promise<void> {
    const { id: targetId, arn, deadLetterArn } = target.definition;
    const what =
      `event ${event.id} for rule ${rule.name}, target ${targetId} (${failure.code}` +
      `${exhaustedCondition ? `, ${exhaustedCondition} exhausted` : ""}, ${retries} retries)`;
    if (deadLetterArn === undefined) {
      target.counters.dropped++;
      this.logger.warn(`dropped ${what}: no dead-letter queue`);
      return;
    }
    const attribute = (value: string): MessageAttributeInput => ({ DataType: "String", StringValue: value });
    const messageAttributes: Record<string, MessageAttributeInput> = {
      RULE_ARN: attribute(rule.arn),
      TARGET_ARN: attribute(arn),
      ERROR_CODE: attribute(failure.code),
      ERROR_MESSAGE: attribute((failure.message || failure.code).slice(0, 1024)),
      RETRY_ATTEMPTS: attribute(String(retries)),
      ...(exhaustedCondition ? { EXHAUSTED_RETRY_CONDITION: attribute(exhaustedCondition) } : {}),
    };
    try {
      await this.sqs.sendMessage(deadLetterArn, event.text, { messageAttributes });
      target.counters.deadLettered++;
    } catch (error) {
      target.counters.deadLetterFailed++;
      this.logger.warn(
        `dropped ${what}: the dead-letter queue ${deadLetterArn} refused it: ${errorMessage(error)}`,
      );
    }
  }

  private abandon(rule: RuleRecord, target: TargetRecord, event: BusEvent): void {
    this.logger.warn(
      `abandoned event ${event.id} for rule ${rule.name}, target ${target.definition.id}: the event bus closed`,
    );
  }

  private async runReplay(
    replay: ReplayRecord,
    record: ArchiveRecord,
    filter?: ReadonlySet<string>,
  ): Promise<void> {
    await Promise.resolve();
    const cancelled = () => (replay.state as ReplayState) === "CANCELLING";
    if (!cancelled()) replay.state = "RUNNING";
    try {
      const from = replay.eventStartTime.getTime();
      const to = replay.eventEndTime.getTime();
      for (const line of await record.archive.readAll()) {
        if (this.closed || cancelled()) break;
        const time = eventTimeOf(line);
        if (time === undefined || time < from || time > to) continue;
        const text = `${line.slice(0, line.lastIndexOf("}"))},"replay-name":${JSON.stringify(replay.replayName)}}`;
        const tree = parseJson(text);
        const id = memberOf(tree, "id");
        const event = { id: typeof id === "string" ? id : "", text, tree, ingestedAt: this.clock.now() };
        this.dispatch(record.busName, event, filter);
        replay.replayedEvents++;
        replay.eventLastReplayedTime = new Date(time);
      }
      replay.state = this.closed || cancelled() ? "CANCELLED" : "COMPLETED";
    } catch (error) {
      replay.state = "FAILED";
      replay.stateReason = errorMessage(error);
    }
    replay.replayEndTime = new Date(this.clock.now());
  }
}

// ---- helpers ----

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function isSqsArn(arn: string): boolean {
  return /^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w.-]+$/.test(arn);
}

function isLambdaArn(arn: string): boolean {
  return /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/.test(arn);
}

function entryError(code: string, message: string): { ErrorCode: string; ErrorMessage: string } {
  return { ErrorCode: code, ErrorMessage: message };
}

/** Wrong JSON types are refused before anything else, as the AWS front end does when deserialising. */
function checkEntryTypes(entry: PutEventsEntry, index: number): void {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new EventBridgeError("SerializationException", `Entries[${index}] must be a structure.`);
  }
  for (const key of ["Source", "DetailType", "Detail", "EventBusName", "TraceHeader"] as const) {
    const value = entry[key];
    if (value !== undefined && value !== null && typeof value !== "string") {
      throw new EventBridgeError("SerializationException", `Entries[${index}].${key} must be a string.`);
    }
  }
  const resources = entry.Resources;
  if (resources !== undefined && resources !== null) {
    if (!Array.isArray(resources) || resources.some((resource) => typeof resource !== "string")) {
      throw new EventBridgeError(
        "SerializationException",
        `Entries[${index}].Resources must be a list of strings.`,
      );
    }
  }
}

/** EventBridge's entry size: Time 14 bytes, Source, DetailType, Detail and each resource in UTF-8 bytes. */
export function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (typeof text === "string") size += Buffer.byteLength(text, "utf8");
  }
  return size;
}

/** An entry as EventBridge's Java model prints it in validation messages. */
function describeEntry(entry: PutEventsEntry): string {
  const show = (value: unknown) =>
    value === undefined || value === null
      ? "null"
      : Array.isArray(value)
        ? `[${value.join(", ")}]`
        : String(value);
  const time = entry.Time === undefined || entry.Time === null ? undefined : timeOf(entry.Time);
  return (
    `PutEventsRequestEntry(time=${time === undefined ? "null" : isoSeconds(time)}, source=${show(entry.Source)}, ` +
    `resources=${show(entry.Resources)}, detailType=${show(entry.DetailType)}, detail=${show(entry.Detail)}, ` +
    `eventBusName=${show(entry.EventBusName)}, traceHeader=${show(entry.TraceHeader)}, kmsKeyIdentifier=null, ` +
    "internalMetadata=null)"
  );
}

function timeOf(value: Date | string | number): number | undefined {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === "number"
        ? value * 1000
        : typeof value === "string"
          ? Date.parse(value)
          : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function toDate(value: Date | string | number, parameter: string): Date {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(String(value));
  if (!Number.isFinite(ms)) throw validationError(`Parameter ${parameter} is not valid.`);
  return new Date(ms);
}

/** "2025-01-15T09:00:00Z": event times have second precision. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How EventBridge would treat a target's failure (the DLQ ERROR_CODE values of the user guide). */
function classifyFailure(error: unknown): Failure {
  const message = errorMessage(error);
  if (error instanceof TargetDeliveryError) return { code: error.code, message, retryable: error.retryable };
  if (error instanceof SqsError) {
    if (error.code === "QueueDoesNotExist" || error.code === "ResourceNotFoundException") {
      return { code: "NO_RESOURCE", message, retryable: false };
    }
    if (error.code === "InternalError") return { code: "INTERNAL_ERROR", message, retryable: true };
    return { code: "INVALID_PARAMETER", message, retryable: false };
  }
  const name = error instanceof Error ? error.name : "";
  if (name === "ResourceNotFoundException") return { code: "NO_RESOURCE", message, retryable: false };
  if (name === "AccessDeniedException" || name === "AccessDenied") {
    return { code: "NO_PERMISSIONS", message, retryable: false };
  }
  if (name === "TooManyRequestsException" || name === "ThrottlingException") {
    return { code: "THROTTLING", message, retryable: true };
  }
  if (name === "TimeoutError" || name === "AbortError") return { code: "TIMEOUT", message, retryable: true };
  return { code: "SDK_CLIENT_ERROR", message, retryable: true };
}

function ruleStatsOf(rule: RuleRecord): RuleStats {
  return {
    ruleName: rule.name,
    busName: rule.busName,
    ruleArn: rule.arn,
    matched: rule.matched,
    targets: rule.targets.map((target) => ({
      targetId: target.definition.id,
      arn: target.definition.arn,
      ...target.counters,
    })),
  };
}

function describeReplayRecord(replay: ReplayRecord): ReplayDescription {
  const { done: _done, ...description } = replay;
  return structuredClone(description);
}
