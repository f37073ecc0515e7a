import { Duration } from "aws-cdk-lib";
import { FilterCriteria, FilterRule, type IEventSourceDlq, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { COMPLAINT_SK } from "../../shared/complaint/record";
import type { StageConfig } from "../stages";
import type { ComplaintTable } from "./complaint-table";

/**
 * How the hub's functions read the complaints table's stream: complaint items only (attempts, reports, markers
 * and counters never come back), from the oldest record, a bad record bisected out and, after the stage's
 * retries or record age, sent to `onFailure` for an operator.
 */
export function complaintStreamSource(
  table: ComplaintTable,
  stage: StageConfig,
  onFailure: IEventSourceDlq,
): DynamoEventSource {
  return new DynamoEventSource(table.table, {
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: 25,
    bisectBatchOnError: true,
    retryAttempts: stage.publish.retryAttempts,
    maxRecordAge: Duration.hours(stage.publish.maxRecordAgeHours),
    reportBatchItemFailures: true,
    parallelizationFactor: 1,
    onFailure,
    filters: [FilterCriteria.filter({ dynamodb: { Keys: { sk: { S: FilterRule.isEqual(COMPLAINT_SK) } } } })],
  });
}
