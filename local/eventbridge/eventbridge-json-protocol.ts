/**
 * The EventBridge AWS JSON 1.1 protocol (what @aws-sdk/client-eventbridge speaks): `X-Amz-Target:
 * AWSEvents.<Action>` plus a JSON body in, a JSON body or `{"__type", "message"}` error (status 400, 500 for
 * internal failures) out. Timestamps travel as epoch seconds. The actions the hub and operator tooling use:
 * PutEvents, TestEventPattern, ListRules, DescribeRule, ListTargetsByRule, ListEventBuses, DescribeEventBus,
 * ListArchives, DescribeArchive, StartReplay, DescribeReplay, ListReplays, CancelReplay. Rules, buses and archives come from the
 * template, so the write actions (PutRule, PutTargets, ...) answer UnknownOperationException.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonProtocolHandler } from "../aws-json-protocol";
import { callerOf } from "../faults";
import { InvalidEventPatternError } from "./event-pattern.js";
import { EventBridgeError, notFound, validationError } from "./eventbridge-errors.js";
import type {
  ArchiveDescription,
  LocalEventBridge,
  PutEventsEntry,
  ReplayDescription,
  TargetDescription,
} from "./local-event-bridge.js";

export const EVENTBRIDGE_TARGET_PREFIX = "AWSEvents.";
export const EVENTBRIDGE_JSON_CONTENT_TYPE = "application/x-amz-json-1.1";

export interface EventBridgeResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export type EventBridgeHttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => Promise<void>;

type Input = Record<string, unknown>;
/** Who sent the request (the access key id it was signed with), when known. */
export interface RequestContext {
  caller?: string;
}
type ActionHandler = (bridge: LocalEventBridge, input: Input, context: RequestContext) => unknown;

/** Handles one request (action without the "AWSEvents." prefix, parsed body). Never throws. */
export async function handleEventBridgeRequest(
  bridge: LocalEventBridge,
  action: string,
  body: unknown,
  context: RequestContext = {},
): Promise<EventBridgeResponse> {
  try {
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler) {
      throw new EventBridgeError(
        "UnknownOperationException",
        `The local EventBridge does not implement ${action || "this operation"}.`,
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new EventBridgeError("SerializationException", "The request body must be a JSON object.");
    }
    const result = await handler(bridge, body as Input, context);
    return { status: 200, headers: { "content-type": EVENTBRIDGE_JSON_CONTENT_TYPE }, body: result ?? {} };
  } catch (error) {
    return eventBridgeErrorResponse(error);
  }
}

/** `{"__type": "<Code>", "message": "..."}` with the error's status; anything unexpected is an InternalException. */
export function eventBridgeErrorResponse(error: unknown): EventBridgeResponse {
  let code: string;
  let status = 400;
  let message: string;
  if (error instanceof InvalidEventPatternError) {
    code = error.code;
    message = error.message;
  } else if (error instanceof EventBridgeError) {
    code = error.code;
    status = error.status;
    message = error.message;
  } else {
    console.error("[eventbridge]", error);
    code = "InternalException";
    status = 500;
    message = `Internal error in the local EventBridge: ${(error as Error)?.message ?? error}`;
  }
  return {
    status,
    headers: { "content-type": EVENTBRIDGE_JSON_CONTENT_TYPE },
    body: { __type: code, message },
  };
}

/** The HTTP side: the shared local endpoint has read the body and routes `AWSEvents.*` targets here. */
export function createEventBridgeHttpHandler(bridge: LocalEventBridge): EventBridgeHttpHandler {
  return jsonProtocolHandler({
    targetPrefix: EVENTBRIDGE_TARGET_PREFIX,
    handle: (action, input, req) =>
      handleEventBridgeRequest(bridge, action, input, { caller: callerOf(req.headers.authorization) }),
    unknownOperation: () =>
      eventBridgeErrorResponse(
        new EventBridgeError(
          "UnknownOperationException",
          "Only the EventBridge JSON protocol is supported: send X-Amz-Target: AWSEvents.<Action>.",
        ),
      ),
    malformedBody: () =>
      eventBridgeErrorResponse(
        new EventBridgeError("SerializationException", "The request body is not valid JSON."),
      ),
  });
}

// ---- actions ----

const ACTIONS: Record<string, ActionHandler> = {
  PutEvents(bridge, input, context) {
    const entries = required(input, "Entries", "entries");
    if (!Array.isArray(entries))
      throw new EventBridgeError("SerializationException", "Entries must be a list.");
    return bridge.putEvents(entries as PutEventsEntry[], context);
  },

  TestEventPattern(bridge, input) {
    const pattern = requiredString(input, "EventPattern", "eventPattern");
    const event = requiredString(input, "Event", "event");
    return { Result: bridge.testEventPattern(pattern, event) };
  },

  ListRules(bridge, input) {
    const prefix = optionalString(input, "NamePrefix") ?? "";
    const rules = bridge
      .listRules(optionalString(input, "EventBusName"))
      .filter((rule) => rule.name.startsWith(prefix))
      .map((rule) => ({
        Name: rule.name,
        Arn: rule.arn,
        ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
        ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
        State: rule.state,
        ...(rule.description !== undefined ? { Description: rule.description } : {}),
        EventBusName: rule.busName,
      }));
    const page = paginate(rules, input);
    return { Rules: page.items, ...page.next };
  },

  DescribeRule(bridge, input) {
    const rule = bridge.describeRule(
      requiredString(input, "Name", "name"),
      optionalString(input, "EventBusName"),
    );
    return {
      Name: rule.name,
      Arn: rule.arn,
      ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
      ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
      State: rule.state,
      ...(rule.description !== undefined ? { Description: rule.description } : {}),
      EventBusName: rule.busName,
      CreatedBy: bridge.accountId,
    };
  },

  ListTargetsByRule(bridge, input) {
    const rule = bridge.describeRule(
      requiredString(input, "Rule", "rule"),
      optionalString(input, "EventBusName"),
    );
    const page = paginate(rule.targets.map(wireTarget), input);
    return { Targets: page.items, ...page.next };
  },

  ListEventBuses(bridge, input) {
    const prefix = optionalString(input, "NamePrefix") ?? "";
    const buses = bridge
      .listBuses()
      .filter((bus) => bus.name.startsWith(prefix))
      .map((bus) => ({
        Name: bus.name,
        Arn: bus.arn,
        ...(bus.description !== undefined ? { Description: bus.description } : {}),
        CreationTime: epochSeconds(bus.createdAt),
        LastModifiedTime: epochSeconds(bus.createdAt),
      }));
    const page = paginate(buses, input);
    return { EventBuses: page.items, ...page.next };
  },

  DescribeEventBus(bridge, input) {
    const bus = bridge.describeBus(optionalString(input, "Name"));
    return {
      Name: bus.name,
      Arn: bus.arn,
      ...(bus.description !== undefined ? { Description: bus.description } : {}),
      CreationTime: epochSeconds(bus.createdAt),
      LastModifiedTime: epochSeconds(bus.createdAt),
    };
  },

  ListArchives(bridge, input) {
    const prefix = optionalString(input, "NamePrefix") ?? "";
    const source = optionalString(input, "EventSourceArn");
    const state = optionalString(input, "State");
    const archives = bridge
      .listArchives()
      .filter((archive) => archive.name.startsWith(prefix))
      .filter((archive) => source === undefined || archive.sourceArn === source)
      .filter((archive) => state === undefined || archive.state === state)
      .map((archive) => ({
        ArchiveName: archive.name,
        EventSourceArn: archive.sourceArn,
        State: archive.state,
        RetentionDays: archive.retentionDays,
        SizeBytes: archive.sizeBytes,
        EventCount: archive.eventCount,
        CreationTime: epochSeconds(archive.createdAt),
      }));
    const page = paginate(archives, input);
    return { Archives: page.items, ...page.next };
  },

  DescribeArchive(bridge, input) {
    return wireArchive(bridge.describeArchive(requiredString(input, "ArchiveName", "archiveName")));
  },

  StartReplay(bridge, input) {
    const replayName = requiredString(input, "ReplayName", "replayName");
    const sourceArn = requiredString(input, "EventSourceArn", "eventSourceArn");
    const from = requiredTimestamp(input, "EventStartTime", "eventStartTime");
    const to = requiredTimestamp(input, "EventEndTime", "eventEndTime");
    const destination = required(input, "Destination", "destination") as {
      Arn?: unknown;
      FilterArns?: unknown;
    };
    const archiveName = /^arn:[\w-]+:events:[\w-]+:\d{12}:archive\/(.+)$/.exec(sourceArn)?.[1];
    if (archiveName === undefined) throw validationError("Parameter EventSourceArn is not valid.");
    const archive = bridge.listArchives().find((candidate) => candidate.arn === sourceArn);
    if (!archive) throw notFound(`Archive ${archiveName} does not exist.`);
    if (destination.Arn !== archive.sourceArn) {
      throw validationError(
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
      );
    }
    const filterArns = destination.FilterArns;
    if (
      filterArns !== undefined &&
      (!Array.isArray(filterArns) || filterArns.some((arn) => typeof arn !== "string"))
    ) {
      throw new EventBridgeError(
        "SerializationException",
        "Destination.FilterArns must be a list of strings.",
      );
    }
    const replay = bridge.startReplay({
      archiveName: archive.name,
      replayName,
      from,
      to,
      ...(filterArns ? { destinationRules: filterArns as string[] } : {}),
      ...(optionalString(input, "Description") !== undefined
        ? { description: optionalString(input, "Description") }
        : {}),
    });
    return {
      ReplayArn: replay.replayArn,
      State: replay.state,
      ReplayStartTime: epochSeconds(replay.replayStartTime),
    };
  },

  DescribeReplay(bridge, input) {
    return wireReplay(bridge.describeReplay(requiredString(input, "ReplayName", "replayName")));
  },

  ListReplays(bridge, input) {
    const state = optionalString(input, "State");
    if (state !== undefined && !REPLAY_STATES.has(state)) {
      throw validationError(
        `1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${[...REPLAY_STATES].join(", ")}]`,
      );
    }
    const replays = bridge
      .listReplays({
        ...(optionalString(input, "NamePrefix") !== undefined
          ? { namePrefix: optionalString(input, "NamePrefix") }
          : {}),
        ...(state !== undefined ? { state } : {}),
        ...(optionalString(input, "EventSourceArn") !== undefined
          ? { eventSourceArn: optionalString(input, "EventSourceArn") }
          : {}),
      })
      .map((replay) => {
        const {
          ReplayArn: _arn,
          Description: _description,
          Destination: _destination,
          ...summary
        } = wireReplay(replay);
        return summary;
      });
    const page = paginate(replays, input);
    return { Replays: page.items, ...page.next };
  },

  CancelReplay(bridge, input) {
    const replay = bridge.cancelReplay(requiredString(input, "ReplayName", "replayName"));
    return { ReplayArn: replay.replayArn, State: replay.state };
  },
};

const REPLAY_STATES: ReadonlySet<string> = new Set([
  "STARTING",
  "RUNNING",
  "CANCELLING",
  "COMPLETED",
  "CANCELLED",
  "FAILED",
]);

// ---- shapes ----

function wireTarget(target: TargetDescription): Record<string, unknown> {
  return {
    Id: target.id,
    Arn: target.arn,
    ...(target.input !== undefined ? { Input: target.input } : {}),
    ...(target.inputPath !== undefined ? { InputPath: target.inputPath } : {}),
    ...(target.inputTransformer
      ? {
          InputTransformer: {
            ...(Object.keys(target.inputTransformer.inputPathsMap).length > 0
              ? { InputPathsMap: target.inputTransformer.inputPathsMap }
              : {}),
            InputTemplate: target.inputTransformer.inputTemplate,
          },
        }
      : {}),
    ...(target.retryPolicy
      ? {
          RetryPolicy: {
            MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
            MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
          },
        }
      : {}),
    ...(target.deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
  };
}

function wireArchive(archive: ArchiveDescription): Record<string, unknown> {
  return {
    ArchiveArn: archive.arn,
    ArchiveName: archive.name,
    EventSourceArn: archive.sourceArn,
    ...(archive.description !== undefined ? { Description: archive.description } : {}),
    ...(archive.eventPattern !== undefined ? { EventPattern: archive.eventPattern } : {}),
    State: archive.state,
    RetentionDays: archive.retentionDays,
    SizeBytes: archive.sizeBytes,
    EventCount: archive.eventCount,
    CreationTime: epochSeconds(archive.createdAt),
  };
}

function wireReplay(replay: ReplayDescription): Record<string, unknown> {
  return {
    ReplayName: replay.replayName,
    ReplayArn: replay.replayArn,
    ...(replay.description !== undefined ? { Description: replay.description } : {}),
    State: replay.state,
    ...(replay.stateReason !== undefined ? { StateReason: replay.stateReason } : {}),
    EventSourceArn: replay.eventSourceArn,
    Destination: {
      Arn: replay.destination.arn,
      ...(replay.destination.filterArns ? { FilterArns: replay.destination.filterArns } : {}),
    },
    EventStartTime: epochSeconds(replay.eventStartTime),
    EventEndTime: epochSeconds(replay.eventEndTime),
    ...(replay.eventLastReplayedTime
      ? { EventLastReplayedTime: epochSeconds(replay.eventLastReplayedTime) }
      : {}),
    ReplayStartTime: epochSeconds(replay.replayStartTime),
    ...(replay.replayEndTime ? { ReplayEndTime: epochSeconds(replay.replayEndTime) } : {}),
  };
}

// ---- input helpers ----

function required(input: Input, name: string, member: string): unknown {
  const value = input[name];
  if (value === undefined || value === null) {
    throw validationError(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function requiredString(input: Input, name: string, member: string): string {
  const value = required(input, name, member);
  if (typeof value !== "string")
    throw new EventBridgeError("SerializationException", `${name} must be a string.`);
  return value;
}

function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string")
    throw new EventBridgeError("SerializationException", `${name} must be a string.`);
  return value;
}

/** JSON 1.1 timestamps are epoch seconds (fractions allowed). */
function requiredTimestamp(input: Input, name: string, member: string): Date {
  const value = required(input, name, member);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new EventBridgeError("SerializationException", `${name} must be a timestamp (epoch seconds).`);
  }
  return new Date(value * 1000);
}

function paginate<T>(items: readonly T[], input: Input): { items: T[]; next: { NextToken?: string } } {
  const limitValue = input.Limit;
  const limit = limitValue === undefined || limitValue === null ? 100 : Number(limitValue);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw validationError(
      `1 validation error detected: Value '${String(limitValue)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  const token = optionalString(input, "NextToken");
  const start = token === undefined ? 0 : Number(Buffer.from(token, "base64").toString("utf8"));
  if (!Number.isInteger(start) || start < 0) throw validationError("The NextToken is not valid.");
  const end = start + limit;
  return {
    items: items.slice(start, end),
    next: end < items.length ? { NextToken: Buffer.from(String(end)).toString("base64") } : {},
  };
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
