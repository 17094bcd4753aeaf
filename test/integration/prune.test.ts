// Redis keeps what reports need and nothing else: `accord prune` removes the finished jobs of ended
// experiments and the queue and heartbeat of a coordinator instance that is gone, and leaves every
// experiment's record, rounds and events (the report is built from them) and the live coordinator.
import { spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../coordinator/experiments/keys.js';
import { buildReport } from '../../coordinator/experiments/report.js';
import { prune, retireInstance } from '../../coordinator/prune.js';
import { QUEUE_ROUNDS, tasksQueue } from '../../coordinator/queues/names.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { startPrivateRedis } from '../../simulation/redis-server.js';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';

const TOKENS = { cleveland: 'tok-prune-cleveland', hungary: 'tok-prune-hungary' };
const GONE = 'gone-host-4242';

describe('accord prune', () => {
  let fed: TestFederation | undefined;
  let workers: AccordWorker[] = [];
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  it('removes finished jobs of ended experiments and a gone instance; records and the live coordinator stay', async () => {
    fed = await startFederation(TOKENS);
    const f = fed;
    workers = await startHeartWorkers(f, TOKENS);
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const id = await f.submit({ rounds: 2, clients: { min: 2 } });
      expect((await f.waitFor(id, ['completed', 'failed'], 120_000)).status).toBe('completed');
      ids.push(id);
    }
    // A coordinator instance that is gone: its queue (emptied) and its heartbeat stay behind.
    const connection = redisOptions(f.redis.url);
    const gone = new Queue(tasksQueue(GONE), { connection });
    await (await gone.add('train', { experimentId: ids[0] })).remove();
    await gone.close();
    await f.client.hset(keys.instances(), GONE, '0');
    const live = (await f.client.hkeys(keys.instances())).filter((i) => i !== GONE);
    expect(live.length).toBeGreaterThan(0);

    const rounds = new Queue(QUEUE_ROUNDS, { connection });
    expect((await rounds.getJobCounts('completed')).completed).toBeGreaterThan(0);
    const before = await f.client.dbsize();
    const r = await prune(f.client, { connection });
    expect(r.jobs).toBeGreaterThan(0);
    expect(r.instances).toEqual([GONE]);
    const left = await rounds.getJobCounts('completed', 'failed');
    expect((left.completed ?? 0) + (left.failed ?? 0)).toBe(0);
    await rounds.close();
    expect(await f.client.dbsize()).toBeLessThan(before);
    expect(await f.client.keys(`*${GONE}*`)).toEqual([]);
    expect((await f.client.hkeys(keys.instances())).sort()).toEqual(live.sort());
    // What reports need is all there.
    for (const id of ids) {
      const rec = (await f.records.get(id))!;
      expect(rec.status).toBe('completed');
      const report = buildReport(rec, await f.records.rounds(id), await f.records.events(id));
      expect(report.rounds).toHaveLength(2);
    }
    // The command: nothing more to remove.
    const cli = spawnSync(process.execPath, [...ACCORD_ARGV, 'prune', '--redis', f.redis.url], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^removed 0 finished job\(s\), 0 gone coordinator instance\(s\)/);
    const bad = spawnSync(process.execPath, [...ACCORD_ARGV, 'prune', '--redis', f.redis.url, '--older-than', 'soon'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--older-than: expected a duration/);
  }, 300_000);

  it('two pruners retiring the same instance at once both succeed (a coordinator pass beside accord prune)', async () => {
    const server = await startPrivateRedis();
    const connection = redisOptions(server.url);
    const redis = new Redis(connection);
    try {
      for (let i = 0; i < 5; i++) {
        const instance = `gone-${i}`;
        const q = new Queue(tasksQueue(instance), { connection });
        await (await q.add('train', { experimentId: 'x' })).remove();
        await q.close();
        const both = await Promise.all([
          retireInstance(redis, { connection }, instance),
          retireInstance(redis, { connection }, instance),
        ]);
        expect(both).toEqual([true, true]);
        expect(await redis.keys(`bull:${tasksQueue(instance)}:*`)).toEqual([]);
      }
    } finally {
      redis.disconnect();
      await server.stop();
    }
  }, 60_000);
});
