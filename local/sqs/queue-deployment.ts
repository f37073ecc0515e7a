/**
 * The template's queues deployed onto the local SQS the way a CloudFormation stack update deploys them: a queue
 * the state does not have yet is created with the template's attributes; an existing one gets only the
 * attributes whose value in the template changed since the last deploy. A change made out of band
 * (SetQueueAttributes by an operator or a test) therefore stays across restarts until the template itself
 * changes that attribute, as on AWS, where an update leaves the properties it does not change alone.
 *
 * What was last deployed is kept in `<stateDir>/sqs/deployed-queues.json`, written after the queues are
 * updated: a local cloud killed in between applies the same template values again on its next start. State
 * from before the record existed gets every template attribute once.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type SqsEngine, sqsStateDirectory } from "./sqs-engine.js";

export const DEPLOYED_QUEUES_FILE_NAME = "deployed-queues.json";

export interface QueueDeclaration {
  name: string;
  /** The template's attributes, as CreateQueue takes them. */
  attributes: Readonly<Record<string, string>>;
}

type DeployedQueues = Record<string, Record<string, string>>;

/** Creates or updates `queues` in the given order (dead-letter queues before the queues that name them). */
export async function deployQueues(
  sqs: SqsEngine,
  stateDir: string,
  queues: readonly QueueDeclaration[],
): Promise<void> {
  const file = join(sqsStateDirectory(stateDir), DEPLOYED_QUEUES_FILE_NAME);
  const deployed = readDeployed(file);
  for (const queue of queues) {
    if (!sqs.hasQueue(queue.name)) {
      await sqs.createQueue(queue.name, queue.attributes);
      continue;
    }
    const before = deployed[queue.name];
    const changed = Object.fromEntries(
      Object.entries(queue.attributes).filter(([key, value]) => before?.[key] !== value),
    );
    if (Object.keys(changed).length > 0) await sqs.setQueueAttributes(queue.name, changed);
  }
  const record: DeployedQueues = Object.fromEntries(queues.map((q) => [q.name, { ...q.attributes }]));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The last deploy's attributes; none (every attribute applied again) when the record is missing or unreadable. */
function readDeployed(file: string): DeployedQueues {
  if (!existsSync(file)) return {};
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as DeployedQueues) : {};
  } catch {
    return {};
  }
}
