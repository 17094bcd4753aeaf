// `accord certs` provisions a federation: its files run a real federation over mutual TLS, and a site
// presenting another site's certificate is refused even with the right token.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { submitExperiment } from '../../coordinator/queues/submit.js';
import { Coordinator } from '../../coordinator/server.js';
import { TokenBook } from '../../coordinator/sessions/auth.js';
import { parseExperiment } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log/logger.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { AccordWorker } from '../../worker/client.js';
import { usePrivateRedis } from '../helpers/federation.js';
import { LogCapture, withTimeout } from '../helpers/wait-log.js';

describe('accord certs', () => {
  const db = usePrivateRedis({ beforeAll, afterAll });
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
  });

  it('provisions a federation that runs over mTLS; a borrowed certificate is refused', async () => {
    const kit = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-kit-'));
    const r = spawnSync(process.execPath, [...ACCORD_ARGV, 'certs', '--sites', 'cleveland,hungary', '--out', kit], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const read = (...p: string[]) => fs.readFileSync(path.join(kit, ...p));
    expect((fs.statSync(path.join(kit, 'cleveland', 'site.key')).mode & 0o077) === 0).toBe(true);

    const coordinator = new Coordinator({
      redisUrl: db.url,
      grpcAddress: '127.0.0.1:0',
      storeDir: fs.mkdtempSync(path.join(os.tmpdir(), 'accord-kit-store-')),
      tokens: TokenBook.fromFile(path.join(kit, 'tokens.yaml')),
      instance: 'kit',
      selectPollMs: 100,
      log: createLogger('coordinator', 'silent'),
      tls: { cert: read('coordinator.pem'), key: read('coordinator.key'), clientCa: read('ca.pem') },
    });
    await coordinator.start();
    stops.push(() => coordinator.stop());
    const worker = (site: 'cleveland' | 'hungary', certOf: string, log = createLogger(site, 'silent')) => {
      const w = new AccordWorker({
        coordinator: `localhost:${coordinator.port}`,
        site,
        token: read(site, 'token').toString().trim(),
        dataFile: HEART_DISEASE.sites[site],
        tls: { ca: read(site, 'ca.pem'), cert: read(certOf, 'site.pem'), key: read(certOf, 'site.key') },
        log,
      });
      stops.push(() => w.stop());
      return w;
    };

    // hungary's own token, but cleveland's certificate: refused, and told why.
    const impostorLog = new LogCapture('impostor', 'error');
    const impostor = worker('hungary', 'cleveland', impostorLog.log);
    await expect(withTimeout(impostor.run(), 60_000, 'the impostor to be refused')).rejects.toThrow(
      /the client certificate is for "cleveland", not for site "hungary"/,
    );

    // With their own kits both sites join, and a round runs.
    const sites = [worker('cleveland', 'cleveland'), worker('hungary', 'hungary')];
    for (const w of sites) void w.run();
    await Promise.all(sites.map((w) => withTimeout(w.ready, 60_000, 'a site to connect over mTLS')));
    const cfg = parseExperiment({ ...HEART_DISEASE.experiment, rounds: 1, clients: { min: 2 } });
    const id = await submitExperiment(db.redis, redisOptions(db.url), cfg);
    const records = new ExperimentRecords(db.redis);
    let rec = await records.get(id);
    const end = Date.now() + 120_000;
    while (rec?.status !== 'completed' && rec?.status !== 'failed' && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 100));
      rec = await records.get(id);
    }
    expect(rec?.error).toBeUndefined();
    expect(rec?.status).toBe('completed');
  });
});
