// The sandbox's pure parts (worker/sandbox/): how a run's end is classified, what of an app's error is
// kept, which paths are bound and allowed, and the output bounds. The processes themselves are in
// test/integration/sandbox.test.ts.
import { describe, expect, it } from 'vitest';
import { appError, appFrames } from '../../worker/sandbox/app-error.js';
import { Collector, Tail } from '../../worker/sandbox/capture.js';
import { residentKB } from '../../worker/sandbox/memory-watch.js';
import { namespaceArgv } from '../../worker/sandbox/namespace.js';
import { nodeArgs, permissionFlag } from '../../worker/sandbox/node-args.js';
import { type KillReason, outcome, parseFrame, type RunFacts } from '../../worker/sandbox/outcome.js';
import { outermost, within } from '../../worker/sandbox/paths.js';

const APP = '/srv/apps/a1';
const LIMITS = { timeoutMs: 1000, heapMB: 64, rssMB: 384, maxResultBytes: 100, maxLogBytes: 100 };

function facts(over: Partial<RunFacts> & { killed?: KillReason }): RunFacts {
  return { exitCode: 0, signal: null, result: '', logTail: '', stderrTail: '', appDir: APP, limits: LIMITS, ...over };
}

const codeOf = (f: RunFacts) => {
  const o = outcome(f);
  return o.ok ? 'ok' : o.error.code;
};

describe('outcome of a run', () => {
  it('takes a result only as one well-formed line after exit code 0', () => {
    expect(parseFrame('{"ok":true,"output":{"a":1}}\n')).toEqual({ ok: true, output: { a: 1 } });
    expect(parseFrame('{"ok":true,"output":1}\n{"ok":true,"output":2}\n')).toBeUndefined();
    expect(parseFrame('{"ok":true,"output":1}')).toBeUndefined();
    expect(parseFrame('[1]\n')).toBeUndefined();
    expect(outcome(facts({ result: '{"ok":true}\n' }))).toEqual({ ok: true, output: null });
    expect(codeOf(facts({ result: '{"ok":true,"output":1}\n', exitCode: 7 }))).toBe('SANDBOX_CRASHED');
    expect(codeOf(facts({ result: 'garbage' }))).toBe('SANDBOX_BAD_RESULT');
    expect(codeOf(facts({}))).toBe('SANDBOX_BAD_RESULT');
  });

  it('what the parent stopped comes first, whatever the child wrote', () => {
    const ok = '{"ok":true,"output":1}\n';
    expect(codeOf(facts({ killed: 'timeout', result: ok, exitCode: null, signal: 'SIGKILL' }))).toBe('SANDBOX_TIMEOUT');
    expect(codeOf(facts({ killed: 'memory', signal: 'SIGKILL' }))).toBe('SANDBOX_MEMORY');
    expect(codeOf(facts({ killed: 'result-limit' }))).toBe('SANDBOX_OUTPUT_LIMIT');
    expect(codeOf(facts({ killed: 'log-limit' }))).toBe('SANDBOX_OUTPUT_LIMIT');
  });

  it('tells an out-of-memory abort, a failed set-up and a crash apart', () => {
    const oom = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n';
    expect(codeOf(facts({ exitCode: null, signal: 'SIGABRT', stderrTail: oom }))).toBe('SANDBOX_MEMORY');
    expect(codeOf(facts({ exitCode: 32, stderrTail: 'mount: denied\naccord-sandbox-setup: failed\n' }))).toBe(
      'SANDBOX_UNAVAILABLE',
    );
    const killed = outcome(facts({ exitCode: null, signal: 'SIGKILL' }));
    expect(killed.ok || [killed.error.code, killed.error.message]).toEqual([
      'SANDBOX_CRASHED',
      expect.stringContaining('out of memory'),
    ]);
  });

  it('an access error names its permission only when node could have raised it', () => {
    const frame = (permission: string) =>
      `${JSON.stringify({ ok: false, error: { name: 'Error', message: 'Access to this API has been restricted', code: 'ERR_ACCESS_DENIED', permission, resource: '/etc/shadow' } })}\n`;
    const real = outcome(facts({ result: frame('FileSystemRead'), exitCode: 1 }));
    expect(real.ok || [real.error.code, real.error.details.permission, real.error.message]).toEqual([
      'SANDBOX_DENIED',
      'FileSystemRead',
      'the app was denied FileSystemRead (/etc/shadow)',
    ]);
    const made = outcome(facts({ result: frame('secret: 42'), exitCode: 1 }));
    expect(made.ok || made.error.details.permission).toBe('unknown');
    expect(made.ok || made.error.publicMessage).toBe("SANDBOX_DENIED (details are in the site's own log)");
  });
});

describe("an app's error", () => {
  it('keeps a bounded message and only the frames inside the app, relative to it', () => {
    const stack = [
      'TypeError: x',
      `    at deep (file://${APP}/lib/model.mjs:3:9)`,
      `    at run (${APP}/main.mjs:10:1)`,
      '    at file:///home/site/secret-folder/boot.mjs:1:1',
      '    at node:internal/modules/esm/module_job:1:1',
    ].join('\n');
    expect(appFrames(stack, APP)).toBe('at deep (./lib/model.mjs:3:9)\nat run (./main.mjs:10:1)');
    const e = appError({ name: 'TypeError', message: 'm'.repeat(5000), code: 7, stack }, APP);
    expect(e.message.length).toBeLessThan(1100);
    expect(e.code).toBeUndefined();
    expect(appError('thrown string', APP)).toEqual({ name: 'Error', message: '' });
  });
});

describe('paths and arguments', () => {
  it('a path is within a folder only below it, and nested paths are bound once', () => {
    expect(within('/a/b', '/a')).toBe(true);
    expect(within('/a', '/a')).toBe(true);
    expect(within('/ab', '/a')).toBe(false);
    expect(outermost(['/data/x/y', '/usr', '/data/x', '/data/xy'])).toEqual(['/usr', '/data/x', '/data/xy']);
  });

  it('node gets one flag per path, writes only to scratch, and no permission to start anything', () => {
    const args = nodeArgs(
      { appDir: APP, entry: `${APP}/main.mjs`, reads: ['/d/1', '/d/2'], scratchDir: '/s' },
      'run',
      64,
    );
    expect(args.filter((a) => a.startsWith('--allow-fs-read='))).toEqual([
      `--allow-fs-read=${APP}`,
      '--allow-fs-read=/d/1',
      '--allow-fs-read=/d/2',
      '--allow-fs-read=/s',
    ]);
    expect(args.filter((a) => a.startsWith('--allow-fs-write='))).toEqual(['--allow-fs-write=/s']);
    expect(args.some((a) => /--allow-(child-process|worker|addons|wasi)/.test(a))).toBe(false);
    expect(args).toContain('--max-old-space-size=64');
    expect(args.slice(-2)).toEqual([`${APP}/main.mjs`, 'run']);
    expect(permissionFlag('20.20.2')).toBe('--experimental-permission');
    expect(permissionFlag('22.13.0')).toBe('--permission');
    expect(permissionFlag('24.1.0')).toBe('--permission');
  });

  it('the namespace script gets its lists counted, then the command', () => {
    const argv = namespaceArgv(
      { unshare: '/usr/bin/unshare', sh: '/bin/sh' },
      { mountPoint: '/tmp/m', readOnly: ['/usr', APP], readWrite: ['/s'], cwd: '/s' },
      ['/usr/bin/node', '--eval', '0'],
    );
    expect(argv.slice(0, 7)).toEqual([
      '/usr/bin/unshare',
      '--user',
      '--map-root-user',
      '--net',
      '--mount',
      '--propagation',
      'private',
    ]);
    expect(argv.slice(10)).toEqual([
      'accord-sandbox',
      '/tmp/m',
      '/s',
      '2',
      '/usr',
      APP,
      '1',
      '/s',
      '/usr/bin/node',
      '--eval',
      '0',
    ]);
  });
});

describe('output bounds', () => {
  it('a result past its bound fires once and keeps nothing more; logs keep their end', () => {
    let over = 0;
    const c = new Collector(10, () => over++);
    c.push(Buffer.from('12345'));
    c.push(Buffer.from('678901'));
    c.push(Buffer.from('x'));
    expect([c.text(), over]).toEqual(['12345', 1]);
    let logOver = 0;
    const budget = { left: 8, over: () => logOver++ };
    const t = new Tail(4, budget);
    t.push(Buffer.from('abcdef'));
    t.push(Buffer.from('ghi'));
    t.push(Buffer.from('j'));
    expect([t.text(), logOver]).toEqual(['ghij', 1]);
    expect(residentKB('Name:\tnode\nVmRSS:\t  123456 kB\n')).toBe(123456);
  });
});
