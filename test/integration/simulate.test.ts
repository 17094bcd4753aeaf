// accord simulate end to end, as users run it (in-process API, real processes underneath): many
// simulated clients over a worker pool, and Byzantine sites against FedAvg and a robust strategy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../simulation/run.js';
import { runsWith } from '../helpers/optional.js';

const out = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `accord-sim-${name}-`));

describe('accord simulate', () => {
  // Sized for a loaded 2-core CI machine (the 20-client 2nn version took 42 s idle and timed out at 120 s
  // there): logistic regression, 12 clients, 3 of them a round, about 25-45 s on such a machine; the
  // explicit timeout leaves a wide margin for a busy one.
  it.runIf(runsWith('fashion-mnist'))(
    'runs 12 simulated Fashion-MNIST clients over 2 worker processes, each with its own session and partition',
    async () => {
      const r = await simulate({
        dataset: 'fashion-mnist',
        clients: 12,
        fraction: 0.25,
        // IID here, so accuracy must rise; the shards split is exercised in the partitioner tests.
        partition: { scheme: 'iid' },
        model: { zoo: 'logreg' },
        pool: 2,
        rounds: 3,
        out: out('fmnist'),
        baselines: false,
        backend: 'auto',
        // Batches of 32 (not the data set's 10): fewer steps per epoch, so each round's average moves the
        // model steadily up instead of ending on a noisy last step (measured 0.673, 0.708, 0.744).
        train: { epochs: 1, batchSize: 32 },
        progress: false,
      });
      expect(r.rounds).toHaveLength(3);
      expect(r.simulation.processes).toBe(3); // coordinator + 2 pools
      expect(r.simulation.sites).toHaveLength(12);
      for (const x of r.rounds) {
        expect(x.participants).toHaveLength(3); // 25% of 12
        expect(x.central!.examples).toBe(10000);
      }
      const sampled = new Set(r.rounds.flatMap((x) => x.participants));
      expect(sampled.size).toBeGreaterThan(3); // different sites each round
      const accuracy = r.rounds.map((x) => x.central!.accuracy);
      expect(accuracy[2]!).toBeGreaterThan(accuracy[0]! + 0.03); // a clear rise, not noise
    },
    600_000,
  );

  it('a Byzantine site (scale:-10) wrecks FedAvg while the median holds', async () => {
    // Plain FedAvg: without the round's norm bound (clients.normBoundMultiple, on by default), which scales
    // the attacker's update down to 5 x the median norm (bounded-updates.test.ts).
    // FedAvg's run exports its best round's model (--export best): it falls as the attacker pulls it away.
    const dirs: Record<string, string> = { fedavg: out('fedavg'), median: out('median') };
    const run = (strategy: string) =>
      simulate({
        dataset: 'heart-disease',
        rounds: 8,
        strategy,
        ...(strategy === 'fedavg' ? { bounds: { normBoundMultiple: 0 }, export: 'best' as const } : {}),
        byzantine: { count: 1, attack: 'scale:-10' },
        out: dirs[strategy]!,
        baselines: false,
        backend: 'auto',
        progress: false,
      });
    const fedavg = await run('fedavg');
    const median = await run('median');
    const weights = (dir: string) => fs.readFileSync(path.join(dir, 'weights.bin'));
    const m = fedavg.final!.models!;
    const differ = m.best!.round !== m.last.round;
    const store = path.join(dirs['fedavg']!, 'store', fedavg.experiment.id);
    expect(m.best!.dir).toBe('model');
    expect(weights(path.join(dirs['fedavg']!, 'model'))).toEqual(
      weights(path.join(store, differ ? 'model-best' : 'model')),
    );
    expect(fs.existsSync(path.join(dirs['fedavg']!, 'model-last'))).toBe(differ);
    if (differ) expect(weights(path.join(dirs['fedavg']!, 'model-last'))).toEqual(weights(path.join(store, 'model')));
    // The default: model/ is the last committed round's.
    expect(median.final!.models!.last.dir).toBe('model');
    expect(weights(path.join(dirs['median']!, 'model'))).toEqual(
      weights(path.join(dirs['median']!, 'store', median.experiment.id, 'model')),
    );
    expect(fedavg.simulation.byzantine!.sites).toHaveLength(1);
    // Scored on the honest sites; the mean with the attacker's own split is kept beside it.
    const attacker = median.simulation.byzantine!.sites[0]!;
    expect(median.final!.honestSites).toHaveLength(3);
    expect(median.final!.honestSites).not.toContain(attacker);
    expect(median.final!.allSitesMeanSiteAccuracy).toBeCloseTo(
      Object.values(median.final!.siteAccuracy).reduce((a, b) => a + b, 0) / 4,
      10,
    );
    expect(median.final!.meanSiteAccuracy).toBeGreaterThan(0.7);
    expect(fedavg.final!.meanSiteAccuracy).toBeLessThan(median.final!.meanSiteAccuracy - 0.2);
    // Evaluation with uncertainty: report.json's final accuracy and (binary labels) AUC with 95% intervals.
    const json = JSON.parse(fs.readFileSync(path.join(dirs['median']!, 'report.json'), 'utf8'));
    const acc = json.final.accuracyInterval;
    expect(acc).toMatchObject({ level: 0.95, method: 'wilson' });
    expect(acc.lower).toBeLessThan(json.final.accuracy);
    expect(acc.upper).toBeGreaterThan(json.final.accuracy);
    const auc = json.final.auc;
    expect(auc).toMatchObject({ level: 0.95, method: 'binned Mann-Whitney, Hanley-McNeil SE', bins: 20 });
    expect(auc.lower).toBeLessThan(auc.value);
    expect(auc.upper).toBeGreaterThan(auc.value);
    expect(auc.value).toBeGreaterThan(0.5);
    expect(fs.readFileSync(path.join(dirs['median']!, 'report.md'), 'utf8')).toMatch(/AUC 0\.\d{3} \(95% CI /);
  });

  it('refuses options that do not fit the data set', async () => {
    await expect(
      simulate({
        dataset: 'heart-disease',
        rounds: 1,
        clients: 10,
        out: out('x'),
        baselines: false,
        backend: 'auto',
        progress: false,
      }),
    ).rejects.toThrow(/--clients, --fraction and --partition apply to partitioned data sets/);
    await expect(
      simulate({ dataset: 'nope', rounds: 1, out: out('y'), baselines: false, backend: 'auto', progress: false }),
    ).rejects.toThrow(/unknown data set "nope"/);
  });
});
