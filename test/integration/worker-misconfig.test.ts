// A worker that cannot work as configured says why in one line (issue 21, C7): a TLS file that is
// missing ends it before it dials; TLS on one side only, or a certificate the coordinator rejects, ends
// it after a few attempts with the cause and what to change; a coordinator out of reach is one line
// after a few attempts while it keeps retrying, and one when it is back. Two workers with one site name
// no longer knock each other off: the second is refused while the first is alive (on this coordinator
// or another sharing the Redis), and ends; the first keeps its session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/server.js';
import { TokenBook } from '../../coordinator/sessions/auth.js';
import { type WorkerEntry, WorkerRegistry } from '../../coordinator/sessions/registry.js';
import { createLogger } from '../../shared/log/logger.js';
import type { Child } from '../../simulation/processes.js';
import { freePort } from '../../simulation/redis-server.js';
import { NOTICE_AFTER } from '../../worker/reconnect.js';
import { makeCerts } from '../helpers/test-certs.js';
import { waitUntil, withTimeout } from '../helpers/wait-log.js';
import { spawnHeartWorker, TWO_SITE_TOKENS, useProcessFederation } from '../helpers/worker-process.js';

/** Generous: each wait is for a worker process to start (TF.js) and dial a few times on a busy machine. */
const WAIT_MS = 90_000;

const logOf = (c: Child) => fs.readFileSync(c.logFile, 'utf8');

/** Waits for a line of `c`'s log (stdout and stderr) that matches; fails early if `c` exits first. */
async function waitForLine(c: Child, pattern: RegExp, what: string): Promise<string> {
  let found: string | undefined;
  await waitUntil(
    async () => {
      found = logOf(c)
        .split('\n')
        .find((l) => pattern.test(l));
      if (!found && c.process.exitCode !== null)
        throw new Error(`${c.name} exited (${c.process.exitCode}) before ${what}:\n${logOf(c).slice(-3000)}`);
      return found !== undefined;
    },
    WAIT_MS,
    `${c.name}: ${what}`,
  );
  return found!;
}

/** The exit code of `c`, which must end by itself. */
function exitOf(c: Child): Promise<number | null> {
  return withTimeout(c.exited, WAIT_MS, `${c.name} to exit`).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}:\n${logOf(c).slice(-3000)}`);
  });
}

/** The JSON log records of `c` with this message. */
function records(c: Child, msg: string): Record<string, unknown>[] {
  return logOf(c)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['msg'] === msg);
}

describe('a misconfigured worker', () => {
  const fed = useProcessFederation(afterAll);
  const children = fed.children;
  const coordinators: Coordinator[] = [];
  afterAll(async () => {
    for (const c of coordinators) await c.stop();
  });

  let setUp: Awaited<ReturnType<typeof fed.setUp>> | undefined;
  const folder = async () => (setUp ??= await fed.setUp('misconfig'));
  const spawn = (
    name: string,
    coordinator: string,
    extra: string[] = [],
    site: 'cleveland' | 'hungary' = 'cleveland',
  ) => {
    const c = spawnHeartWorker(site, coordinator, TWO_SITE_TOKENS[site], path.join(setUp!.dir, name), extra);
    children.push(c);
    return c;
  };
  const coordinator = async (
    instance: string,
    opts: { port?: number; tls?: ConstructorParameters<typeof Coordinator>[0]['tls'] } = {},
  ) => {
    const { redis, store } = await folder();
    const c = new Coordinator({
      redisUrl: redis.url,
      grpcAddress: `127.0.0.1:${opts.port ?? 0}`,
      storeDir: store,
      tokens: TokenBook.fromMap(TWO_SITE_TOKENS),
      instance,
      log: createLogger(instance, 'silent'),
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
    await c.start();
    coordinators.push(c);
    return c;
  };

  it('a TLS file that is missing ends the worker before it dials, naming the flag and the file', async () => {
    const { dir } = await folder();
    const certs = makeCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'accord-misconfig-certs-')));
    const missing = path.join(dir, 'no-such-ca.pem');
    const noCa = spawn('missing-ca', '127.0.0.1:1', ['--tls-ca', missing]);
    const noCert = spawn('missing-cert', '127.0.0.1:1', [
      ...['--tls-ca', certs.file('ca.pem'), '--tls-cert', path.join(dir, 'site.pem')],
      ...['--tls-key', certs.file('site.key')],
    ]);
    const wrongKey = spawn('wrong-key', '127.0.0.1:1', [
      ...['--tls-ca', certs.file('ca.pem'), '--tls-cert', certs.file('site.pem')],
      ...['--tls-key', certs.file('rogue.key')],
    ]);
    expect(await exitOf(noCa)).toBe(2);
    expect(logOf(noCa)).toContain(`accord: --tls-ca: ${missing} does not exist [CONFIG_INVALID]`);
    expect(await exitOf(noCert)).toBe(2);
    expect(logOf(noCert)).toContain(`--tls-cert: ${path.join(dir, 'site.pem')} does not exist`);
    expect(await exitOf(wrongKey)).toBe(2);
    expect(logOf(wrongKey)).toContain(`--tls-key ${certs.file('rogue.key')}: this key is not the one of --tls-cert`);
    // None of them dialed.
    for (const c of [noCa, noCert, wrongKey]) expect(records(c, 'disconnected from coordinator')).toEqual([]);
  });

  it('TLS on one side only, or a certificate the coordinator rejects, ends the worker with the cause', async () => {
    const certs = makeCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'accord-misconfig-certs-')));
    const server = { cert: certs.serverCert, key: certs.serverKey };
    const plain = await coordinator('plain-for-tls');
    const tls = await coordinator('tls', { tls: server });
    const mtls = await coordinator('mtls', { tls: { ...server, clientCa: certs.ca } });
    const cases = [
      {
        worker: spawn('plaintext-to-tls', `localhost:${tls.port}`),
        line: `accord: cannot connect to the coordinator at localhost:${tls.port}: the coordinator speaks TLS, but this worker dials without it; give --tls-ca`,
      },
      {
        worker: spawn('tls-to-plaintext', `localhost:${plain.port}`, ['--tls-ca', certs.file('ca.pem')]),
        line: `accord: cannot connect to the coordinator at localhost:${plain.port}: the coordinator does not speak TLS, but this worker dials with TLS (--tls-ca); drop the --tls-* flags`,
      },
      {
        worker: spawn('rogue-certificate', `localhost:${mtls.port}`, [
          ...['--tls-ca', certs.file('ca.pem'), '--tls-cert', certs.file('rogue.pem')],
          ...['--tls-key', certs.file('rogue.key')],
        ]),
        line: /(does not accept|rejected) this site's certificate \(--tls-cert\)/,
      },
      {
        worker: spawn('no-client-certificate', `localhost:${mtls.port}`, ['--tls-ca', certs.file('ca.pem')]),
        line: 'the coordinator asks for a client certificate (mutual TLS) and this worker has none; give --tls-cert and --tls-key',
      },
    ];
    for (const { worker, line } of cases) {
      expect(await exitOf(worker), worker.name).toBe(2);
      if (typeof line === 'string') expect(logOf(worker), worker.name).toContain(line);
      else expect(logOf(worker), worker.name).toMatch(line);
      expect(logOf(worker), worker.name).toContain('[CONFIG_INVALID]');
    }
    // Not one of them was let in.
    expect(await new WorkerRegistry(setUp!.client, 2000).get('cleveland')).toBeUndefined();
  });

  it('a coordinator out of reach is one line after a few attempts; the worker keeps trying and says when it is back', async () => {
    const port = await freePort();
    const worker = spawn('unreachable', `127.0.0.1:${port}`, [], 'hungary');
    const unresolvable = spawn('unresolvable', 'no-such-host.invalid:7070');
    const notice = await waitForLine(worker, /^accord worker: cannot reach the coordinator/, 'the "cannot reach" line');
    expect(notice).toBe(
      `accord worker: cannot reach the coordinator at 127.0.0.1:${port}: connection refused (nothing listens there) (retrying every 1 s; check --coordinator)`,
    );
    // Within a few attempts: the line comes after the attempt that makes NOTICE_AFTER.
    const lines = logOf(worker).split('\n');
    const attemptsBefore = lines
      .slice(0, lines.indexOf(notice))
      .filter((l) => l.includes('"msg":"disconnected from coordinator"')).length;
    expect(attemptsBefore).toBeLessThanOrEqual(NOTICE_AFTER);
    expect(worker.process.exitCode).toBeNull();
    // DNS may come back: the same, with the cause in words.
    expect(await waitForLine(unresolvable, /^accord worker: cannot reach/, 'the "cannot reach" line')).toBe(
      'accord worker: cannot reach the coordinator at no-such-host.invalid:7070: the host name does not resolve (DNS) (retrying every 1 s; check --coordinator)',
    );
    expect(unresolvable.process.exitCode).toBeNull();
    await unresolvable.stop();
    // Retrying: another attempt after the line.
    await waitUntil(
      async () => records(worker, 'disconnected from coordinator').length > NOTICE_AFTER + 1,
      WAIT_MS,
      'more attempts after the line',
    );
    await coordinator('late', { port });
    await waitForLine(
      worker,
      new RegExp(
        `^accord worker: connected to the coordinator at 127\\.0\\.0\\.1:${port} \\(after \\d+ failed attempts\\)`,
      ),
      'the line that it is connected',
    );
    expect(logOf(worker).match(/^accord worker: cannot reach the coordinator/gm)).toHaveLength(1);
    expect((await new WorkerRegistry(setUp!.client, 2000).get('hungary'))?.instance).toBe('late');
  });

  it('a second worker for a site is refused while the first is alive, here or on another coordinator', async () => {
    const { client } = await folder();
    const registry = new WorkerRegistry(client, 2000);
    const a = await coordinator('a');
    const b = await coordinator('b');
    const first = spawn('first', `127.0.0.1:${a.port}`);
    await waitUntil(async () => (await registry.get('cleveland'))?.instance === 'a', WAIT_MS, 'the first worker');
    const held = (await registry.get('cleveland'))!;
    // Again on the same coordinator, and on another that shares the Redis.
    const same = spawn('second-same-coordinator', `127.0.0.1:${a.port}`);
    const other = spawn('second-other-coordinator', `127.0.0.1:${b.port}`);
    for (const [second, where] of [
      [same, ''],
      [other, ' on coordinator a'],
    ] as const) {
      expect(await exitOf(second), second.name).toBe(1);
      expect(logOf(second), second.name).toContain(
        `accord: the coordinator refused this worker: site "cleveland" is already connected from another worker (session ${held.sessionId}${where}); stop that worker first, or wait`,
      );
      expect(logOf(second), second.name).toContain('[SITE_IN_USE]');
    }
    // The first kept its session: never dropped or replaced, the only one the coordinators hold.
    const now = (await registry.get('cleveland'))!;
    expect(now.sessionId).toBe(held.sessionId);
    expect(first.process.exitCode).toBeNull();
    expect(records(first, 'disconnected from coordinator')).toEqual([]);
    expect(records(first, 'connected')).toHaveLength(1);
    expect(a.metrics.countWorkers() + b.metrics.countWorkers()).toBe(1);
  });

  it('a site entry left by a coordinator that died does not keep a new worker out', async () => {
    const { client } = await folder();
    const registry = new WorkerRegistry(client, 2000);
    const c = await coordinator('survivor');
    // A fresh entry from another worker on a coordinator that is not connected to Redis (it died).
    const ghost: WorkerEntry = {
      site: 'hungary',
      instance: 'ghost',
      sessionId: 'ghost-session',
      connectedAt: Date.now(),
      lastSeen: Date.now(),
      datasets: [{ name: 'records', examples: 10 }],
      backend: 'cpu',
      device: 'cpu',
      version: '0.1.0',
      tfjsVersion: '4',
      heartbeatMs: 60_000,
      workerInstance: 'a-worker-gone-with-its-coordinator',
    };
    await registry.upsert(ghost);
    const worker = spawn('after-ghost', `127.0.0.1:${c.port}`, [], 'hungary');
    await waitUntil(async () => (await registry.get('hungary'))?.instance === 'survivor', WAIT_MS, 'the new worker');
    expect(worker.process.exitCode).toBeNull();
  });

  it('the registry admits the same worker process on another coordinator, and no other while its entry is fresh', async () => {
    const registry = new WorkerRegistry((await folder()).client, 2000);
    const entry = (instance: string, workerInstance: string, lastSeen = Date.now()): WorkerEntry => ({
      site: 'switzerland',
      instance,
      sessionId: `${instance}-${workerInstance}`,
      connectedAt: lastSeen,
      lastSeen,
      datasets: [],
      backend: 'cpu',
      device: 'cpu',
      version: '0.1.0',
      tfjsVersion: '4',
      heartbeatMs: 2000,
      workerInstance,
    });
    expect(await registry.claim(entry('x', 'w1'))).toBeUndefined();
    // Failover of the same process: admitted, its entry replaced.
    expect(await registry.claim(entry('y', 'w1'))).toBeUndefined();
    expect((await registry.get('switzerland'))?.instance).toBe('y');
    // Another process: refused while the entry is fresh, with the holder's entry.
    expect((await registry.claim(entry('x', 'w2')))?.sessionId).toBe('y-w1');
    // An older worker (no id) is not told apart: admitted as before.
    expect(await registry.claim(entry('x', ''))).toBeUndefined();
    // A stale entry (its coordinator stopped touching it) does not hold the site.
    await registry.upsert(entry('y', 'w1', Date.now() - 60_000));
    expect(await registry.claim(entry('x', 'w2'))).toBeUndefined();
  });
});
