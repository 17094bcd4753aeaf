// Privacy through the real coordinator, Redis, gRPC and TF.js workers: column statistics under secure
// aggregation (the coordinator learns only their total), and a site's policy refusing a plaintext run.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReport } from '../../coordinator/experiments/report.js';
import { parseExperiment } from '../../shared/config/load.js';
import { combineColumnSums } from '../../shared/data/column-sums.js';
import { createLogger } from '../../shared/log/logger.js';
import { dpSgdSchedule } from '../../shared/models/dp-sgd.js';
import { RdpAccountant } from '../../shared/privacy/rdp.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { AccordWorker } from '../../worker/client.js';
import { sitePolicySchema } from '../../worker/policy.js';
import { releasedBy, startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';

const TOKENS = {
  cleveland: 'tok-cleveland-1',
  hungary: 'tok-hungary-22',
  switzerland: 'tok-switz-333',
  va: 'tok-va-4444',
};

/** Every value Redis holds, as text. */
async function redisText(fed: TestFederation): Promise<string> {
  const out: string[] = [];
  for (const key of await fed.client.keys('*')) {
    const type = await fed.client.type(key);
    if (type === 'hash') out.push(JSON.stringify(await fed.client.hgetall(key)));
    else if (type === 'string') out.push((await fed.client.get(key)) ?? '');
    else if (type === 'list') out.push(JSON.stringify(await fed.client.lrange(key, '0', '-1')));
  }
  return out.join('\n');
}

describe('privacy in a running federation', () => {
  let fed: TestFederation | undefined;
  const workers: AccordWorker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) w.stop();
    await fed?.stop();
    fed = undefined;
  });

  it('under secure aggregation the column statistics are summed masked: the global statistics match, no site sum is kept', async () => {
    fed = await startFederation(TOKENS);
    workers.push(...(await startHeartWorkers(fed, TOKENS)));
    const id = await fed.submit({ rounds: 1, clients: { min: 4 }, secagg: { mode: 'secaggplus' } });
    const rec = await fed.waitFor(id, ['completed', 'failed'], 180_000);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    // The same statistics as combining in one place what each site releases (its own split, its cells).
    const cfg = parseExperiment(HEART_DISEASE.experiment);
    if (cfg.data.format !== 'csv') throw new Error('heart disease is CSV');
    const data = cfg.data;
    const clear = combineColumnSums(Object.entries(HEART_DISEASE.sites).map(([site, f]) => releasedBy(site, f, data)));
    for (const [c, s] of Object.entries(clear)) {
      expect(rec.stats?.[c]?.mean).toBeCloseTo(s.mean, 6);
      expect(rec.stats?.[c]?.std).toBeCloseTo(s.std, 6);
    }
    expect((await fed.records.events(id)).map((e) => e.message).join('\n')).toMatch(
      /column statistics summed under secure aggregation from 4 of 4 sites/,
    );
    // A site's sums in clear would be Metrics values named sum.K / sumsq.K: none reached Redis.
    expect(await redisText(fed)).not.toMatch(/sumsq\.\d/);
  });

  it('record-level DP: each site reports the epsilon of DP-SGD over its own rows, as the accountant composes it', async () => {
    fed = await startFederation(TOKENS);
    workers.push(...(await startHeartWorkers(fed, { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary })));
    const dpSgd = { noiseMultiplier: 1.1, clip: 1, delta: 1e-5 };
    const id = await fed.submit({
      rounds: 2,
      clients: { min: 2 },
      train: { epochs: 1, batchSize: 32, learningRate: 0.3, dpSgd },
    });
    const rec = await fed.waitFor(id, ['completed', 'failed'], 180_000);
    expect(rec.status).toBe('completed');
    const rounds = await fed.records.rounds(id);
    const report = buildReport(rec, rounds, []);
    for (const site of ['cleveland', 'hungary']) {
      const rows = rounds[0]?.train[site]?.examples ?? 0;
      const { q, steps } = dpSgdSchedule(rows, { batchSize: 32, epochs: 1 });
      const want = new RdpAccountant().compose(q, 1.1, 2 * steps).epsilon(1e-5);
      expect(rows).toBeGreaterThan(100);
      // Rounded by the site's policy (metrics.decimals, default 2).
      expect(report.final?.siteRecordEpsilon?.[site]).toBeCloseTo(want, 2);
    }
  });

  it('a site whose policy requires secure aggregation refuses a plaintext experiment: it takes no part, the status says who and why, and the experiment ends only if the others cannot reach clients.min', async () => {
    fed = await startFederation(TOKENS);
    workers.push(...(await startHeartWorkers(fed, { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary })));
    const strict = new AccordWorker({
      coordinator: fed.address,
      site: 'va',
      token: TOKENS.va,
      dataFile: HEART_DISEASE.sites.va,
      ...fed.trustOf('va'),
      // Its policy refuses the experiment's terms when they are offered: no task is ever run.
      policy: sitePolicySchema.parse({ requireSecureAggregation: true, autoApprove: true }),
      log: createLogger('va', 'silent'),
    });
    workers.push(strict);
    void strict.run();
    await strict.ready;
    // One site's refusal does not end an experiment the others can run: va takes no part, and the
    // events and report say who refused and why.
    const id = await fed.submit({ rounds: 2, clients: { min: 2 } });
    const rec = await fed.waitFor(id, ['completed', 'failed'], 120_000);
    expect(rec.status, rec.error).toBe('completed');
    const events = (await fed.records.events(id)).map((e) => e.message).join('\n');
    expect(events).toMatch(
      /site va reported POLICY_REFUSED: refused by the site's policy: requireSecureAggregation.*takes no further part/,
    );
    expect(Object.keys((await fed.records.rounds(id))[0]?.train ?? {}).sort()).toEqual(['cleveland', 'hungary']);
    // When the other roster sites cannot reach clients.min without it, the experiment ends at once.
    const all = await fed.submit({ rounds: 2, clients: { min: 4 } });
    const failed = await fed.waitFor(all, ['completed', 'failed'], 120_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(
      /site va reported POLICY_REFUSED: refused by the site's policy: requireSecureAggregation.*cannot reach clients\.min \(4\)/,
    );
    const report = JSON.parse(fs.readFileSync(path.join(fed.store, all, 'report.json'), 'utf8'));
    expect(report.experiment.error).toMatch(/site va .*requireSecureAggregation/);
  });
});
