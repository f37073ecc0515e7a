/**
 * Secrets Manager errors as they travel on the wire (AWS JSON 1.1): status 400 and
 * `{"__type": "<Code>", "Message": "..."}`; the SDK turns `__type` into the error class of that name.
 */
export type SecretsManagerErrorCode =
  | "ResourceNotFoundException"
  | "ResourceExistsException"
  | "InvalidParameterException"
  | "InvalidRequestException"
  | "LimitExceededException"
  | "InternalServiceError"
  | "SerializationException"
  | "UnknownOperationException";

export class SecretsManagerError extends Error {
  constructor(
    readonly code: SecretsManagerErrorCode,
    message: string,
    readonly status = code === "InternalServiceError" ? 500 : 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const secretNotFound = () =>
  new SecretsManagerError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
