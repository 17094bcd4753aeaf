import type { ErrorCode } from './codes';

/** Base class of every error Accord raises on purpose: a stable `code` for machines, a message for people. */
export class AccordError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
