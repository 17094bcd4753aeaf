// Nothing from a site's records leaves it, error texts included: a bad cell in one site's CSV is
// reported to the coordinator as a code, a line and a column; the cell's value and the file's path
// stay in the site's own log. Checked against everything the coordinator keeps: every Redis key
// (records, registry, BullMQ jobs and their failure reasons), its log, and the report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';
import { LogCapture } from '../helpers/wait-log.js';

const SECRET = 'DOE-JOHN-1962-03-14';
const TOKENS = { cleveland: 'token-cleveland-123', hungary: 'token-hungary-456', va: 'token-va-789' };

/** Every value Redis holds, as text. */
async function dumpRedis(redis: Redis): Promise<string> {
  const out: string[] = [];
  for (const key of await redis.keys('*')) {
    out.push(key);
    const type = await redis.type(key);
    if (type === 'string') out.push((await redis.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, '0', '-1')));
    else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
    else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return out.join('\n');
}

describe('errors that leave a site', () => {
  let fed: TestFederation | undefined;
  const workers: AccordWorker[] = [];
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  it('a non-numeric cell reaches the coordinator as code, line and column only', async () => {
    // The bad site's file lives under a telling path, with a patient identifier in one cell.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-st-marys-ward7-'));
    const file = path.join(dir, 'patients-2024.csv');
    const lines = fs.readFileSync(HEART_DISEASE.sites.va, 'utf8').split('\n');
    const cells = (lines[5] ?? '').split(',');
    cells[4] = SECRET; // chol
    lines[5] = cells.join(',');
    fs.writeFileSync(file, lines.join('\n'));

    const coordinatorLog = new LogCapture('coordinator', 'debug');
    fed = await startFederation(TOKENS, { log: coordinatorLog.log });
    workers.push(...(await startHeartWorkers(fed, { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary })));
    const siteLog = new LogCapture('va', 'debug');
    const bad = new AccordWorker({
      coordinator: fed.address,
      site: 'va',
      token: TOKENS.va,
      dataFile: file,
      ...fed.trustOf('va'),
      log: siteLog.log,
    });
    workers.push(bad);
    void bad.run();
    await bad.ready;

    const id = await fed.submit({ rounds: 1, clients: { min: 2 } });
    const rec = await fed.waitFor(id, ['completed', 'failed'], 120_000);
    expect(rec.status).toBe('completed');

    // The coordinator learned what went wrong, and where, in terms of the experiment's schema.
    const rounds = await fed.records.rounds(id);
    const reason = rounds[0]?.failures['va'] ?? '';
    expect(reason).toMatch(/DATA_INVALID/);
    expect(reason).toMatch(/line 6, column chol/);

    // The site's own log has the whole story.
    expect(JSON.stringify(siteLog.records)).toContain(SECRET);

    const report = fs.readFileSync(path.join(fed.store, id, 'report.json'), 'utf8');
    // report.html and report.md show the failure in its round, and carry no more than report.json.
    const html = fs.readFileSync(path.join(fed.store, id, 'report.html'), 'utf8');
    expect(html).toMatch(/<td class="fail">[^<]*DATA_INVALID[^<]*line 6, column chol/);
    const md = fs.readFileSync(path.join(fed.store, id, 'report.md'), 'utf8');
    expect(md).toMatch(/^\| 1 \| .*va: [^|]*DATA_INVALID[^|]*line 6, column chol/m);
    const everything = [await dumpRedis(fed.client), JSON.stringify(coordinatorLog.records), report, html, md].join(
      '\n',
    );
    expect(everything).toContain('line 6, column chol'); // the check reads what it should
    for (const secret of [SECRET, file, dir, path.basename(dir), 'patients-2024'])
      expect(everything).not.toContain(secret);
  });

  it('when the failing site is needed, the experiment fails naming the site and the reason code', async () => {
    if (!fed) throw new Error('the federation of the first test');
    const id = await fed.submit({ rounds: 1, clients: { min: 3 } });
    const rec = await fed.waitFor(id, ['completed', 'failed'], 120_000);
    expect(rec.status).toBe('failed');
    expect(rec.error).toMatch(
      /2 sites sent column statistics, 3 needed \(va: site va reported DATA_INVALID: .*line 6, column chol/,
    );
  });
});
