import {
  DynamoDBClient,
  TransactionCanceledException,
  TransactionConflictException,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ComplaintStore, VersionConflictError } from "../../shared/store/complaint-store";
import { complaintRecord } from "../helpers/fixtures";

/** DynamoDB reports a write racing a transaction in two shapes; both are a concurrent change to the caller. */
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const mock = mockClient(documentClient);
const store = new ComplaintStore(documentClient, "complaints");

beforeEach(() => mock.reset());

describe("writes that race a transaction", () => {
  const complaint = () => complaintRecord({ complaintId: "CH0000000000000000000Q" });
  const step = { to: "WITHDRAWN" as const, actor: "consumer" as const, at: new Date("2026-11-28T08:00:00Z") };

  it("a conditional update refused with TransactionConflict is a VersionConflictError", async () => {
    mock.on(UpdateCommand).rejects(new TransactionConflictException({ message: "conflict", $metadata: {} }));
    await expect(store.transition(complaint(), step)).rejects.toBeInstanceOf(VersionConflictError);
  });

  it("a transaction cancelled for TransactionConflict is a VersionConflictError", async () => {
    mock.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: "cancelled",
        $metadata: {},
        CancellationReasons: [{ Code: "TransactionConflict" }, { Code: "None" }],
      }),
    );
    await expect(
      store.applySteps(complaint(), [step], {}, [{ pk: "C#x", sk: "MSG#1" }]),
    ).rejects.toBeInstanceOf(VersionConflictError);
  });

  it("other cancellations are not mistaken for a race", async () => {
    mock.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: "cancelled",
        $metadata: {},
        CancellationReasons: [{ Code: "ValidationError" }, { Code: "None" }],
      }),
    );
    await expect(
      store.applySteps(complaint(), [step], {}, [{ pk: "C#x", sk: "MSG#1" }]),
    ).rejects.toBeInstanceOf(TransactionCanceledException);
  });
});
