// Record-level DP at a site (DP-SGD): each row's influence is clipped, and the site's own ledger is
// the accountant's composition over the steps it ran.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { idxDataSchema, trainSchema } from '../../shared/config/schema.js';
import type { Examples } from '../../shared/data/features.js';
import { initBackend } from '../../shared/models/backend.js';
import { dpSgdSchedule, trainDpSgd } from '../../shared/models/dp-sgd.js';
import { trainLocal } from '../../shared/models/train.js';
import { buildModel, getFlatWeights } from '../../shared/models/zoo.js';
import { RdpAccountant } from '../../shared/privacy/rdp.js';
import type { TaskSpec } from '../../shared/protocol/task-spec.js';
import { RecordPrivacy } from '../../worker/record-privacy.js';
import { SiteBudget } from '../../worker/site-budget.js';

/** Rows far from the decision boundary, so unclipped gradients are large. */
function data(n: number, scale: number): Examples {
  const x = new Float32Array(n * 4);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (y[i] ? 1 : -1) * scale * (1 + ((i + j) % 3));
  }
  return { x, y, n };
}

const norm = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - (b[i] ?? 0)) ** 2, 0));

describe('DP-SGD at a site', () => {
  it('with every row in every step, one step moves the model by at most lr * clip; plain SGD moves far more', async () => {
    await initBackend('cpu');
    const rows = data(40, 5);
    const cfg = trainSchema.parse({ epochs: 1, batchSize: 40, learningRate: 0.1 });
    const run = async (dp: boolean) => {
      const model = buildModel({ zoo: 'logreg' }, 4, 2, 7);
      // Start at zero: every row's gradient is large (about 10) and points the same way.
      model.setWeights(model.getWeights().map((w) => tf.zerosLike(w)));
      const before = getFlatWeights(model).values;
      if (dp) await trainDpSgd(model, rows, cfg, { noiseMultiplier: 1e-6, clip: 0.5, delta: 1e-5 }, 2);
      else await trainLocal(model, rows, cfg, 2, 1);
      const moved = norm(getFlatWeights(model).values, before);
      model.dispose();
      return moved;
    };
    expect(dpSgdSchedule(40, cfg)).toEqual({ q: 1, steps: 1 });
    const dp = await run(true);
    expect(dp).toBeLessThanOrEqual(0.1 * 0.5 * 1.001);
    expect(dp).toBeGreaterThan(0.1 * 0.5 * 0.9); // every row clipped to C, all pointing the same way
    expect(await run(false)).toBeGreaterThan(10 * dp);
  });

  it("the site's epsilon composes (q, z) over every step on its rows, across experiments and restarts, and its cap refuses a round before it trains", async () => {
    await initBackend('cpu');
    const rows = data(200, 1);
    const train = trainSchema.parse({
      epochs: 2,
      batchSize: 20,
      learningRate: 0.05,
      dpSgd: { noiseMultiplier: 1.2, clip: 1 },
    });
    const spec: TaskSpec = {
      data: idxDataSchema.parse({ format: 'idx' }),
      model: { zoo: 'logreg' },
      train,
      dpClip: undefined,
      secure: false,
      seed: 1,
      dpNoiseMultiplier: 0,
      colludingSites: 0,
      roundSites: 2,
      rounds: 3,
      manifestHash: '',
      manifestJson: '',
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-budget-'));
    const budget = () => new SiteBudget(dir, { statistics: 50, evaluations: 5000 }, undefined);
    const ledger = new RecordPrivacy(budget());
    const model = buildModel({ zoo: 'logreg' }, 4, 2, 7);
    let eps = 0;
    for (let round = 1; round <= 3; round++)
      eps = (await ledger.train('exp', 'rows', model, rows, spec, 2, round)).recordEpsilon ?? NaN;
    const { q, steps } = dpSgdSchedule(200, train);
    expect(q).toBeCloseTo(0.1);
    expect(steps).toBe(20);
    expect(eps).toBeCloseTo(new RdpAccountant().compose(0.1, 1.2, 3 * 20).epsilon(1e-5), 10);
    // Another experiment on the same rows composes with the first, even in a restarted worker
    // (the ledger is per data set, kept on disk): a coordinator cannot reset it by starting anew.
    const again = new RecordPrivacy(budget());
    const other = await again.train('exp-2', 'rows', model, rows, spec, 2, 1);
    const composed = new RdpAccountant().compose(0.1, 1.2, 4 * 20).epsilon(1e-5);
    expect(other.recordEpsilon).toBeCloseTo(composed, 10);
    expect(other.recordEpsilon).toBeGreaterThan(new RdpAccountant().compose(0.1, 1.2, 20).epsilon(1e-5) + 0.1);
    // Another data set of the site has its own ledger.
    const elsewhere = await again.train('exp-2', 'other-rows', model, rows, spec, 2, 1);
    expect(elsewhere.recordEpsilon).toBeCloseTo(new RdpAccountant().compose(0.1, 1.2, 20).epsilon(1e-5), 10);
    // With a cap between what is spent and what one more round would spend, the round is refused
    // before it trains, and the ledger does not move.
    const cap = (composed + new RdpAccountant().compose(0.1, 1.2, 5 * 20).epsilon(1e-5)) / 2;
    const capped = new RecordPrivacy(new SiteBudget(dir, { statistics: 50, evaluations: 5000 }, cap));
    const w0 = Float32Array.from(model.getWeights()[0]!.dataSync());
    await expect(capped.train('exp-3', 'rows', model, rows, spec, 2, 1)).rejects.toMatchObject({
      code: 'BUDGET_SPENT',
      message: expect.stringMatching(/maxRecordEpsilon/),
    });
    expect(Float32Array.from(model.getWeights()[0]!.dataSync())).toEqual(w0);
    const after = await new RecordPrivacy(budget()).train('exp-3', 'rows', model, rows, spec, 2, 1);
    expect(after.recordEpsilon).toBeCloseTo(new RdpAccountant().compose(0.1, 1.2, 5 * 20).epsilon(1e-5), 10);
    fs.rmSync(dir, { recursive: true, force: true });
    model.dispose();
  });
});
