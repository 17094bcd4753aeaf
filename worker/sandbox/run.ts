// runSandboxed: one app call in a child process, under node's permission model and, where the machine
// allows, inside namespaces (what holds against whom: index.ts). The parent owns every bound: it kills
// the child past its time, its resident memory or its output allowance, and reads its result as
// untrusted data.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, SandboxError } from '../../shared/errors/index.js';
import { Collector, Tail } from './capture.js';
import { type Isolation, type IsolationKind, networkIsolation } from './isolation.js';
import { refuseLinksOut } from './links.js';
import { watchMemory } from './memory-watch.js';
import { namespaceArgv } from './namespace.js';
import { nodeArgs } from './node-args.js';
import { exportNameOf, type Limits, limitsOf, type SandboxOptions } from './options.js';
import { type KillReason, outcome, type RunFacts } from './outcome.js';
import { checkPaths, DEVICE_PATHS, outermost, type SandboxPaths, systemPaths } from './paths.js';

export interface SandboxResult {
  /** What the app's export returned, parsed from JSON: untrusted, for the caller to check. */
  output: unknown;
  /** The end of what the app wrote to stdout and stderr, for the site's log. */
  logs: string;
  isolation: IsolationKind;
  durationMs: number;
}

/** How much of the logs is kept for the site's log and for telling a crash's cause. */
const LOG_TAIL_BYTES = 16 * 1024;

/** The isolation this run gets, or SANDBOX_UNAVAILABLE when the caller requires more than there is. */
function isolationFor(o: SandboxOptions): Isolation {
  const required = o.requireNetworkIsolation ?? true;
  if (o.isolation === 'none') {
    if (required) throw new ConfigError("sandbox: isolation 'none' needs requireNetworkIsolation: false");
    return { kind: 'none', reason: 'asked for by the caller' };
  }
  const iso = networkIsolation();
  if (iso.kind === 'none' && required) {
    throw new SandboxError(
      `apps are run only with network isolation, which this machine cannot give: ${iso.reason}. ` +
        'Allow unprivileged user namespaces, or set requireNetworkIsolation to false to run apps with ' +
        'open sockets.',
      'SANDBOX_UNAVAILABLE',
    );
  }
  return iso;
}

/** Starts argv, feeds it `input`, and collects what the parent needs to judge the run. */
function runChild(argv: readonly string[], input: string, paths: SandboxPaths, limits: Limits): Promise<RunFacts> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: paths.scratchDir,
      env: {},
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let killed: KillReason | undefined;
    const kill = (why: KillReason) => {
      if (killed) return;
      killed = why;
      child.kill('SIGKILL');
    };
    const result = new Collector(limits.maxResultBytes, () => kill('result-limit'));
    const budget = { left: limits.maxLogBytes, over: () => kill('log-limit') };
    const logs = new Tail(LOG_TAIL_BYTES, budget);
    const stderr = new Tail(LOG_TAIL_BYTES, { left: Number.POSITIVE_INFINITY, over: () => {} });
    child.stdio[3]?.on('data', (c: Buffer) => result.push(c));
    child.stdout?.on('data', (c: Buffer) => logs.push(c));
    child.stderr?.on('data', (c: Buffer) => {
      logs.push(c);
      stderr.push(c);
    });
    const timer = setTimeout(() => kill('timeout'), limits.timeoutMs);
    const stopWatch =
      child.pid !== undefined && process.platform === 'linux'
        ? watchMemory(child.pid, limits.rssMB, () => kill('memory'))
        : () => {};
    child.stdin?.on('error', () => {}); // the child may end before it reads its input
    child.stdin?.end(input);
    child.once('error', (err) => {
      clearTimeout(timer);
      stopWatch();
      reject(new SandboxError(`the sandbox could not start ${argv[0]}: ${err.message}`, 'SANDBOX_UNAVAILABLE'));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      stopWatch();
      resolve({
        ...(killed ? { killed } : {}),
        exitCode,
        signal,
        result: result.text(),
        logTail: logs.text(),
        stderrTail: stderr.text(),
        appDir: paths.appDir,
        limits,
      });
    });
  });
}

/**
 * Runs the app's `exportName` export (from `entry` in `appDir`) on `input` in a sandboxed child and
 * returns its output, or throws a SandboxError whose code says what went wrong (SANDBOX_APP_ERROR,
 * _DENIED, _TIMEOUT, _MEMORY, _CRASHED, _OUTPUT_LIMIT, _BAD_RESULT, _UNAVAILABLE); a ConfigError for
 * options that cannot be honoured. Each run is its own process: a failed run leaves nothing behind but
 * what the app wrote to its scratch folder.
 */
export async function runSandboxed(opts: SandboxOptions): Promise<SandboxResult> {
  const started = performance.now();
  const limits = limitsOf(opts);
  const exportName = exportNameOf(opts);
  const paths = checkPaths({
    appDir: opts.appDir,
    entry: opts.entry,
    ...(opts.readPaths ? { reads: opts.readPaths } : {}),
    scratchDir: opts.scratchDir,
    host: opts.host,
  });
  refuseLinksOut(paths.appDir, [paths.appDir, ...paths.reads, paths.scratchDir]);
  let input: string | undefined;
  try {
    input = JSON.stringify(opts.input ?? null);
  } catch (e) {
    throw new ConfigError(`sandbox: the input is not JSON-serialisable: ${(e as Error).message}`);
  }
  const iso = isolationFor(opts);
  const node = [process.execPath, ...nodeArgs(paths, exportName, limits.heapMB)];
  let mountPoint: string | undefined;
  let argv = node;
  if (iso.kind === 'namespace' && iso.tools) {
    mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-sandbox-'));
    const plan = {
      mountPoint,
      readOnly: outermost([
        ...systemPaths(process.execPath),
        paths.appDir,
        ...paths.reads,
        ...(paths.host ? [paths.host] : []),
      ]),
      readWrite: [...DEVICE_PATHS.filter((d) => fs.existsSync(d)), paths.scratchDir],
      cwd: paths.scratchDir,
    };
    argv = namespaceArgv(iso.tools, plan, node);
  }
  let facts: RunFacts;
  try {
    facts = await runChild(argv, input, paths, limits);
  } finally {
    // Never recursive: the mounts live in the child's namespace only, this is an empty folder here.
    if (mountPoint) fs.rmdirSync(mountPoint);
  }
  const o = outcome(facts);
  if (!o.ok) throw o.error;
  return { output: o.output, logs: facts.logTail, isolation: iso.kind, durationMs: performance.now() - started };
}
