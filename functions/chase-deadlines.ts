import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import { documentClient } from "../shared/aws/dynamodb";
import { chaseDeadlines } from "../shared/chase/chase-deadlines";
import { scheduledTime } from "../shared/chase/scheduled-time";
import { requireEnv } from "../shared/env";
import { logger, metrics, tracer } from "../shared/observability";
import { ComplaintStore } from "../shared/store/complaint-store";

const store = new ComplaintStore(documentClient, requireEnv("TABLE_NAME"));

/** Every few minutes (EventBridge schedule): complaints past their running deadline move one step along the chase. */
export const handler = middy(async (event: ScheduledEvent, context: Context) => {
  const now = scheduledTime(event);
  const result = await chaseDeadlines(
    {
      store,
      remainingMs: () => context.getRemainingTimeInMillis(),
      onFailure: (complaintId, error) =>
        logger.error("A due complaint could not be moved; the next run tries again", {
          complaintId,
          error: error instanceof Error ? error.name : "unknown",
        }),
    },
    now,
  );
  metrics.addMetric("DeadlinesDue", "Count", result.due);
  for (const [status, count] of Object.entries(result.moved)) {
    metrics.addMetric(`MovedTo${status}`, "Count", count);
  }
  metrics.addMetric("ChaseFailures", "Count", result.failed);
  logger.info("Deadline chase run", { at: now.toISOString(), ...result });
  // A failed move is retried by the next run; failing the invocation makes it visible on the error alarm.
  if (result.failed > 0) throw new Error(`${result.failed} due complaint(s) could not be moved`);
  return result;
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(logMetrics(metrics));
