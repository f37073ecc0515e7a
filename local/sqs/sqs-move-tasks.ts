/**
 * Message move tasks (StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask):
 * bookkeeping and pacing only. The engine does the actual moving through MoveTaskHost.
 *
 * As on AWS, a task moves the messages that were in the source queue when it started,
 * at most MaxNumberOfMessagesPerSecond per second, one task per source queue at a time.
 * Tasks live in memory: a restart forgets them (messages already moved stay moved).
 */
import { randomUUID } from "node:crypto";
import { SqsError } from "./sqs-errors.js";

export type MoveTaskStatus = "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";

/** One entry of ListMessageMoveTasks, in the SDK's shape. */
export interface MoveTaskSummary {
  TaskHandle?: string;
  Status: MoveTaskStatus;
  SourceArn: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  FailureReason?: string;
  StartedTimestamp: number;
}

/** What happened to one message: moved, not movable yet (in flight), no longer there, or the task must fail. */
export type MoveOutcome = "moved" | "inFlight" | "gone" | { failureReason: string };

export interface MoveTaskHost {
  now(): number;
  moveMessage(task: { sourceArn: string; destinationArn?: string }, messageId: string): MoveOutcome;
}

interface MoveTask {
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  ratePerSecond?: number;
  status: MoveTaskStatus;
  remainingIds: string[];
  toMove: number;
  moved: number;
  startedAt: number;
  failureReason?: string;
  budget: number;
  lastTickAt: number;
  timer?: NodeJS.Timeout;
}

const TICK_MS = 100;
/** Moves per tick when no rate is given ("system optimised" on AWS). */
const UNLIMITED_MOVES_PER_TICK = 1_000;
const TASKS_KEPT_PER_SOURCE = 10;

export class MessageMoveTasks {
  private readonly tasksBySource = new Map<string, MoveTask[]>();
  private stopped = false;

  constructor(private readonly host: MoveTaskHost) {}

  start(sourceArn: string, messageIds: string[], destinationArn?: string, ratePerSecond?: number): string {
    const history = this.tasksBySource.get(sourceArn) ?? [];
    if (history.some((task) => task.status === "RUNNING")) {
      throw new SqsError(
        "UnsupportedOperation",
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
      );
    }
    const task: MoveTask = {
      handle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString("base64"),
      sourceArn,
      destinationArn,
      ratePerSecond,
      status: "RUNNING",
      remainingIds: [...messageIds],
      toMove: messageIds.length,
      moved: 0,
      startedAt: this.host.now(),
      budget: 1,
      lastTickAt: performance.now(),
    };
    history.unshift(task);
    history.length = Math.min(history.length, TASKS_KEPT_PER_SOURCE);
    this.tasksBySource.set(sourceArn, history);
    task.timer = setInterval(() => this.tick(task), TICK_MS);
    task.timer.unref();
    setImmediate(() => this.tick(task));
    return task.handle;
  }

  /** Most recent first. */
  list(sourceArn: string, maxResults = 1): MoveTaskSummary[] {
    return (this.tasksBySource.get(sourceArn) ?? []).slice(0, maxResults).map(summarize);
  }

  /** Returns the number of messages moved before the cancellation. */
  cancel(handle: string): number {
    for (const history of this.tasksBySource.values()) {
      const task = history.find((candidate) => candidate.handle === handle);
      if (!task) continue;
      if (task.status !== "RUNNING") {
        throw new SqsError("UnsupportedOperation", "Only a task in RUNNING status can be cancelled.");
      }
      this.finish(task, "CANCELLED");
      return task.moved;
    }
    throw new SqsError(
      "ResourceNotFoundException",
      "The resource that you specified for the TaskHandle parameter doesn't exist.",
    );
  }

  /** Fails the running task of a deleted queue and forgets its history. */
  forgetSource(sourceArn: string): void {
    for (const task of this.tasksBySource.get(sourceArn) ?? []) {
      if (task.status === "RUNNING") this.finish(task, "FAILED", "Source queue was deleted.");
    }
    this.tasksBySource.delete(sourceArn);
  }

  stopAll(): void {
    this.stopped = true;
    for (const history of this.tasksBySource.values()) {
      for (const task of history) if (task.timer) clearInterval(task.timer);
    }
  }

  private tick(task: MoveTask): void {
    if (task.status !== "RUNNING" || this.stopped) return;
    const nowMs = performance.now();
    if (task.ratePerSecond === undefined) {
      task.budget = UNLIMITED_MOVES_PER_TICK;
    } else {
      // Token bucket: at most one second's worth saved up while messages were in flight.
      const earned = ((nowMs - task.lastTickAt) / 1000) * task.ratePerSecond;
      task.budget = Math.min(task.budget + earned, Math.max(task.ratePerSecond, 1));
    }
    task.lastTickAt = nowMs;
    const stillWaiting: string[] = [];
    for (const [index, id] of task.remainingIds.entries()) {
      if (task.budget < 1) {
        stillWaiting.push(...task.remainingIds.slice(index));
        break;
      }
      const outcome = this.host.moveMessage(task, id);
      if (outcome === "moved") {
        task.moved += 1;
        task.budget -= 1;
      } else if (outcome === "inFlight") {
        stillWaiting.push(id);
      } else if (outcome !== "gone") {
        task.remainingIds = [...stillWaiting, ...task.remainingIds.slice(index)];
        this.finish(task, "FAILED", outcome.failureReason);
        return;
      }
    }
    task.remainingIds = stillWaiting;
    if (stillWaiting.length === 0) this.finish(task, "COMPLETED");
  }

  private finish(task: MoveTask, status: MoveTaskStatus, failureReason?: string): void {
    task.status = status;
    task.failureReason = failureReason;
    if (task.timer) clearInterval(task.timer);
    task.timer = undefined;
  }
}

function summarize(task: MoveTask): MoveTaskSummary {
  return {
    ...(task.status === "RUNNING" ? { TaskHandle: task.handle } : {}),
    Status: task.status,
    SourceArn: task.sourceArn,
    ...(task.destinationArn ? { DestinationArn: task.destinationArn } : {}),
    ...(task.ratePerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: task.ratePerSecond } : {}),
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.toMove,
    ...(task.failureReason ? { FailureReason: task.failureReason } : {}),
    StartedTimestamp: task.startedAt,
  };
}
