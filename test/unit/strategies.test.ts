// Each strategy's math on a small case computed by hand.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import {
  createStrategy,
  type LinearStrategy,
  type RobustStrategy,
  type StrategyState,
} from '../../coordinator/strategies/index.js';
import { krumSelect, medianBlock, trimmedMeanBlock } from '../../coordinator/strategies/robust-math.js';
import { parseExperiment } from '../../shared/config/load.js';
import { loadSiteData } from '../../shared/data/site.js';
import { initBackend } from '../../shared/models/backend.js';
import { trainLocal } from '../../shared/models/train.js';
import { createModel, getFlatWeights } from '../../shared/models/zoo.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { MemoryUpdateSet } from '../helpers/memory-update-set.js';

// Site-local scaling here: these tests train on one site without a coordinator to send global statistics.
const LOCAL = {
  ...HEART_DISEASE.experiment,
  data: { ...(HEART_DISEASE.experiment.data as object), scaling: 'standard' },
} as typeof HEART_DISEASE.experiment;
const cfgWith = (strategy: object) => parseExperiment({ ...LOCAL, strategy });
const linear = (strategy: object) => createStrategy(cfgWith(strategy).strategy) as LinearStrategy;
const robust = (strategy: object) => createStrategy(cfgWith(strategy).strategy) as RobustStrategy;

/** One round of a linear strategy: sites' deltas with example counts. */
function round(s: LinearStrategy, global: number[], deltas: [number[], number][], state: StrategyState) {
  const acc = s.createAccumulator(global.length);
  for (const [d, w] of deltas) {
    acc.fold(Float32Array.from(d), 0, w);
    acc.addWeight(w);
  }
  const out = s.aggregateFit(Float32Array.from(global), acc, state);
  return { weights: [...out.weights], state: out.state };
}

describe('linear strategies', () => {
  it('FedAvg: example-weighted mean delta', () => {
    expect(
      round(
        linear({ name: 'fedavg' }),
        [1, 1],
        [
          [[1, 0], 10],
          [[-1, 2], 30],
        ],
        null,
      ).weights,
    ).toEqual([0.5, 2.5]);
  });

  it('FedAvgM: m = 0.9 m + delta; x + m (lr 1)', () => {
    const s = linear({ name: 'fedavgm' });
    const r1 = round(s, [1], [[[0.5], 1]], s.initialState(1));
    expect(r1.weights[0]).toBeCloseTo(1.5, 6);
    const r2 = round(s, r1.weights, [[[0.5], 1]], r1.state);
    expect(r2.weights[0]).toBeCloseTo(1.5 + 0.95, 6); // m = 0.45 + 0.5
  });

  it('FedAdam: m = 0.05, v = 0.0025 after delta 0.5 -> step 0.1 * 0.05 / (0.05 + tau 0.001)', () => {
    const s = linear({ name: 'fedadam' });
    const r = round(s, [1], [[[0.5], 1]], s.initialState(1));
    expect(r.weights[0]).toBeCloseTo(1 + (0.1 * 0.05) / 0.051, 6);
    expect((r.state!['m'] as Float32Array)[0]).toBeCloseTo(0.05, 7);
    expect((r.state!['v'] as Float32Array)[0]).toBeCloseTo(0.0025, 7);
  });

  it('FedYogi: v = 0 - 0.01 * 0.25 * sign(0 - 0.25) = 0.0025; step 0.01 * 0.05 / (0.05 + 0.001)', () => {
    const s = linear({ name: 'fedyogi' });
    const r = round(s, [0], [[[0.5], 1]], s.initialState(1));
    expect(r.weights[0]).toBeCloseTo((0.01 * 0.05) / 0.051, 7);
  });

  it('FedAdagrad: v = 0.25; step 0.1 * 0.05 / 0.5 = 0.01', () => {
    const s = linear({ name: 'fedadagrad' });
    const r = round(s, [0], [[[0.5], 1]], s.initialState(1));
    expect(r.weights[0]).toBeCloseTo(0.01, 7);
  });

  it('server state is checkpointed: a resumed FedAdam continues exactly', () => {
    const s = linear({ name: 'fedadam' });
    const r1 = round(s, [1, 2], [[[0.5, -0.2], 3]], s.initialState(2));
    const cps = new Checkpoints(new StorePaths(fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cp-'))));
    cps.write('e', 1, { specs: [{ name: 'w0', shape: [2] }], values: Float32Array.from(r1.weights) }, r1.state);
    const back = cps.read('e', 1);
    const resumed = round(s, [...back.weights.values], [[[0.1, 0.3], 1]], back.meta.strategyState);
    const straight = round(s, r1.weights, [[[0.1, 0.3], 1]], r1.state);
    expect(resumed.weights).toEqual(straight.weights);
  });

  it('FedProx: sends mu to the sites, and the proximal term keeps local weights nearer the global model', async () => {
    const cfg = cfgWith({ name: 'fedprox', mu: 5 });
    expect(createStrategy(cfg.strategy).configureFit(1, cfg.train).proximalMu).toBe(5);
    expect(cfgWith({ name: 'fedprox' }).strategy).toEqual({ name: 'fedprox', mu: 0.01 });
    await initBackend();
    const data = loadSiteData(HEART_DISEASE.sites.cleveland, cfg.data);
    const drift = async (mu: number) => {
      const m = await createModel(cfg.model, 13, 2, 1);
      const before = getFlatWeights(m).values;
      await trainLocal(m, data.train, { ...cfg.train, epochs: 20, proximalMu: mu }, 2, 1);
      const after = getFlatWeights(m).values;
      return Math.sqrt(after.reduce((a, v, i) => a + (v - before[i]!) ** 2, 0));
    };
    expect(await drift(5)).toBeLessThan((await drift(0)) * 0.5);
    expect(tf.memory().numTensors).toBeLessThan(1000);
  });
});

describe('robust strategies', () => {
  it('median: odd and even counts', () => {
    const out = new Float32Array(2);
    medianBlock([Float32Array.of(1, 10), Float32Array.of(2, 20), Float32Array.of(3, -100)], out);
    expect([...out]).toEqual([2, 10]);
    const one = new Float32Array(1);
    medianBlock([Float32Array.of(1), Float32Array.of(2), Float32Array.of(3), Float32Array.of(10)], one);
    expect(one[0]).toBe(2.5);
  });

  it('trimmed mean: beta 0.25 of 4 cuts one value at each end', () => {
    const out = new Float32Array(1);
    trimmedMeanBlock([Float32Array.of(100), Float32Array.of(2), Float32Array.of(3), Float32Array.of(1)], 0.25, out);
    expect(out[0]).toBe(2.5);
  });

  it('Krum and Multi-Krum discard the outlier', () => {
    const updates = [Float32Array.of(0), Float32Array.of(0.1), Float32Array.of(-0.1), Float32Array.of(10)];
    const d = updates.map((a) => updates.map((b) => (a[0]! - b[0]!) ** 2));
    const { selected, scores } = krumSelect(d, 1, 1);
    expect(scores[3]).toBeCloseTo(9.9 ** 2, 4); // its single nearest other is 0.1 away... at 9.9
    expect(selected).toEqual([0]);
    const k = robust({ name: 'krum', f: 1 }).aggregateRobust(Float32Array.of(1), new MemoryUpdateSet(updates), null);
    expect([...k.weights]).toEqual([1]);
    const mk = robust({ name: 'multi-krum', f: 1 }).aggregateRobust(
      Float32Array.of(1),
      new MemoryUpdateSet(updates),
      null,
    );
    expect(mk.selected).toEqual([0, 1, 2]);
    expect(mk.weights[0]).toBeCloseTo(1, 6);
  });

  it('median and trimmed mean through the strategy, block by block', () => {
    const updates = [
      Float32Array.of(1, -1, 0),
      Float32Array.of(2, -2, 0),
      Float32Array.of(3, -3, 0),
      Float32Array.of(-100, 100, 50),
    ];
    const med = robust({ name: 'median' }).aggregateRobust(
      Float32Array.of(0, 0, 0),
      new MemoryUpdateSet(updates),
      null,
    );
    expect([...med.weights]).toEqual([1.5, -1.5, 0]);
    const tm = robust({ name: 'trimmed-mean' }).aggregateRobust(
      Float32Array.of(0, 0, 0),
      new MemoryUpdateSet(updates),
      null,
    );
    expect([...tm.weights]).toEqual([1.5, -1.5, 0]);
  });

  it('robust strategies are refused with secure aggregation, naming the field', () => {
    for (const name of ['krum', 'multi-krum', 'trimmed-mean', 'median'])
      expect(() =>
        parseExperiment({
          ...HEART_DISEASE.experiment,
          clients: { min: 4 },
          strategy: { name },
          secagg: { mode: 'secagg' },
        }),
      ).toThrow(
        new RegExp(`strategy\\.name: ${name} needs every site's individual update, which secure aggregation hides`),
      );
    expect(() =>
      parseExperiment({
        ...HEART_DISEASE.experiment,
        clients: { min: 4 },
        strategy: { name: 'fedadam' },
        secagg: { mode: 'secagg' },
      }),
    ).not.toThrow();
  });
});
