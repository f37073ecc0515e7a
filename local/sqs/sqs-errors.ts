/**
 * SQS errors as the engine raises them and as they travel on the wire.
 *
 * SQS speaks the AWS JSON 1.0 protocol in "query compatible" mode: the SDK takes the error
 * name from the `x-amzn-query-error` header ("<code>;<Sender|Receiver>") first, then from
 * `__type`. Codes and HTTP statuses below follow the error shapes in @aws-sdk/client-sqs
 * (`awsQueryError` traits); errors SQS does not model (InvalidParameterValue,
 * MissingParameter, ...) surface in the SDK as SQSServiceException with that name.
 */

/** The error name a caller sees (`err.name` in the SDK). */
export type SqsErrorName =
  | "QueueDoesNotExist"
  | "QueueNameExists"
  | "InvalidParameterValue"
  | "InvalidAttributeName"
  | "InvalidAttributeValue"
  | "MissingParameter"
  | "ReceiptHandleIsInvalid"
  | "MessageNotInflight"
  | "InvalidMessageContents"
  | "TooManyEntriesInBatchRequest"
  | "EmptyBatchRequest"
  | "BatchEntryIdsNotDistinct"
  | "BatchRequestTooLong"
  | "InvalidBatchEntryId"
  | "UnsupportedOperation"
  | "ResourceNotFoundException"
  | "SerializationException"
  | "UnknownOperationException"
  | "InternalError";

export interface SqsWireError {
  /** Value of `__type` in the JSON body. */
  type: string;
  /** Query-protocol code: first half of `x-amzn-query-error`, and `Code` of failed batch entries. */
  queryCode?: string;
  status: number;
  senderFault: boolean;
}

const sqs = (shape: string) => `com.amazonaws.sqs#${shape}`;

const WIRE_ERRORS: Record<SqsErrorName, SqsWireError> = {
  QueueDoesNotExist: {
    type: sqs("QueueDoesNotExist"),
    queryCode: "AWS.SimpleQueueService.NonExistentQueue",
    status: 400,
    senderFault: true,
  },
  QueueNameExists: {
    type: sqs("QueueNameExists"),
    queryCode: "QueueAlreadyExists",
    status: 400,
    senderFault: true,
  },
  InvalidParameterValue: {
    type: sqs("InvalidParameterValueException"),
    queryCode: "InvalidParameterValue",
    status: 400,
    senderFault: true,
  },
  InvalidAttributeName: {
    type: sqs("InvalidAttributeName"),
    queryCode: "InvalidAttributeName",
    status: 400,
    senderFault: true,
  },
  InvalidAttributeValue: {
    type: sqs("InvalidAttributeValue"),
    queryCode: "InvalidAttributeValue",
    status: 400,
    senderFault: true,
  },
  MissingParameter: {
    type: sqs("MissingRequiredParameterException"),
    queryCode: "MissingParameter",
    status: 400,
    senderFault: true,
  },
  ReceiptHandleIsInvalid: {
    type: sqs("ReceiptHandleIsInvalid"),
    queryCode: "ReceiptHandleIsInvalid",
    status: 404,
    senderFault: true,
  },
  MessageNotInflight: {
    type: sqs("MessageNotInflight"),
    queryCode: "AWS.SimpleQueueService.MessageNotInflight",
    status: 400,
    senderFault: true,
  },
  InvalidMessageContents: {
    type: sqs("InvalidMessageContents"),
    queryCode: "InvalidMessageContents",
    status: 400,
    senderFault: true,
  },
  TooManyEntriesInBatchRequest: {
    type: sqs("TooManyEntriesInBatchRequest"),
    queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    status: 400,
    senderFault: true,
  },
  EmptyBatchRequest: {
    type: sqs("EmptyBatchRequest"),
    queryCode: "AWS.SimpleQueueService.EmptyBatchRequest",
    status: 400,
    senderFault: true,
  },
  BatchEntryIdsNotDistinct: {
    type: sqs("BatchEntryIdsNotDistinct"),
    queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    status: 400,
    senderFault: true,
  },
  BatchRequestTooLong: {
    type: sqs("BatchRequestTooLong"),
    queryCode: "AWS.SimpleQueueService.BatchRequestTooLong",
    status: 400,
    senderFault: true,
  },
  InvalidBatchEntryId: {
    type: sqs("InvalidBatchEntryId"),
    queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId",
    status: 400,
    senderFault: true,
  },
  UnsupportedOperation: {
    type: sqs("UnsupportedOperation"),
    queryCode: "AWS.SimpleQueueService.UnsupportedOperation",
    status: 400,
    senderFault: true,
  },
  ResourceNotFoundException: {
    type: sqs("ResourceNotFoundException"),
    queryCode: "ResourceNotFoundException",
    status: 404,
    senderFault: true,
  },
  // Protocol-level errors come from the AWS front end, not from SQS itself.
  SerializationException: {
    type: "com.amazon.coral.service#SerializationException",
    status: 400,
    senderFault: true,
  },
  UnknownOperationException: {
    type: "com.amazon.coral.service#UnknownOperationException",
    status: 400,
    senderFault: true,
  },
  InternalError: { type: sqs("InternalError"), queryCode: "InternalError", status: 500, senderFault: false },
};

export class SqsError extends Error {
  override readonly name = "SqsError";

  constructor(
    readonly code: SqsErrorName,
    message: string,
  ) {
    super(message);
  }

  get wire(): SqsWireError {
    return WIRE_ERRORS[this.code];
  }
}

export function isSqsError(error: unknown): error is SqsError {
  return error instanceof SqsError;
}

/** "Value X for parameter Y is invalid. Reason: Z." — the wording SQS uses for bad parameters. */
export function invalidParameter(parameter: string, value: unknown, reason: string): SqsError {
  return new SqsError(
    "InvalidParameterValue",
    `Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`,
  );
}

export function missingParameter(parameter: string): SqsError {
  return new SqsError("MissingParameter", `The request must contain the parameter ${parameter}.`);
}

export function queueDoesNotExist(): SqsError {
  return new SqsError("QueueDoesNotExist", "The specified queue does not exist.");
}
