// Every error code Accord uses, in one list: codes are a contract with scripts, logs and the other
// side of the wire, so each one is declared here once, under the error class that carries it.

export const ERROR_CODES = {
  /** ConfigError: an experiment config, a CLI flag, a tokens or pool file is invalid. */
  config: ['CONFIG_INVALID', 'STORED_RECORD_INVALID', 'UNKNOWN_EXPERIMENT'],
  /** DataError: a site's local data cannot be read with the experiment's schema. */
  data: [
    'DATA_INVALID',
    'MISSING_FILE',
    'MISSING_COLUMN',
    'MISSING_LABEL_COLUMN',
    'MISSING_STATS',
    'BAD_IDX',
    'WRONG_FORMAT',
  ],
  /**
   * AuthError: a site that is not known, or a wrong token; SITE_IN_USE: another worker process holds the
   * site's live session.
   */
  auth: ['UNAUTHENTICATED', 'UNKNOWN_SITE', 'BAD_TOKEN', 'REFUSED', 'SITE_IN_USE'],
  /** DependencyError: a program or package Accord needs is missing or unreachable. */
  dependency: [
    'DEPENDENCY_MISSING',
    'REDIS_UNREACHABLE',
    'PROCESS_EXITED',
    'TIMEOUT',
    'EXPERIMENT_FAILED',
    'EXPERIMENT_CANCELLED',
  ],
  /** ProtocolError: a message that breaks the wire contract or the secure-aggregation protocol. */
  protocol: [
    'PROTOCOL_VIOLATION',
    'BAD_HELLO',
    'EXPECTED_HELLO',
    'HELLO_TIMEOUT',
    'DUPLICATE_HELLO',
    'EMPTY_MESSAGE',
    'UNEXPECTED_MESSAGE',
    'UNKNOWN_TASK',
    'BAD_TASK_SPEC',
    'BAD_REQUEST',
    'BAD_METRICS',
    'DUPLICATE_METRICS',
    'NON_FINITE',
    'WRONG_ROUND',
    'WRONG_LENGTH',
    'WRONG_SHAPE',
    'TOO_LARGE',
    'CHUNK_TOO_LARGE',
    'BAD_APP',
    'UNKNOWN_APP',
    'CHUNK_OUT_OF_SEQUENCE',
    'CHUNK_AFTER_LAST',
    'UNEXPECTED_UPDATE',
    'UPDATE_BEFORE_METRICS',
    'DUPLICATE_UPLOAD',
    'DUPLICATE_ANSWER',
    'WRONG_STAGE',
    'NO_UPDATE',
    'BAD_KEYS',
    'BAD_SHARE',
    'FORGED_SENDER',
    'DUPLICATE_PEER',
    'DUPLICATE_SHARE',
    'MISADDRESSED_SHARE',
    'NOT_A_PARTICIPANT',
    'NOT_A_NEIGHBOUR',
    'SHARE_AUTH_FAILED',
    'KEY_MISMATCH',
    'BOTH_SHARES_REQUESTED',
    'TOO_FEW_NEIGHBOURS',
    'TOO_FEW_SHARES',
    'TOO_FEW_SURVIVORS',
    'BAD_RECONSTRUCTION',
    'CONSISTENCY_FAILED',
  ],
  /**
   * TrustError: a site refused a request it cannot verify or did not agree to: an unapproved or
   * changed manifest, a peer key not signed by its pinned roster, a request outside the approved terms.
   */
  trust: [
    'NO_IDENTITY',
    'BAD_IDENTITY',
    'BAD_ROSTER',
    'ROSTER_MISMATCH',
    'UNKNOWN_PEER',
    'BAD_PEER_SIGNATURE',
    'BAD_MANIFEST',
    'NOT_APPROVED',
    'MANIFEST_CHANGED',
    'OUTSIDE_MANIFEST',
    'BAD_APPROVAL',
    'AUDIT_BROKEN',
    'UNTIED_MODEL',
  ],
  /**
   * PolicyError: a site refused a task that breaks its own policy (POLICY_REFUSED), or that its budget
   * per data set no longer covers (BUDGET_SPENT: statistics, evaluations, record-level epsilon), or
   * metrics from too few test rows (TEST_TOO_SMALL: that site is left out of the evaluation).
   */
  policy: ['POLICY_REFUSED', 'BUDGET_SPENT', 'TEST_TOO_SMALL'],
  /** TaskError: a task failed (deadline, disconnect, a worker-side error). */
  task: [
    'TASK_FAILED',
    'DECLARATION_CHANGED',
    'DEADLINE',
    'DISCONNECTED',
    'DUPLICATE_TASK',
    'NOT_RUNNING',
    'SPOOL_FAILED',
    'WORKER_ERROR',
  ],
  /**
   * SandboxError: an app (code the site did not write) run in the site's sandbox failed: it threw
   * (SANDBOX_APP_ERROR), touched what it may not (SANDBOX_DENIED), ran past its time (SANDBOX_TIMEOUT) or
   * memory (SANDBOX_MEMORY), died otherwise (SANDBOX_CRASHED), wrote too much (SANDBOX_OUTPUT_LIMIT) or
   * no well-formed result (SANDBOX_BAD_RESULT); or the sandbox cannot be had here (SANDBOX_UNAVAILABLE).
   */
  sandbox: [
    'SANDBOX_APP_ERROR',
    'SANDBOX_DENIED',
    'SANDBOX_TIMEOUT',
    'SANDBOX_MEMORY',
    'SANDBOX_CRASHED',
    'SANDBOX_OUTPUT_LIMIT',
    'SANDBOX_BAD_RESULT',
    'SANDBOX_UNAVAILABLE',
  ],
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES][number];
export type CodeOf<K extends keyof typeof ERROR_CODES> = (typeof ERROR_CODES)[K][number];

const ALL: ReadonlySet<string> = new Set(Object.values(ERROR_CODES).flat());

/** Whether `code` (e.g. one a site reported over the wire) is one of Accord's codes. */
export function isErrorCode(code: string): code is ErrorCode {
  return ALL.has(code);
}
