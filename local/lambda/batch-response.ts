/**
 * Reads a partial batch response as Lambda does for SQS and stream event sources
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 * null, an empty object or an empty batchItemFailures list means every item succeeded; each listed
 * itemIdentifier failed; anything malformed (not an object, a non-list, an entry without a known non-empty
 * itemIdentifier) makes the whole batch a failure.
 */
export function interpretBatchResponse(
  payload: unknown,
  itemIds: readonly string[],
): Set<string> | "invalid" {
  if (payload === null || payload === undefined) return new Set();
  if (typeof payload !== "object" || Array.isArray(payload)) return "invalid";
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return "invalid";
  const known = new Set(itemIds);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "" || !known.has(id)) return "invalid";
    failed.add(id);
  }
  return failed;
}
