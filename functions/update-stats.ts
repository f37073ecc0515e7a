import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy from "@middy/core";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { requireEnv } from "../shared/env";
import { logger, metrics, tracer } from "../shared/observability";
import { countStreamBatch } from "../shared/stats/count-stream";
import { StatsStore } from "../shared/stats/stats-store";

const store = new StatsStore(documentClient, requireEnv("TABLE_NAME"));

/** DynamoDB stream → the statistics' counters, each fact counted once however often its record comes. */
export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const result = await countStreamBatch({ store, now: () => new Date() }, event.Records);
  metrics.addMetric("StatsFactsCounted", "Count", result.counted);
  metrics.addMetric("StatsFactsAlreadyCounted", "Count", result.alreadyCounted);
  if (result.failure) {
    metrics.addMetric("StatsCountFailures", "Count", 1);
    // Ids and counts only: the images carry personal data.
    logger.warn("A record's facts were not all counted; the batch resumes from it", {
      records: event.Records.length,
      counted: result.counted,
      ...result.failure,
    });
  }
  return { batchItemFailures: result.batchItemFailures };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics));
