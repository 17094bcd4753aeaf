// `accord cancel`: a running experiment stops; what it committed stays, and nothing runs after.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { QUEUE_ROUNDS } from '../../coordinator/queues/names.js';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';

const TOKENS = { cleveland: 'tok-cleveland-1', hungary: 'tok-hungary-22' };

describe('accord cancel', () => {
  let fed: TestFederation | undefined;
  let workers: AccordWorker[] = [];
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  it('cancels a running experiment; committed rounds stay, no step runs after, and it gets its reports and model', async () => {
    fed = await startFederation(TOKENS);
    workers = await startHeartWorkers(fed, TOKENS);
    const id = await fed.submit({
      rounds: 100,
      clients: { min: 2 },
      train: { epochs: 20, batchSize: 16, learningRate: 0.01 },
    });
    const until = Date.now() + 60_000;
    while (((await fed.records.get(id))?.committed ?? 0) < 1 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    const r = spawnSync(process.execPath, [...ACCORD_ARGV, 'cancel', id, '--redis', fed.redis.url], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${id} cancelled with \\d+ committed round`));
    // Wait until the rounds queue is idle: whatever step was in flight has run and seen the cancel.
    const rounds = new Queue(QUEUE_ROUNDS, { connection: redisOptions(fed.redis.url) });
    const idleBy = Date.now() + 120_000;
    while (Date.now() < idleBy) {
      const c = await rounds.getJobCounts('active', 'waiting', 'delayed', 'waiting-children');
      if (Object.values(c).every((n) => n === 0)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await rounds.close();
    const rec = await fed.records.get(id);
    expect(rec?.status).toBe('cancelled');
    expect(rec?.stopped).toBe('cancelled from the command line');
    const committed = rec?.committed ?? 0;
    expect(committed).toBeGreaterThanOrEqual(1);
    expect(committed).toBeLessThan(100);
    // Closed like any ended experiment: its reports and last committed model are written and served by
    // its page, the report counts the same rounds as the record, and nothing of its rounds is left.
    const store = path.join(fed.store, id);
    for (const f of ['report.json', 'report.md', 'report.html', 'model/model.json', 'model/weights.bin'])
      expect(fs.existsSync(path.join(store, f)), f).toBe(true);
    const report = JSON.parse(fs.readFileSync(path.join(store, 'report.json'), 'utf8'));
    expect(report.experiment.status).toBe('cancelled');
    expect(report.rounds).toHaveLength(committed);
    expect(new Checkpoints(new StorePaths(fed.store)).latest(id)).toBe(committed);
    for (const left of ['spool', 'secagg', 'candidates'])
      expect(fs.existsSync(path.join(store, left)), left).toBe(false);
    const page = `http://127.0.0.1:${fed.coordinator.httpPort}/experiments/${id}`;
    for (const file of ['report.json', 'model/model.json', 'model/weights.bin'])
      expect((await fetch(`${page}/${file}`)).status, file).toBe(200);
    expect(await (await fetch(page)).text()).toMatch(/cancelled/);
    // Cancelling again says it had ended.
    const again = spawnSync(process.execPath, [...ACCORD_ARGV, 'cancel', id, '--redis', fed.redis.url], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(again.stdout).toMatch(/had already ended \(cancelled\)/);
  });
});
