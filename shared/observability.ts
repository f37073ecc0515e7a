import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";

/**
 * One logger, metrics and tracer per function, created once at module scope.
 * Never log a submission, a consumer field, a token or a platform answer body: ids, statuses and counts only.
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? "complaint-hub";

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "ComplaintHub",
  serviceName,
});
export const tracer = new Tracer({ serviceName });
