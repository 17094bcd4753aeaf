import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/** What the site's own log may keep about a failed sandboxed run (never sent: it can hold app output). */
export interface SandboxDetails {
  /** The permission the app was denied (FileSystemRead, FileSystemWrite, ChildProcess, WorkerThreads). */
  permission?: string;
  /** The child's exit code, or the signal that ended it. */
  exitCode?: number | null;
  signal?: string | null;
  /** The app's error as the sandbox passed it on: name, bounded message, stack frames inside the app. */
  appError?: { name: string; message: string; code?: string; stack?: string };
  /** The end of what the app wrote to stdout and stderr, bounded. */
  logTail?: string;
}

/**
 * An app run in the site's sandbox failed, or the sandbox is not available. The message is for the
 * site's log: it can carry what the app chose to say (its error message), so the public message is the
 * code alone, as for every error that may hold local content: an app must not use its errors to send
 * data past the caller's checks.
 */
export class SandboxError extends AccordError {
  static readonly CODE: CodeOf<'sandbox'> = 'SANDBOX_CRASHED';
  constructor(
    message: string,
    code: CodeOf<'sandbox'> = SandboxError.CODE,
    readonly details: SandboxDetails = {},
  ) {
    super(code, message);
  }
}
