import type { ErrorCode } from './codes.js';

/**
 * Base class of every error Accord raises on purpose: a stable `code` for machines, a message for
 * people, and a public message: what may leave a site when the error is reported to the coordinator.
 * The full message can name local files and values, so it stays in the site's own log; the public
 * message names no path, value or row content (by default it is only the code).
 */
export class AccordError extends Error {
  readonly publicMessage: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    publicMessage?: string,
  ) {
    super(message);
    this.name = new.target.name;
    this.publicMessage = publicMessage ?? `${code} (details are in the site's own log)`;
  }
}
