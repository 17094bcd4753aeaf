// The site's sandbox for apps (issue 18, part 2): code the site did not write, run in a child process
// under node's permission model and, where the machine allows, in user, network and mount namespaces.
// Each test writes a small app into a temp folder and attacks one bound; after every failure a
// well-behaved app still runs (the worker carries on). The file, process, memory and time bounds are
// checked with and without the namespaces; the network cut needs them (skipped with the reason where
// unprivileged user namespaces are off, run and failed under CI).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SandboxError } from '../../shared/errors/index.js';
import { networkIsolation, runSandboxed, type SandboxOptions } from '../../worker/sandbox/index.js';
import { runsWith } from '../helpers/optional.js';

/** Wide margins: CI is a loaded 2-core machine. */
const TIMEOUT_MS = 2000;
const WITHIN_MS = 30_000;

let root: string;
let dataDir: string;
let secretFile: string;
let apps = 0;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-sandbox-test-'));
  dataDir = path.join(root, 'data');
  fs.mkdirSync(dataDir);
  fs.writeFileSync(path.join(dataDir, 'values.json'), JSON.stringify([1, 2, 3, 4]));
  fs.mkdirSync(path.join(root, 'elsewhere'));
  secretFile = path.join(root, 'elsewhere', 'secret.txt');
  fs.writeFileSync(secretFile, 'PATIENT-ROW-7 do not leak');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A new app folder holding main.mjs, and an empty scratch folder beside it. */
function app(source: string): { appDir: string; scratchDir: string } {
  apps += 1;
  const appDir = path.join(root, `app-${apps}`);
  const scratchDir = path.join(root, `scratch-${apps}`);
  fs.mkdirSync(appDir);
  fs.mkdirSync(scratchDir);
  fs.writeFileSync(path.join(appDir, 'main.mjs'), source);
  return { appDir, scratchDir };
}

const WELL_BEHAVED = `
import fs from 'node:fs';
import path from 'node:path';
export async function run(input) {
  const values = JSON.parse(fs.readFileSync(input.data, 'utf8'));
  const sum = values.reduce((a, b) => a + b, 0) * input.factor;
  fs.writeFileSync(path.join(process.cwd(), 'model.json'), JSON.stringify({ sum }));
  return { sum, env: Object.keys(process.env).length };
}`;

/** The error a run ends with (it must end with one). */
async function failure(run: Promise<unknown>): Promise<SandboxError> {
  const e = await run.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'the run should have failed').toBeInstanceOf(SandboxError);
  return e as SandboxError;
}

const modes = [
  { name: 'with the namespaces', runs: runsWith('user-namespaces'), kind: 'namespace', extra: {} },
  {
    name: 'with the permission model alone',
    runs: true,
    kind: 'none',
    extra: { isolation: 'none', requireNetworkIsolation: false },
  },
] as const;

for (const mode of modes) {
  describe.runIf(mode.runs)(`sandbox ${mode.name}`, () => {
    const sandboxed = (o: Omit<SandboxOptions, 'readPaths'> & { readPaths?: string[] }) =>
      runSandboxed({ readPaths: [dataDir], ...mode.extra, ...o });

    /** A well-behaved app still runs and computes from its input and data; its scratch holds its file. */
    async function stillWorks(): Promise<void> {
      const a = app(WELL_BEHAVED);
      const input = { data: path.join(dataDir, 'values.json'), factor: 3 };
      const r = await sandboxed({ ...a, entry: 'main.mjs', input });
      expect(r.output).toEqual({ sum: 30, env: 0 });
      expect(JSON.parse(fs.readFileSync(path.join(a.scratchDir, 'model.json'), 'utf8'))).toEqual({ sum: 30 });
      expect(r.isolation).toBe(mode.kind);
    }

    it('a well-behaved app returns what it computed from its input and data, with an empty environment', async () => {
      await stillWorks();
    });

    it('reading outside its folder and data is denied, naming the permission and not the contents', async () => {
      for (const target of ['/etc/passwd', secretFile]) {
        const a = app(`import fs from 'node:fs';
export function run(input) { return fs.readFileSync(input.target, 'utf8'); }`);
        const e = await failure(sandboxed({ ...a, entry: 'main.mjs', input: { target } }));
        expect(e.code).toBe('SANDBOX_DENIED');
        expect(e.details.permission).toBe('FileSystemRead');
        expect(e.message).toContain('FileSystemRead');
        expect(JSON.stringify({ m: e.message, d: e.details })).not.toMatch(/PATIENT-ROW|root:/);
        expect(e.publicMessage).not.toContain(target);
        await stillWorks();
      }
    });

    it('an app that ships a symbolic link out of its folder is refused (node would follow it)', async () => {
      const reader = `import fs from 'node:fs';
export function run(input) { return fs.readFileSync(new URL(input.file, import.meta.url), 'utf8'); }`;
      const a = app(reader);
      fs.symlinkSync(secretFile, path.join(a.appDir, 'leak.txt'));
      const e = await failure(sandboxed({ ...a, entry: 'main.mjs', input: { file: './leak.txt' } }));
      expect(e.code).toBe('SANDBOX_DENIED');
      expect(e.message).toContain('symbolic link');
      await stillWorks();
      const inside = app(reader);
      fs.writeFileSync(path.join(inside.appDir, 'weights.txt'), 'w1');
      fs.symlinkSync('weights.txt', path.join(inside.appDir, 'alias.txt'));
      expect((await sandboxed({ ...inside, entry: 'main.mjs', input: { file: './alias.txt' } })).output).toBe('w1');
    });

    it('starting a process or a worker thread is denied', async () => {
      const spawner = app(`import { spawnSync } from 'node:child_process';
export function run() { return spawnSync('/bin/sh', ['-c', 'echo escaped']).stdout?.toString(); }`);
      const e = await failure(sandboxed({ ...spawner, entry: 'main.mjs', input: null }));
      expect([e.code, e.details.permission]).toEqual(['SANDBOX_DENIED', 'ChildProcess']);
      await stillWorks();
      const threads = app(`import { Worker } from 'node:worker_threads';
export function run() { new Worker('1', { eval: true }); return 'started'; }`);
      const t = await failure(sandboxed({ ...threads, entry: 'main.mjs', input: null }));
      expect([t.code, t.details.permission]).toEqual(['SANDBOX_DENIED', 'WorkerThreads']);
      await stillWorks();
    });

    it('writing outside the scratch folder is denied; inside it works', async () => {
      const writer = `import fs from 'node:fs';
export function run(input) { fs.writeFileSync(input.target, 'x'); return fs.readFileSync(input.target, 'utf8'); }`;
      const data = path.join(dataDir, 'values.json');
      for (const target of [path.join(root, 'elsewhere', 'dropped.txt'), 'app', data]) {
        const a = app(writer);
        const where = target === 'app' ? path.join(a.appDir, 'patched.mjs') : target;
        const e = await failure(sandboxed({ ...a, entry: 'main.mjs', input: { target: where } }));
        expect([e.code, e.details.permission]).toEqual(['SANDBOX_DENIED', 'FileSystemWrite']);
        if (where !== data) expect(fs.existsSync(where)).toBe(false);
        await stillWorks();
      }
      expect(JSON.parse(fs.readFileSync(data, 'utf8'))).toEqual([1, 2, 3, 4]);
      const a = app(writer);
      const inside = path.join(a.scratchDir, 'ok.txt');
      expect((await sandboxed({ ...a, entry: 'main.mjs', input: { target: inside } })).output).toBe('x');
      expect(fs.readFileSync(inside, 'utf8')).toBe('x');
    });

    it('an endless loop is killed at its time limit', async () => {
      const a = app('export function run() { for (;;) {} }');
      const t0 = Date.now();
      const e = await failure(sandboxed({ ...a, entry: 'main.mjs', input: null, timeoutMs: TIMEOUT_MS }));
      expect(e.code).toBe('SANDBOX_TIMEOUT');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(Date.now() - t0).toBeLessThan(WITHIN_MS);
      await stillWorks();
    });

    it('unbounded allocation is stopped: the V8 heap, and memory outside it', async () => {
      const heap = app('export function run() { const a = []; for (;;) a.push({ x: Math.random(), y: [1, 2, 3] }); }');
      const e = await failure(sandboxed({ ...heap, entry: 'main.mjs', input: null, heapMB: 64 }));
      expect(e.code).toBe('SANDBOX_MEMORY');
      expect(e.message).toMatch(/heap/);
      await stillWorks();
      // Buffers live outside V8's heap: the resident-size watch stops them (up to 4 GB if it did not).
      const buffers = app(`export async function run() {
  const kept = [];
  for (let i = 0; i < 256; i++) { kept.push(Buffer.alloc(16 * 1024 * 1024, i)); await new Promise((r) => setTimeout(r, 10)); }
  return kept.length;
}`);
      const b = await failure(sandboxed({ ...buffers, entry: 'main.mjs', input: null, heapMB: 64, rssMB: 256 }));
      expect(b.code).toBe('SANDBOX_MEMORY');
      expect(b.message).toMatch(/resident/);
      await stillWorks();
    });

    it('flooding its output or returning too much is cut off', async () => {
      const flood = app(`export async function run() {
  const s = 'x'.repeat(65536);
  for (;;) { process.stdout.write(s); await new Promise((r) => setImmediate(r)); }
}`);
      const f = await failure(sandboxed({ ...flood, entry: 'main.mjs', input: null, timeoutMs: WITHIN_MS }));
      expect(f.code).toBe('SANDBOX_OUTPUT_LIMIT');
      await stillWorks();
      const big = app(`export function run() { return 'y'.repeat(4 * 1024 * 1024); }`);
      const g = await failure(sandboxed({ ...big, entry: 'main.mjs', input: null, maxResultBytes: 1024 * 1024 }));
      expect(g.code).toBe('SANDBOX_OUTPUT_LIMIT');
      await stillWorks();
    });

    it("an app's own error comes back bounded, with only its own stack frames; a crash is told apart", async () => {
      const thrower = app(`function deep() { throw new TypeError('bad value ' + 'z'.repeat(5000)); }
export function run() { deep(); }`);
      const e = await failure(sandboxed({ ...thrower, entry: 'main.mjs', input: null }));
      expect(e.code).toBe('SANDBOX_APP_ERROR');
      expect(e.details.appError?.name).toBe('TypeError');
      expect(e.details.appError!.message.length).toBeLessThan(1100);
      expect(e.details.appError?.stack).toMatch(/^at deep \(\.\/main\.mjs:1:/);
      expect(e.details.appError?.stack).not.toMatch(/node:|\/work\/|accord-sandbox-test-/);
      expect(e.publicMessage).toBe("SANDBOX_APP_ERROR (details are in the site's own log)");
      await stillWorks();
      const exiter = app('export function run() { process.exit(3); }');
      const x = await failure(sandboxed({ ...exiter, entry: 'main.mjs', input: null }));
      expect([x.code, x.details.exitCode]).toEqual(['SANDBOX_CRASHED', 3]);
      const forger = app(`import fs from 'node:fs';
export function run() { fs.writeSync(3, 'not a frame'); process.exit(0); }`);
      expect((await failure(sandboxed({ ...forger, entry: 'main.mjs', input: null }))).code).toBe('SANDBOX_BAD_RESULT');
      const noExport = app('export const other = 1;');
      expect((await failure(sandboxed({ ...noExport, entry: 'main.mjs', input: null }))).message).toContain(
        'no exported function "run"',
      );
      await stillWorks();
    });
  });
}

describe.runIf(runsWith('user-namespaces'))('the network cut (namespaces)', () => {
  it('a TCP connection to a server on 127.0.0.1 and a host Unix socket both get nowhere', async () => {
    let connections = 0;
    const tcp = net.createServer((s) => {
      connections += 1;
      s.destroy();
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as net.AddressInfo).port;
    const socketPath = path.join(root, 'elsewhere', 'host.sock');
    const unix = net.createServer((s) => {
      connections += 1;
      s.destroy();
    });
    await new Promise<void>((r) => unix.listen(socketPath, r));
    try {
      const a = app(`import net from 'node:net';
export function run(input) {
  return new Promise((resolve, reject) => {
    const s = net.connect(input.to);
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', reject);
  });
}`);
      for (const to of [{ host: '127.0.0.1', port }, { path: socketPath }]) {
        const e = await failure(runSandboxed({ ...a, entry: 'main.mjs', input: { to } }));
        expect(e.code).toBe('SANDBOX_APP_ERROR');
        expect(e.message).toMatch(/ENETUNREACH|ECONNREFUSED|ENOENT|EACCES/);
      }
      expect(connections).toBe(0);
    } finally {
      tcp.close();
      unix.close();
    }
  });

  it('is what the sandbox reports, and is required by default', async () => {
    expect(networkIsolation().kind).toBe('namespace');
    const a = app(WELL_BEHAVED);
    await expect(runSandboxed({ ...a, entry: 'main.mjs', input: null, isolation: 'none' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
