/**
 * Errors the local EventBridge raises, named as EventBridge names them on the wire (`__type` of an AWS JSON
 * 1.1 error). InvalidEventPatternError (pattern/errors.ts) is the one for patterns.
 */
export type EventBridgeErrorCode =
  | "ValidationException"
  | "ResourceNotFoundException"
  | "ResourceAlreadyExistsException"
  | "LimitExceededException"
  | "IllegalStatusException"
  | "InternalException"
  | "SerializationException"
  | "ThrottlingException"
  | "UnknownOperationException";

export class EventBridgeError extends Error {
  override readonly name = "EventBridgeError";

  constructor(
    readonly code: EventBridgeErrorCode,
    message: string,
    /** HTTP status on the wire. */
    readonly status = code === "InternalException" ? 500 : 400,
  ) {
    super(message);
  }
}

export function validationError(message: string): EventBridgeError {
  return new EventBridgeError("ValidationException", message);
}

export function notFound(message: string): EventBridgeError {
  return new EventBridgeError("ResourceNotFoundException", message);
}

/**
 * EventBridge's wording for a request member that breaks a model constraint, e.g.
 * "1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must ...".
 */
export function constraintViolation(value: string, at: string, constraint: string): EventBridgeError {
  return validationError(
    `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: Member must ${constraint}`,
  );
}
