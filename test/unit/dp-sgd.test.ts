// Record-level DP at a site (DP-SGD): each row's influence is clipped, and the site's own ledger is
// the accountant's composition over the steps it ran.
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

  it("the site's epsilon is the accountant's composition of (q, z) over all the steps it trained", async () => {
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
    const ledger = new RecordPrivacy();
    const model = buildModel({ zoo: 'logreg' }, 4, 2, 7);
    let eps = 0;
    for (let round = 1; round <= 3; round++)
      eps = (await ledger.train('exp', model, rows, spec, 2, round)).recordEpsilon ?? NaN;
    const { q, steps } = dpSgdSchedule(200, train);
    expect(q).toBeCloseTo(0.1);
    expect(steps).toBe(20);
    expect(eps).toBeCloseTo(new RdpAccountant().compose(0.1, 1.2, 3 * 20).epsilon(1e-5), 10);
    // Another experiment starts its own ledger.
    const other = await ledger.train('exp-2', model, rows, spec, 2, 1);
    expect(other.recordEpsilon).toBeCloseTo(new RdpAccountant().compose(0.1, 1.2, 20).epsilon(1e-5), 10);
    model.dispose();
  });
});
