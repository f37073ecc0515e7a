import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import type { ComplaintRecord } from "../complaint/record";
import { factsForChange } from "./facts";
import type { StatsStore } from "./stats-store";

export interface CountDependencies {
  store: Pick<StatsStore, "count">;
  now: () => Date;
}

export interface CountResult extends DynamoDBBatchResponse {
  counted: number;
  /** Facts found counted already: a redelivered record, or a batch retried after a partial failure. */
  alreadyCounted: number;
  /** The record processing stopped at, for the log (ids only). */
  failure?: { sequenceNumber: string; complaintId?: string; errorName: string };
}

/**
 * Counts the facts of a stream batch in order. On the first record that fails, the rest of the batch is left
 * for Lambda to retry from that record; the facts it did count before are not counted again (markers).
 */
export async function countStreamBatch(
  deps: CountDependencies,
  records: DynamoDBRecord[],
): Promise<CountResult> {
  let counted = 0;
  let alreadyCounted = 0;
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? "";
    let complaintId: string | undefined;
    try {
      const newImage = image(record.dynamodb?.NewImage);
      const oldImage = image(record.dynamodb?.OldImage);
      complaintId = newImage?.complaintId ?? oldImage?.complaintId;
      const now = deps.now();
      // A record's facts are independent of each other: counted side by side, all settled before moving on.
      const outcomes = await Promise.allSettled(
        factsForChange(oldImage, newImage).map((fact) => deps.store.count(fact, now)),
      );
      for (const outcome of outcomes) {
        if (outcome.status === "fulfilled" && outcome.value === "counted") counted++;
        else if (outcome.status === "fulfilled") alreadyCounted++;
      }
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (rejected) throw rejected.reason;
    } catch (error) {
      return {
        batchItemFailures: [{ itemIdentifier: sequenceNumber }],
        counted,
        alreadyCounted,
        failure: {
          sequenceNumber,
          ...(complaintId ? { complaintId } : {}),
          errorName: error instanceof Error ? error.name : "unknown",
        },
      };
    }
  }
  return { batchItemFailures: [], counted, alreadyCounted };
}

function image(value: unknown): ComplaintRecord | undefined {
  if (!value) return undefined;
  // The stream's AttributeValue type (aws-lambda) and the SDK's are the same wire shape.
  const item = unmarshall(value as Parameters<typeof unmarshall>[0]) as ComplaintRecord;
  return item.kind === "complaint" ? item : undefined;
}
