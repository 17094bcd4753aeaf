// Stopping: a coordinator exits within 5 s of SIGTERM even with Redis gone, and Ctrl-C on
// `accord simulate` leaves no child process running.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { startPrivateRedis } from '../../simulation/redis-server.js';
import { withTimeout } from '../helpers/wait-log.js';

/** Resolves with the first line of `child`'s output that matches `re`. */
function waitForLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const on = (b: Buffer) => {
      text += b.toString();
      const line = text.split('\n').find((l) => re.test(l));
      if (line) resolve(line);
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing ${re}: ${text.slice(-500)}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('shutdown', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('a coordinator exits within 5 s of SIGTERM after Redis went away', async () => {
    const redis = await startPrivateRedis();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-stop-'));
    const c = spawn(
      process.execPath,
      [
        ...ACCORD_ARGV,
        'coordinator',
        '--redis',
        redis.url,
        '--grpc',
        '127.0.0.1:0',
        '--tokens',
        'deploy/tokens.yaml',
        '--store',
        dir,
      ],
      { cwd: PACKAGE_ROOT },
    );
    children.push(c);
    await withTimeout(waitForLine(c, /listening on port/), 60_000, 'the coordinator to start');
    await redis.stop();
    const t0 = Date.now();
    c.kill('SIGTERM');
    await withTimeout(exited(c), 20_000, 'the coordinator to exit');
    expect(Date.now() - t0).toBeLessThan(5000 + 2000); // 5 s, plus slack for a loaded machine's process exit
  });

  it('Ctrl-C on accord simulate stops every process it started', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-sigint-'));
    const sim = spawn(
      process.execPath,
      [...ACCORD_ARGV, 'simulate', '--dataset', 'heart-disease', '--rounds', '200', '--out', out],
      { cwd: PACKAGE_ROOT },
    );
    children.push(sim);
    await withTimeout(
      waitForLine(sim, /started 1 coordinator and 4 worker processes/),
      120_000,
      'the federation to start',
    );
    sim.kill('SIGINT');
    await withTimeout(exited(sim), 30_000, 'simulate to exit');
    // No process whose command line names this run's directory is left.
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(out) && !l.includes('ps -eo'));
    expect(left).toEqual([]);
  });
});
