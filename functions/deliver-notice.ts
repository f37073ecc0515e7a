import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy from "@middy/core";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { secretString } from "../shared/aws/secrets";
import { sqs } from "../shared/aws/sqs";
import { deliverNotice, RetryLaterError } from "../shared/delivery/deliver-notice";
import { deliveryConfigFromEnv } from "../shared/delivery/delivery-config";
import { postNotice } from "../shared/delivery/post-notice";
import { queueActions } from "../shared/delivery/queue-actions";
import { parseWebhookSecrets } from "../shared/delivery/signing";
import { logger, metrics, tracer } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const config = deliveryConfigFromEnv();
const store = new ComplaintStore(documentClient, config.tableName);
const processor = new BatchProcessor(EventType.SQS);

const dependencies = {
  store,
  secrets: async () => parseWebhookSecrets(await secretString(config.secretId)),
  post: postNotice,
  now: () => new Date(),
};

async function deliverRecord(record: SQSRecord): Promise<void> {
  try {
    const outcome = await deliverNotice(
      { ...dependencies, ...queueActions(sqs, config, record) },
      config,
      record,
    );
    metrics.addMetric(`Delivery_${outcome}`, "Count", 1);
    logger.info("Delivery settled", { messageId: record.messageId, outcome });
  } catch (error) {
    if (error instanceof RetryLaterError) {
      metrics.addMetric("Delivery_retry", "Count", 1);
      logger.info("Delivery will be retried", {
        messageId: record.messageId,
        delaySeconds: error.delaySeconds,
      });
    } else {
      metrics.addMetric("DeliveryErrors", "Count", 1);
      logger.error("Delivery failed", { messageId: record.messageId, errorName: (error as Error).name });
    }
    throw error;
  }
}

/** SQS (one platform's queue or urgent queue) → the platform's after-sale API, with partial batch responses. */
export const handler = middy(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, deliverRecord, processor, { context, throwOnFullBatchFailure: false }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics, { throwOnEmptyMetrics: false }));
