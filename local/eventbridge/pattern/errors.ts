/** EventBridge puts this in front of every reason it gives for rejecting a pattern. */
export const INVALID_PATTERN_PREFIX = "Event pattern is not valid. Reason: ";

/** The pattern itself is invalid: what EventBridge answers with InvalidEventPatternException. */
export class InvalidEventPatternError extends Error {
  readonly code = "InvalidEventPatternException";
  /** The reason alone, without EventBridge's prefix. */
  readonly reason: string;

  constructor(reason: string) {
    super(INVALID_PATTERN_PREFIX + reason);
    this.name = "InvalidEventPatternError";
    this.reason = reason;
  }
}

export function rejectPattern(reason: string): never {
  throw new InvalidEventPatternError(reason);
}
