/**
 * `redrive <platform>`: sends the platform's parked notices back for delivery with an SQS message move task
 * (StartMessageMoveTask) at a limited rate, showing its progress and the final count; Ctrl-C cancels the task
 * (messages already moved stay moved). The destination is the platform's queue: notices the delivery function
 * parked were sent to the DLQ, not moved there, so a move task without a destination could not return them.
 * `redrive <platform> --message <id>` returns one message: to the urgent queue for an urgent notice.
 */
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { abortableSleep } from "../../shared/ops/replay-runner";
import { enabledPlatform, type OpsContext } from "../context";
import { EXIT, notFound, OpsError } from "../output";
import { platformQueues, type Target } from "../target";
import { peekMessages } from "./dlq";

export interface RedriveOptions {
  message?: string;
  /** Messages per second (MaxNumberOfMessagesPerSecond, 1–500). */
  rate: number;
  /** How many queued messages to look through for --message. */
  limit: number;
}

export async function redriveCommand(
  context: OpsContext,
  platformId: string,
  options: RedriveOptions,
): Promise<number> {
  const platform = enabledPlatform(platformId);
  const target = await context.target();
  const queues = platformQueues(target, platform.id);
  if (options.message) return redriveOne(context, target, platform.id, queues, options);

  const [source, destination] = await Promise.all([
    queueAttributes(target, queues.deadLetterQueueUrl),
    queueAttributes(target, queues.queueUrl),
  ]);
  const out = context.out;
  const c = out.colors;
  const waiting = Number(source.ApproximateNumberOfMessages ?? 0);
  if (waiting === 0) {
    out.result({ platform: platform.id, outcome: "nothing", moved: 0, toMove: 0 }, () =>
      out.line(c.green(`Nothing parked for ${platform.id}: nothing to redrive.`)),
    );
    return EXIT.ok;
  }
  const sourceArn = source.QueueArn as string;
  const { TaskHandle } = await target.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destination.QueueArn,
      MaxNumberOfMessagesPerSecond: options.rate,
    }),
  );
  out.note(
    `Redriving ${waiting} message${waiting === 1 ? "" : "s"} from ${platform.id}'s DLQ to its queue at ${options.rate}/s (Ctrl-C cancels)…`,
  );
  const bar = out.progress(`${platform.id}`, waiting);
  let cancelled = false;
  const signal = context.io.interrupt;
  let task: { Status?: string; moved: number; toMove: number; failure?: string } = {
    moved: 0,
    toMove: waiting,
  };
  try {
    for (;;) {
      const { Results } = await target.sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
      );
      const current = Results?.find((r) => r.TaskHandle === TaskHandle) ?? Results?.[0];
      task = {
        ...(current?.Status ? { Status: current.Status } : {}),
        moved: current?.ApproximateNumberOfMessagesMoved ?? task.moved,
        toMove: current?.ApproximateNumberOfMessagesToMove ?? task.toMove,
        ...(current?.FailureReason ? { failure: current.FailureReason } : {}),
      };
      bar.update(task.moved, "", task.toMove);
      if (task.Status && ["COMPLETED", "CANCELLED", "FAILED"].includes(task.Status)) break;
      if (signal?.aborted && !cancelled && TaskHandle) {
        cancelled = true;
        await target.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })).catch(() => undefined);
        continue;
      }
      await abortableSleep(500, cancelled ? undefined : signal);
    }
  } finally {
    bar.stop();
  }
  const outcome =
    task.Status === "COMPLETED" ? "completed" : task.Status === "FAILED" ? "failed" : "cancelled";
  const result = {
    platform: platform.id,
    outcome,
    moved: task.moved,
    toMove: task.toMove,
    ...(task.failure ? { failure: task.failure } : {}),
  };
  out.result(result, () => {
    const counted = `${task.moved} of ${task.toMove} message${task.toMove === 1 ? "" : "s"} moved back to ${platform.id}'s queue`;
    if (outcome === "completed") out.line(c.green(`Redrive completed: ${counted}.`));
    else if (outcome === "cancelled") out.line(c.yellow(`Redrive cancelled: ${counted}.`));
    else out.line(c.red(`Redrive failed (${task.failure ?? "no reason given"}): ${counted}.`));
  });
  return outcome === "completed" ? EXIT.ok : outcome === "cancelled" ? EXIT.cancelled : EXIT.failure;
}

async function queueAttributes(target: Target, queueUrl: string) {
  const { Attributes } = await target.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["QueueArn", "ApproximateNumberOfMessages"],
    }),
  );
  return Attributes ?? {};
}

/** One message: sent to its queue again (urgent notices to the urgent queue) and only then deleted from the DLQ. */
async function redriveOne(
  context: OpsContext,
  target: Target,
  platformId: string,
  queues: ReturnType<typeof platformQueues>,
  options: RedriveOptions,
): Promise<number> {
  const messageId = options.message as string;
  const seen = await peekMessages(
    target,
    queues.deadLetterQueueUrl,
    options.limit,
    (m) => m.MessageId === messageId,
  );
  if (!seen.some((m) => m.MessageId === messageId)) {
    throw notFound(`No message ${messageId} in ${platformId}'s dead-letter queue`);
  }
  // Take it for good now (peek released it): receive until it comes, with a visibility long enough to finish.
  const message = await take(target, queues.deadLetterQueueUrl, messageId, options.limit);
  if (!message?.ReceiptHandle)
    throw new OpsError(`Message ${messageId} is being handled elsewhere; try again`);
  const urgent = isUrgent(message.Body);
  const destination = urgent && queues.urgentQueueUrl ? queues.urgentQueueUrl : queues.queueUrl;
  const { MessageId } = await target.sqs.send(
    new SendMessageCommand({
      QueueUrl: destination,
      MessageBody: message.Body ?? "",
      ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
        ? { MessageAttributes: message.MessageAttributes }
        : {}),
    }),
  );
  await target.sqs.send(
    new DeleteMessageCommand({ QueueUrl: queues.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }),
  );
  const out = context.out;
  const queue = destination === queues.urgentQueueUrl ? "urgent queue" : "queue";
  out.result(
    {
      platform: platformId,
      outcome: "completed",
      moved: 1,
      toMove: 1,
      messageId,
      newMessageId: MessageId,
      queue,
    },
    () =>
      out.line(
        out.colors.green(`Message ${messageId} sent back to ${platformId}'s ${queue} (now ${MessageId}).`),
      ),
  );
  return EXIT.ok;
}

async function take(
  target: Target,
  queueUrl: string,
  messageId: string,
  limit: number,
): Promise<Message | undefined> {
  const others: string[] = [];
  try {
    for (let looked = 0; looked < limit; ) {
      const { Messages } = await target.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          WaitTimeSeconds: target.kind === "aws" ? 1 : 0,
          MessageAttributeNames: ["All"],
        }),
      );
      if (!Messages?.length) return undefined;
      looked += Messages.length;
      let found: Message | undefined;
      for (const message of Messages) {
        if (message.MessageId === messageId) found = message;
        else if (message.ReceiptHandle) others.push(message.ReceiptHandle);
      }
      if (found) return found;
    }
    return undefined;
  } finally {
    for (const handle of others) {
      await target.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined);
    }
  }
}

function isUrgent(body: string | undefined): boolean {
  try {
    return (JSON.parse(body ?? "") as { urgent?: unknown }).urgent === true;
  } catch {
    return false;
  }
}
