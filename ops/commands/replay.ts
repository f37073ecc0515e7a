/**
 * `replay --from <time> --to <time> [--platform <id>]`: sends the notices archived on the bus in a window to the
 * platforms' queues again. First a preview: a dry run of the same window into the replay-preview rule only
 * (infra/constructs/replay-preview.ts), counted per platform, nothing delivered. Then, once confirmed (or with
 * --yes), the replay proper, limited to the routing rules of the platforms concerned, cut into small replays that
 * go out at `--rate` events per second; Ctrl-C cancels the running replay (CancelReplay) and starts no other.
 * Platforms deduplicate on the stable noticeId and the hub skips notices already delivered, so a replay never
 * opens a second case.
 */
import { randomBytes } from "node:crypto";
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  type EventBridgeClient,
  ListReplaysCommand,
  ListRulesCommand,
  type Rule,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import {
  noticesToReplay,
  type PreviewEvent,
  planChunks,
  previewEventOf,
  REPLAY_PREFIX,
  REPLAY_PREVIEW_PREFIX,
  summarizePreview,
} from "../../shared/ops/replay-plan";
import { abortableSleep, type ReplayRunResult, runReplays } from "../../shared/ops/replay-runner";
import { enabledPlatform, type OpsContext } from "../context";
import { EXIT, OpsError, usageError } from "../output";
import type { Target } from "../target";

export interface ReplayOptions {
  from: string;
  to?: string;
  platform?: string;
  /** Events per second at most. */
  rate: number;
  /** Events per replay at most. */
  batch: number;
  yes?: boolean;
  /** Show the preview only. */
  previewOnly?: boolean;
}

export async function replayCommand(context: OpsContext, options: ReplayOptions): Promise<number> {
  const now = context.now();
  const from = parseTime(options.from, now, "--from");
  const to = options.to
    ? parseTime(options.to, now, "--to")
    : new Date(Math.floor(now.getTime() / 1000) * 1000 - 1000);
  if (from.getTime() >= to.getTime()) throw usageError("--from must be before --to");
  if (to.getTime() > now.getTime()) throw usageError("--to cannot be in the future");
  const platform = options.platform ? enabledPlatform(options.platform).id : undefined;
  const target = await context.target();
  const out = context.out;
  const c = out.colors;
  const archive = await target.events.send(
    new DescribeArchiveCommand({ ArchiveName: target.output("ArchiveName") }),
  );
  const busArn = archive.EventSourceArn as string;
  const busName = target.output("EventBusName");

  const run = `${now.toISOString().replace(/[-:]/g, "").slice(0, 15)}-${randomBytes(3).toString("hex")}`;
  out.note(`Counting the archived events from ${from.toISOString()} to ${to.toISOString()} (a dry run)…`);
  const events = await dryRun(context, target, {
    archiveArn: archive.ArchiveArn as string,
    busArn,
    busName,
    name: `${REPLAY_PREVIEW_PREFIX}${run}`,
    from,
    to,
  });
  const preview = summarizePreview(events, { from, to }, platform);
  const showPreview = () => {
    out.line(c.bold(`Archived events ${preview.from} → ${preview.to}: ${preview.archived}`));
    if (preview.platforms.length > 0) {
      out.table(preview.platforms, [
        { header: "PLATFORM", value: (p) => p.platform },
        { header: "NOTICES", value: (p) => p.notices, align: "right" },
        { header: "URGENT", value: (p) => p.urgent, align: "right" },
        { header: "OTHER EVENTS", value: (p) => p.otherEvents, align: "right", color: (t) => c.dim(t) },
      ]);
    }
    out.line(
      `${c.bold(String(preview.toReplay))} notice${preview.toReplay === 1 ? "" : "s"} would be sent again${
        platform ? ` to ${platform}` : ""
      } (status events are not replayed; platforms deduplicate on the noticeId).`,
    );
  };

  if (options.previewOnly || preview.toReplay === 0) {
    out.result({ preview, replay: null }, () => {
      showPreview();
      if (preview.toReplay === 0) out.line(c.green("Nothing to replay."));
    });
    return EXIT.ok;
  }
  if (!out.json) showPreview();
  if (!options.yes) {
    if (!context.io.confirm) {
      if (out.json) out.result({ preview, replay: null }, () => undefined);
      throw usageError("Not replayed: confirm at a terminal, or pass --yes");
    }
    const go = await context.io.confirm(`Replay ${preview.toReplay} notices at ${options.rate}/s?`);
    if (!go) {
      out.result({ preview, replay: null }, () => out.line(c.yellow("Not replayed.")));
      return EXIT.ok;
    }
  }

  const filterArns = await routingRules(target.events, busName, target.stage, platform);
  const others = await runningReplays(target.events, archive.ArchiveArn as string);
  if (others.length > 0) {
    out.note(
      `Note: other replays of this archive are running (${others.join(", ")}); notices they send are deduplicated too.`,
    );
  }
  const chunks = planChunks(
    noticesToReplay(events, platform).map((e) => e.time),
    { from, to },
    options.batch,
  );
  const total = chunks.reduce((sum, chunk) => sum + chunk.events, 0);
  out.note(
    `Replaying ${total} notice${total === 1 ? "" : "s"} in ${chunks.length} replay${chunks.length === 1 ? "" : "s"} at ${options.rate}/s (Ctrl-C cancels)…`,
  );
  const bar = out.progress("replay", total);
  let result: ReplayRunResult;
  try {
    result = await runReplays(
      {
        start: async (name, chunk) => {
          await target.events.send(
            new StartReplayCommand({
              ReplayName: name,
              EventSourceArn: archive.ArchiveArn,
              EventStartTime: chunk.from,
              EventEndTime: chunk.to,
              Destination: { Arn: busArn, FilterArns: filterArns },
              Description: `ops replay by ${context.operator || "an operator"}`,
            }),
          );
        },
        describe: async (name) => {
          const replay = await target.events.send(new DescribeReplayCommand({ ReplayName: name }));
          return {
            state: replay.State ?? "RUNNING",
            ...(replay.StateReason ? { reason: replay.StateReason } : {}),
          };
        },
        cancel: async (name) => {
          await target.events.send(new CancelReplayCommand({ ReplayName: name }));
        },
      },
      chunks,
      {
        namePrefix: `${REPLAY_PREFIX}${run}`,
        ratePerSecond: options.rate,
        pollMs: target.kind === "local" ? 200 : 2000,
        ...(context.io.interrupt ? { signal: context.io.interrupt } : {}),
        onProgress: ({ replayed }) => bar.update(replayed),
      },
    );
  } finally {
    bar.stop();
  }
  out.result({ preview, replay: result }, () => {
    const counted = `${result.replayed} of ${result.total} notice${result.total === 1 ? "" : "s"} replayed in ${result.replays.length} replay${
      result.replays.length === 1 ? "" : "s"
    }`;
    if (result.outcome === "completed") out.line(c.green(`Replay completed: ${counted}.`));
    else if (result.outcome === "cancelled") out.line(c.yellow(`Replay cancelled: ${counted}.`));
    else {
      const failed = result.replays.at(-1);
      out.line(c.red(`Replay failed (${failed?.name}: ${failed?.reason ?? "no reason given"}): ${counted}.`));
    }
  });
  return result.outcome === "completed"
    ? EXIT.ok
    : result.outcome === "cancelled"
      ? EXIT.cancelled
      : EXIT.failure;
}

/** ISO 8601, or an age: "90m", "2h", "3d" ago, or "now". */
export function parseTime(value: string, now: Date, flag: string): Date {
  if (value === "now") return now;
  const age = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (age) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(age[1]) * unit);
  }
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(time)) {
    throw usageError(
      `${flag} must be an ISO 8601 time (2026-11-28T09:00:00Z), an age (90m, 2h, 3d) or "now"`,
    );
  }
  return new Date(time);
}

/** Operators' replays of the archive that have not ended (another operator's, or one left by a killed CLI). */
async function runningReplays(events: EventBridgeClient, archiveArn: string): Promise<string[]> {
  const names: string[] = [];
  for (const state of ["STARTING", "RUNNING"] as const) {
    let token: string | undefined;
    do {
      const page = await events.send(
        new ListReplaysCommand({
          NamePrefix: REPLAY_PREFIX,
          State: state,
          EventSourceArn: archiveArn,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      names.push(...(page.Replays ?? []).flatMap((r) => (r.ReplayName ? [r.ReplayName] : [])));
      token = page.NextToken;
    } while (token);
  }
  return names;
}

/** The routing rules (normal and urgent) of one platform, or of every platform and triage. */
async function routingRules(
  events: EventBridgeClient,
  busName: string,
  stage: string,
  platform: string | undefined,
): Promise<string[]> {
  const prefix = `complaint-hub-${stage}-route-`;
  const rules: Rule[] = [];
  let token: string | undefined;
  do {
    const page = await events.send(
      new ListRulesCommand({
        EventBusName: busName,
        NamePrefix: prefix,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    rules.push(...(page.Rules ?? []));
    token = page.NextToken;
  } while (token);
  const wanted = platform ? new Set([`${prefix}${platform}`, `${prefix}${platform}-urgent`]) : undefined;
  const arns = rules
    .filter((r) => !wanted || wanted.has(r.Name ?? ""))
    .flatMap((r) => (r.Arn ? [r.Arn] : []));
  if (arns.length === 0) throw new OpsError(`No routing rules ${prefix}${platform ?? "*"} on ${busName}`);
  return arns;
}

/** Replays the window into the preview rule only, and reads back what it sent (each event once). */
async function dryRun(
  context: OpsContext,
  target: Target,
  replay: { archiveArn: string; busArn: string; busName: string; name: string; from: Date; to: Date },
): Promise<PreviewEvent[]> {
  const rule = await target.events.send(
    new DescribeRuleCommand({ Name: target.output("ReplayPreviewRuleName"), EventBusName: replay.busName }),
  );
  const queueUrl = target.output("ReplayPreviewQueueUrl");
  await target.events.send(
    new StartReplayCommand({
      ReplayName: replay.name,
      EventSourceArn: replay.archiveArn,
      EventStartTime: replay.from,
      EventEndTime: replay.to,
      Destination: { Arn: replay.busArn, FilterArns: [rule.Arn as string] },
      Description: "ops preview (dry run: counted, never delivered)",
    }),
  );
  const local = target.kind === "local";
  const events = new Map<string, PreviewEvent>();
  const deadline = Date.now() + (local ? 60_000 : 15 * 60_000);
  let state = "STARTING";
  let quiet = 0;
  // Done when the replay has ended and the queue has stayed empty for a few receives (deliveries lag a little).
  while (quiet < (local ? 2 : 3)) {
    if (Date.now() > deadline)
      throw new OpsError(`The preview ${replay.name} did not finish in time (${state})`);
    if (!["COMPLETED", "CANCELLED", "FAILED"].includes(state)) {
      const described = await target.events.send(new DescribeReplayCommand({ ReplayName: replay.name }));
      state = described.State ?? state;
      if (state === "FAILED")
        throw new OpsError(`The preview failed: ${described.StateReason ?? "no reason given"}`);
    }
    const { Messages } = await target.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        WaitTimeSeconds: local ? 0 : 2,
      }),
    );
    const ours: { Id: string; ReceiptHandle: string }[] = [];
    const others: { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[] = [];
    for (const [i, message] of (Messages ?? []).entries()) {
      if (!message.ReceiptHandle) continue;
      const event = previewEventOf(message.Body ?? "", replay.name);
      if (event) {
        events.set(event.id, event);
        ours.push({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle });
      } else {
        others.push({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 });
      }
    }
    if (ours.length > 0) {
      await target.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: ours }));
    }
    if (others.length > 0) {
      await target.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: others }));
    }
    const ended = ["COMPLETED", "CANCELLED", "FAILED"].includes(state);
    if (ended && ours.length === 0) quiet++;
    else quiet = 0;
    if (ours.length === 0) await abortableSleep(local ? 150 : 500);
    if (context.io.interrupt?.aborted) {
      await target.events.send(new CancelReplayCommand({ ReplayName: replay.name })).catch(() => undefined);
      throw new OpsError("Interrupted during the preview: nothing was replayed", EXIT.cancelled);
    }
  }
  return [...events.values()];
}
