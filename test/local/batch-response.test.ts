/**
 * How Lambda reads a partial batch response (ReportBatchItemFailures), for SQS and stream event sources:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import { describe, expect, it } from "vitest";
import { interpretBatchResponse } from "../../local/lambda/batch-response";

const IDS = ["a", "b", "c"] as const;

describe("interpretBatchResponse", () => {
  it.each<[string, unknown, string[]]>([
    ["a null response", null, []],
    ["an undefined response (handler returned nothing)", undefined, []],
    ["an empty object", {}, []],
    ["an empty batchItemFailures list", { batchItemFailures: [] }, []],
    ["a null batchItemFailures list", { batchItemFailures: null }, []],
    ["an object without batchItemFailures", { statusCode: 200 }, []],
    ["one listed id", { batchItemFailures: [{ itemIdentifier: "b" }] }, ["b"]],
    [
      "several ids, one listed twice",
      { batchItemFailures: [{ itemIdentifier: "c" }, { itemIdentifier: "a" }, { itemIdentifier: "c" }] },
      ["a", "c"],
    ],
    ["every id", { batchItemFailures: IDS.map((itemIdentifier) => ({ itemIdentifier })) }, ["a", "b", "c"]],
    ["an entry with extra keys", { batchItemFailures: [{ itemIdentifier: "a", reason: "x" }] }, ["a"]],
  ])("%s fails exactly the listed items", (_label, payload, failed) => {
    const result = interpretBatchResponse(payload, IDS);
    expect(result).not.toBe("invalid");
    expect([...(result as Set<string>)].sort()).toEqual(failed);
  });

  it.each<[string, unknown]>([
    ["an unknown id", { batchItemFailures: [{ itemIdentifier: "zzz" }] }],
    ["an empty id", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null id", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a numeric id", { batchItemFailures: [{ itemIdentifier: 1 }] }],
    ["a misspelt key", { batchItemFailures: [{ itemIdentifer: "a" }] }],
    ["an entry without an id", { batchItemFailures: [{}] }],
    ["a null entry", { batchItemFailures: [null] }],
    ["a string entry", { batchItemFailures: ["a"] }],
    [
      "a valid entry next to an invalid one",
      { batchItemFailures: [{ itemIdentifier: "a" }, { itemIdentifier: "" }] },
    ],
    ["a string instead of the list", { batchItemFailures: "a" }],
    ["an object instead of the list", { batchItemFailures: { itemIdentifier: "a" } }],
    ["a string response", "batchItemFailures"],
    ["an empty string response", ""],
    ["a number response", 42],
    ["a boolean response", true],
    ["an array response", [{ itemIdentifier: "a" }]],
  ])("%s makes the whole batch a failure", (_label, payload) => {
    expect(interpretBatchResponse(payload, IDS)).toBe("invalid");
  });

  it("only knows the ids of the batch it is given", () => {
    const payload = { batchItemFailures: [{ itemIdentifier: "a" }] };
    expect(interpretBatchResponse(payload, ["b"])).toBe("invalid");
    expect(interpretBatchResponse({ batchItemFailures: [] }, [])).toEqual(new Set());
  });
});
