import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import middy from "@middy/core";
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { eventBridge } from "../shared/aws/eventbridge";
import { requireEnv } from "../shared/env";
import { PUBLISH_RETRY, publishStreamBatch } from "../shared/events/publish-stream";
import { logger, metrics, tracer } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const busName = requireEnv("EVENT_BUS_NAME");
const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** DynamoDB stream → EventBridge: the transactional outbox relay. */
export const handler = middy(async (event: DynamoDBStreamEvent, context: Context) => {
  const result = await publishStreamBatch(
    {
      store,
      busName,
      now: () => new Date(),
      putEvents: async (entries) =>
        (await eventBridge.send(new PutEventsCommand({ Entries: entries }))).Entries ?? [],
      // Entries EventBridge failed are put again here before the batch goes back to the stream.
      retry: PUBLISH_RETRY,
      remainingTimeMs: () => context.getRemainingTimeInMillis?.() ?? 0,
    },
    event.Records,
  );
  metrics.addMetric("EventsPublished", "Count", result.published);
  if (result.retried) metrics.addMetric("PublishEntriesRetried", "Count", result.retried);
  if (result.batchItemFailures.length > 0) {
    metrics.addMetric("PublishFailures", "Count", 1);
    logger.warn("Some events were not published; the batch resumes from the first failure", {
      records: event.Records.length,
      published: result.published,
    });
  }
  return { batchItemFailures: result.batchItemFailures };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics));
