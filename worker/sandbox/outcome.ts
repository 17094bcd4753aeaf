// What a finished child's run comes to: its output, or one SandboxError whose code says what happened.
// Everything from the child is untrusted; the order of the checks is what makes a code mean one thing:
// what the parent itself stopped (time, memory, output) first, then the result frame, then how the
// process ended. Pure.
import { SandboxError } from '../../shared/errors/index.js';
import { type AppError, appError, bounded } from './app-error.js';
import { BOOTSTRAP_CODES } from './bootstrap.js';
import { SETUP_FAILED } from './namespace.js';

/** Why the parent killed the child, if it did. */
export type KillReason = 'timeout' | 'memory' | 'result-limit' | 'log-limit';

export interface RunFacts {
  killed?: KillReason;
  exitCode: number | null;
  signal: string | null;
  /** All the child wrote on its result channel (fd 3), at most the bound. */
  result: string;
  /** The end of its stdout and stderr together, and of stderr alone. */
  logTail: string;
  stderrTail: string;
  appDir: string;
  limits: { timeoutMs: number; heapMB: number; rssMB: number; maxResultBytes: number; maxLogBytes: number };
}

export type Outcome = { ok: true; output: unknown } | { ok: false; error: SandboxError };

/** Permissions node's model names; anything else an app claims is reported as 'unknown'. */
const PERMISSIONS = new Set(['FileSystemRead', 'FileSystemWrite', 'ChildProcess', 'WorkerThreads', 'process.binding']);

const HEAP_OOM = /JavaScript heap out of memory|FATAL ERROR: .*Allocation failed/;

type Frame = { ok: true; output: unknown } | { ok: false; error: unknown };

/** The one line the bootstrap writes, or undefined when the channel holds anything else. */
export function parseFrame(result: string): Frame | undefined {
  const nl = result.indexOf('\n');
  if (nl < 0 || nl !== result.length - 1) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(result);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const f = v as Record<string, unknown>;
  if (f['ok'] === true) return { ok: true, output: f['output'] ?? null };
  if (f['ok'] === false) return { ok: false, error: f['error'] };
  return undefined;
}

function fail(code: ConstructorParameters<typeof SandboxError>[1], message: string, facts: RunFacts, extra = {}) {
  const details = {
    exitCode: facts.exitCode,
    signal: facts.signal,
    ...(facts.logTail ? { logTail: facts.logTail } : {}),
    ...extra,
  };
  return { ok: false as const, error: new SandboxError(message, code, details) };
}

function fromAppError(e: AppError, raw: unknown, facts: RunFacts): Outcome {
  const r = (raw ?? {}) as Record<string, unknown>;
  const appErr = { appError: e };
  if (e.code === 'ERR_ACCESS_DENIED') {
    const claimed = typeof r['permission'] === 'string' ? r['permission'] : '';
    const permission = PERMISSIONS.has(claimed) ? claimed : 'unknown';
    const resource = typeof r['resource'] === 'string' && r['resource'] ? ` (${bounded(r['resource'], 300)})` : '';
    return fail('SANDBOX_DENIED', `the app was denied ${permission}${resource}`, facts, { ...appErr, permission });
  }
  if (e.code === BOOTSTRAP_CODES.badOutput) return fail('SANDBOX_BAD_RESULT', e.message, facts, appErr);
  if (e.name === 'RangeError' && /allocation failed|out of memory/i.test(e.message))
    return fail('SANDBOX_MEMORY', `the app ran out of memory: ${e.message}`, facts, appErr);
  const code = e.code ? ` [${e.code}]` : '';
  return fail('SANDBOX_APP_ERROR', `the app failed: ${e.name}${code}: ${e.message}`, facts, appErr);
}

/** The outcome of one run from what the parent saw. */
export function outcome(facts: RunFacts): Outcome {
  const l = facts.limits;
  switch (facts.killed) {
    case 'timeout':
      return fail('SANDBOX_TIMEOUT', `the app ran past its time limit (${l.timeoutMs} ms) and was killed`, facts);
    case 'memory':
      return fail('SANDBOX_MEMORY', `the app's process grew past ${l.rssMB} MB resident and was killed`, facts);
    case 'result-limit':
      return fail('SANDBOX_OUTPUT_LIMIT', `the app's result passed ${l.maxResultBytes} bytes; killed`, facts);
    case 'log-limit':
      return fail('SANDBOX_OUTPUT_LIMIT', `the app wrote more than ${l.maxLogBytes} bytes of output; killed`, facts);
  }
  const frame = parseFrame(facts.result);
  if (frame && !frame.ok) return fromAppError(appError(frame.error, facts.appDir), frame.error, facts);
  if (frame?.ok && facts.exitCode === 0) return { ok: true, output: frame.output };
  const ended = facts.signal ? `signal ${facts.signal}` : `exit code ${facts.exitCode}`;
  if (HEAP_OOM.test(facts.stderrTail))
    return fail('SANDBOX_MEMORY', `the app ran out of heap (${l.heapMB} MB) and was ended (${ended})`, facts);
  if (facts.stderrTail.includes(SETUP_FAILED))
    return fail('SANDBOX_UNAVAILABLE', `the sandbox could not be set up (${ended}): ${facts.stderrTail}`, facts);
  if (frame?.ok) return fail('SANDBOX_CRASHED', `the app's process ended with ${ended} after its result`, facts);
  if (facts.result)
    return fail('SANDBOX_BAD_RESULT', 'the app left no well-formed result (the result channel held other data)', facts);
  if (facts.exitCode === 0) return fail('SANDBOX_BAD_RESULT', 'the app ended (exit code 0) without a result', facts);
  const hint = facts.signal === 'SIGKILL' ? ' (killed from outside: perhaps the system ran out of memory)' : '';
  return fail('SANDBOX_CRASHED', `the app's process ended with ${ended} without a result${hint}`, facts);
}
