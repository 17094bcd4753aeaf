// train.localSteps (FLamby's num_updates) and logreg's PyTorch initialisation: local training makes
// exactly that many updates, the setting survives the wire and the manifest check, and the initial
// weights are PyTorch's nn.Linear range, seeded.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { TrainConfig } from '../../shared/config/schema.js';
import { trainLocal } from '../../shared/models/train.js';
import { buildModel, getFlatWeights } from '../../shared/models/zoo.js';
import { encodeTaskSpec, parseTaskSpec } from '../../shared/protocol/task-spec.js';

const N = 12;
const data = {
  n: N,
  x: Float32Array.from({ length: N * 3 }, (_, i) => Math.sin(i)),
  y: Int32Array.from({ length: N }, (_, i) => i % 2),
};
const base: TrainConfig = parseExperiment({ data: { columns: ['a', 'y'], label: 'y', binarise: '> 0' } }).train;

async function weightsAfter(train: Partial<TrainConfig>): Promise<Float32Array> {
  const model = buildModel({ zoo: 'logreg' }, 3, 2, 5);
  await trainLocal(model, data, { ...base, learningRate: 0.5, ...train }, 2, 9);
  const w = getFlatWeights(model).values;
  model.dispose();
  return w;
}

describe('train.localSteps', () => {
  it('makes exactly that many updates (full batches: the order of rows does not matter)', async () => {
    const three = await weightsAfter({ batchSize: N, localSteps: 3 });
    expect(three).toEqual(await weightsAfter({ batchSize: N, epochs: 3 }));
    expect(three).not.toEqual(await weightsAfter({ batchSize: N, localSteps: 2 }));
  });

  it('goes on past the end of the rows: 7 batches of 4 from 12 rows', async () => {
    const seven = await weightsAfter({ batchSize: 4, localSteps: 7 });
    expect(seven).not.toEqual(await weightsAfter({ batchSize: 4, epochs: 2 }));
    expect(seven).not.toEqual(await weightsAfter({ batchSize: 4, epochs: 3 }));
    expect([...seven].every(Number.isFinite)).toBe(true);
  });

  it('travels in the task spec, and cannot be combined with DP-SGD', () => {
    const cfg = parseExperiment({
      data: { columns: ['a', 'y'], label: 'y', binarise: '> 0' },
      train: { localSteps: 100, batchSize: 4 },
    });
    const spec = {
      data: cfg.data,
      model: cfg.model,
      train: cfg.train,
      dpClip: undefined,
      secure: false,
      seed: 1,
      dpNoiseMultiplier: 0,
      colludingSites: 0,
      roundSites: 1,
      rounds: 1,
      manifestHash: '',
      manifestJson: '',
    };
    const wire = JSON.parse(JSON.stringify(encodeTaskSpec(spec)));
    expect(parseTaskSpec(wire, 't').train.localSteps).toBe(100);
    const without = JSON.parse(JSON.stringify(encodeTaskSpec({ ...spec, train: base })));
    expect(parseTaskSpec(without, 't').train.localSteps).toBeUndefined();
    expect(() =>
      parseExperiment({
        data: { columns: ['a', 'y'], label: 'y', binarise: '> 0' },
        train: { localSteps: 10, dpSgd: { noiseMultiplier: 1, clip: 1 } },
      }),
    ).toThrow(/localSteps and dpSgd cannot be combined/);
  });
});

describe("logreg's PyTorch initialisation", () => {
  it('draws kernel and bias within 1/sqrt(inputs), the same for a seed', () => {
    const a = getFlatWeights(buildModel({ zoo: 'logreg', init: 'pytorch' }, 13, 2, 3)).values;
    const b = getFlatWeights(buildModel({ zoo: 'logreg', init: 'pytorch' }, 13, 2, 3)).values;
    expect(a).toEqual(b);
    const bound = 1 / Math.sqrt(13);
    expect(Math.max(...[...a].map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(a[13]).not.toBe(0); // the bias: PyTorch's is drawn too, Glorot's default is zero
    const glorot = getFlatWeights(buildModel({ zoo: 'logreg' }, 13, 2, 3)).values;
    expect(glorot[13]).toBe(0);
    tf.disposeVariables();
  });
});
