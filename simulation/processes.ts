// Child processes of a simulation: each coordinator and worker is a real `accord` process.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AccordError } from '../shared/errors/index.js';

/**
 * Node's arguments that start the `accord` command this code belongs to: the compiled dist/bin/accord.js
 * in a package, or bin/accord.ts through tsx's loader when running from the sources (tests, a clone
 * under development), so a child runs the same code as its parent.
 */
export const ACCORD_ARGV: readonly string[] = import.meta.url.endsWith('.ts')
  ? [
      '--import',
      pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
      fileURLToPath(new URL('../bin/accord.ts', import.meta.url)),
    ]
  : [fileURLToPath(new URL('../bin/accord.js', import.meta.url))];

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `accord <args>` with stdout and stderr appended to logDir/name.log; `accordArgv` picks the
 * entry point (benchmarks name dist/ to measure what users run).
 */
export function spawnAccord(
  name: string,
  args: string[],
  logDir: string,
  env: NodeJS.ProcessEnv = {},
  cwd: string = process.cwd(),
  accordArgv: readonly string[] = ACCORD_ARGV,
): Child {
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...accordArgv, ...args], {
    cwd,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  fs.closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    process: child,
    logFile,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** How often a supervised process is started again before the run gives up. */
const MAX_RESTARTS = 5;

/** The processes of one run: one log directory, checked and stopped together. */
export class ProcessGroup {
  readonly children: Child[] = [];
  private stopping = false;

  /** `onRestart` hears of each supervised process that died and was started again. */
  constructor(
    readonly logDir: string,
    private readonly onRestart: (line: string) => void = () => undefined,
  ) {}

  /**
   * Starts `accord <args>`. A `supervised` process that dies (a crash, a kill -9) is started again with
   * the same arguments, as systemd or Kubernetes would restart it: a coordinator resumes its
   * experiments from Redis and the store, the sites dial it again.
   */
  spawn(name: string, args: string[], env: NodeJS.ProcessEnv = {}, supervised = false): Child {
    const child = spawnAccord(name, args, this.logDir, env);
    this.children.push(child);
    if (supervised) this.supervise(child, args, env, 0);
    return child;
  }

  private supervise(child: Child, args: string[], env: NodeJS.ProcessEnv, restarts: number): void {
    void child.exited.then((code) => {
      if (this.stopping || restarts >= MAX_RESTARTS) return;
      const how = child.process.signalCode ? `killed by ${child.process.signalCode}` : `exited with code ${code}`;
      const next = spawnAccord(child.name, args, this.logDir, env);
      this.children[this.children.indexOf(child)] = next;
      this.onRestart(`${child.name} ${how}; started again (${restarts + 1} of at most ${MAX_RESTARTS})`);
      this.supervise(next, args, env, restarts + 1);
    });
  }

  /** Fails fast, with the end of its log, when any process has exited (or was killed). */
  assertRunning(): void {
    for (const c of this.children) {
      const { exitCode, signalCode } = c.process;
      if (exitCode !== null || signalCode !== null)
        throw new AccordError(
          'PROCESS_EXITED',
          `${c.name} ${signalCode ? `was killed by ${signalCode}` : `exited with code ${exitCode}`}:\n${tail(c.logFile)}`,
        );
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.children.map((c) => c.stop()));
  }
}
