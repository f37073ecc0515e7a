/**
 * Fault injection for tests: a small, explicit switchboard the local cloud's endpoints and functions consult.
 * Nothing is injected unless a test asks (`cloud.faults.inject(...)`); `clear()` ends every fault. It is not
 * reachable over HTTP and `npm start` never injects anything.
 *
 *   cloud.faults.inject({ service: "events", operation: "PutEvents", kind: "partial", rate: 0.3, times: 20 })
 *   cloud.faults.inject({ service: "dynamodb", operation: "UpdateItem", kind: "throttle", rate: 0.2 })
 *   cloud.faults.inject({ service: "lambda", function: "PublisherFunction", kind: "crash", afterMs: 50, times: 1 })
 *
 * Service faults (consulted by the AWS endpoint, as a request arrives):
 * - `throttle`: the whole request is refused the way the service throttles (EventBridge `ThrottlingException`,
 *   DynamoDB `ProvisionedThroughputExceededException`), nothing done. The AWS SDK retries these by itself.
 * - `partial` (events/PutEvents): each entry fails on its own (`ErrorCode: "InternalFailure"`) with
 *   probability `rate`; the others are put as usual, as EventBridge's partial failures do.
 * - `conditional-race` (dynamodb/UpdateItem with a ConditionExpression, dynamodb/TransactWriteItems): answered
 *   as if another writer had got there first (`ConditionalCheckFailedException`, or `TransactionCanceledException`
 *   with a `TransactionConflict` reason), nothing written. Put-if-new writes are never raced this way: a
 *   failed `attribute_not_exists` means the item exists, which a fault cannot make true.
 * Function faults (consulted by LocalFunction.invoke):
 * - `throw`: the invocation fails with an error, before the handler runs (`phase: "before"`, the default) or
 *   after it ran with its result discarded (`phase: "after"`: its side effects happened, the caller sees a
 *   failure).
 * - `crash`: the handler starts and its execution environment dies `afterMs` later (default 0), mid-work, as a
 *   runtime crash does (`Runtime.ExitError`); a handler done sooner dies as it returns, its result lost.
 * - `hang`: the handler runs but the invocation never returns; it ends at the function's own timeout
 *   (`Sandbox.Timedout`) and the environment is discarded, as Lambda does.
 * `rate` (0–1, default 1) is the chance a request (an entry, for `partial`) is hit; `times` caps how many are.
 * In the local cloud, service faults hit only the hub's own functions (requests signed with their access key):
 * a test, an operator or a platform using the same endpoint is never faulted.
 */

export type ServiceName = "events" | "dynamodb";
export type ServiceFaultKind = "throttle" | "partial" | "conditional-race";
export type FunctionFaultKind = "throw" | "crash" | "hang";

export interface ServiceFaultSpec {
  service: ServiceName;
  /** The API action, e.g. "PutEvents", "UpdateItem"; "*" for every action of the service. */
  operation: string;
  kind: ServiceFaultKind;
  rate?: number;
  times?: number;
}

export interface FunctionFaultSpec {
  service: "lambda";
  /** The function's name, or a prefix of its logical id in the template (e.g. "ApiSubmit"). */
  function: string;
  kind: FunctionFaultKind;
  /** throw: before the handler runs (default) or after, its result discarded. */
  phase?: "before" | "after";
  /** crash: how long the handler runs before its environment dies (default 0). */
  afterMs?: number;
  rate?: number;
  times?: number;
}

export type FaultSpec = ServiceFaultSpec | FunctionFaultSpec;

export interface FaultHandle {
  readonly spec: Readonly<FaultSpec>;
  /** How many requests, entries or invocations it has hit so far. */
  readonly injected: number;
  /** Whether it can still hit (not cleared, `times` not used up). */
  readonly active: boolean;
  clear(): void;
}

/** What LocalFunction needs to know about itself to find its faults. */
export interface FunctionIdentity {
  name: string;
  logicalId: string;
}

const CONDITIONAL_RACE_OPERATIONS = new Set(["UpdateItem", "TransactWriteItems"]);

class Fault implements FaultHandle {
  injected = 0;
  cleared = false;

  constructor(
    readonly spec: Readonly<FaultSpec>,
    private readonly random: () => number,
  ) {}

  get active(): boolean {
    return !this.cleared && (this.spec.times === undefined || this.injected < this.spec.times);
  }

  /** Decides one hit: active, and the dice say so; counts it. */
  hit(): boolean {
    if (!this.active) return false;
    const rate = this.spec.rate ?? 1;
    if (rate < 1 && this.random() >= rate) return false;
    this.injected++;
    return true;
  }

  clear(): void {
    this.cleared = true;
  }
}

export class LocalFaults {
  private readonly faults: Fault[] = [];

  constructor(
    private readonly options: {
      random?: () => number;
      /** Function names and logical ids, to refuse a function fault that would never hit. */
      functions?: () => readonly FunctionIdentity[];
      /**
       * The access key id the hub's functions sign with: when set, service faults hit only their requests, never
       * those of a test, an operator or a platform reading the same endpoint.
       */
      hubAccessKeyId?: string;
    } = {},
  ) {}

  inject(spec: FaultSpec): FaultHandle {
    validate(spec);
    if (spec.service === "lambda" && this.options.functions) {
      const known = this.options.functions();
      if (!known.some((fn) => matchesFunction(spec, fn))) {
        throw new Error(`No local function named ${spec.function} or with a logical id starting with it`);
      }
    }
    const fault = new Fault({ ...spec }, this.options.random ?? Math.random);
    this.faults.push(fault);
    return fault;
  }

  /** Ends every fault. */
  clear(): void {
    for (const fault of this.faults) fault.clear();
    this.faults.length = 0;
  }

  /** Every fault injected since the last clear(), with its count. */
  list(): FaultHandle[] {
    return [...this.faults];
  }

  /**
   * For a service endpoint: the request-level fault (throttle, conditional-race) that hits this request.
   * `caller` is the access key id the request was signed with, when the endpoint knows it.
   */
  requestFault(
    service: ServiceName,
    operation: string,
    applies: (kind: ServiceFaultKind) => boolean = () => true,
    caller?: string,
  ): ServiceFaultKind | undefined {
    if (!this.targets(caller)) return undefined;
    for (const fault of this.live()) {
      const spec = fault.spec;
      if (spec.service !== service || spec.kind === "partial") continue;
      if (spec.operation !== "*" && spec.operation !== operation) continue;
      if (!applies(spec.kind)) continue;
      if (fault.hit()) return spec.kind;
    }
    return undefined;
  }

  /** For PutEvents: whether this entry fails on its own. */
  entryFails(service: ServiceName, operation: string, caller?: string): boolean {
    if (!this.targets(caller)) return false;
    for (const fault of this.live()) {
      const spec = fault.spec;
      if (spec.service !== service || spec.kind !== "partial") continue;
      if (spec.operation !== "*" && spec.operation !== operation) continue;
      if (fault.hit()) return true;
    }
    return false;
  }

  /** For LocalFunction.invoke: the fault that hits this invocation. */
  functionFault(fn: FunctionIdentity): FunctionFaultSpec | undefined {
    for (const fault of this.live()) {
      const spec = fault.spec;
      if (spec.service !== "lambda" || !matchesFunction(spec, fn)) continue;
      if (fault.hit()) return spec;
    }
    return undefined;
  }

  private targets(caller: string | undefined): boolean {
    const hub = this.options.hubAccessKeyId;
    return hub === undefined || caller === undefined || caller === hub;
  }

  private live(): Fault[] {
    return this.faults.filter((f) => f.active);
  }
}

/** The access key id of a SigV4-signed request (`Credential=<id>/<date>/...`), if it is signed. */
export function callerOf(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return header ? /Credential=([^/,\s]+)\//.exec(header)?.[1] : undefined;
}

/** DynamoDB's wire answer for a request-level fault; undefined when the fault does not fit the request. */
export function dynamoDbFaultAnswer(
  kind: ServiceFaultKind,
  operation: string,
  input: unknown,
): { __type: string; message: string; [key: string]: unknown } | undefined {
  const prefix = "com.amazonaws.dynamodb.v20120810#";
  if (kind === "throttle") {
    return {
      __type: `${prefix}ProvisionedThroughputExceededException`,
      message:
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    };
  }
  if (kind !== "conditional-race" || !isRaceable(operation, input)) return undefined;
  if (operation === "TransactWriteItems") {
    const count = Array.isArray((input as { TransactItems?: unknown[] })?.TransactItems)
      ? (input as { TransactItems: unknown[] }).TransactItems.length
      : 1;
    const reasons = Array.from({ length: Math.max(1, count) }, (_, i) =>
      i === 0
        ? { Code: "TransactionConflict", Message: "Transaction is ongoing for the item" }
        : { Code: "None" },
    );
    return {
      __type: `${prefix}TransactionCanceledException`,
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
      CancellationReasons: reasons,
    };
  }
  return { __type: `${prefix}ConditionalCheckFailedException`, message: "The conditional request failed" };
}

/** A conditional write another writer could have beaten: an UpdateItem with a condition, or a transaction. */
export function isRaceable(operation: string, input: unknown): boolean {
  if (operation === "TransactWriteItems") return true;
  if (operation !== "UpdateItem") return false;
  const condition = (input as { ConditionExpression?: unknown } | null)?.ConditionExpression;
  return typeof condition === "string" && condition.length > 0;
}

function matchesFunction(spec: FunctionFaultSpec, fn: FunctionIdentity): boolean {
  return fn.name === spec.function || fn.logicalId.startsWith(spec.function);
}

function validate(spec: FaultSpec): void {
  const rate = spec.rate ?? 1;
  if (!(rate > 0 && rate <= 1)) throw new Error("rate must be more than 0 and at most 1");
  if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times > 0))
    throw new Error("times must be a positive integer");
  if (spec.service === "lambda") {
    if (!["throw", "crash", "hang"].includes(spec.kind))
      throw new Error(`A function fault is "throw", "crash" or "hang", not "${spec.kind}"`);
    if (!spec.function) throw new Error("A function fault names the function");
    if (spec.afterMs !== undefined && !(spec.afterMs >= 0)) throw new Error("afterMs must be 0 or more");
    return;
  }
  if (spec.service !== "events" && spec.service !== "dynamodb")
    throw new Error(`Faults can be injected into "events", "dynamodb" or "lambda", not "${spec.service}"`);
  if (!spec.operation) throw new Error("A service fault names the operation (or *)");
  if (spec.kind === "partial" && !(spec.service === "events" && spec.operation === "PutEvents"))
    throw new Error('"partial" applies to events/PutEvents only');
  if (spec.kind === "conditional-race") {
    if (spec.service !== "dynamodb") throw new Error('"conditional-race" applies to dynamodb only');
    if (spec.operation !== "*" && !CONDITIONAL_RACE_OPERATIONS.has(spec.operation))
      throw new Error('"conditional-race" applies to UpdateItem and TransactWriteItems');
  }
  if (!["throttle", "partial", "conditional-race"].includes(spec.kind))
    throw new Error(`Unknown fault kind "${spec.kind}"`);
}
