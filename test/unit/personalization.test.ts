// Personalization's pieces: where the head is, what is withheld of a delta, FedRep's freezing, Ditto's
// pull toward the global model, the settings' checks and the report's per-site table.
import type * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { finalPersonalization } from '../../coordinator/experiments/personal-final.js';
import { personalMarkdown, personalTable } from '../../coordinator/experiments/report-personal.js';
import type { RoundRecord } from '../../coordinator/experiments/round-record.js';
import { parseExperiment } from '../../shared/config/load.js';
import { personalizationSchema, type TrainConfig } from '../../shared/config/schema.js';
import { ConfigError } from '../../shared/errors/index.js';
import { initBackend } from '../../shared/models/backend.js';
import { trainLocal } from '../../shared/models/train.js';
import { buildModel, getFlatWeights, setFlatWeights, weightSpecs } from '../../shared/models/zoo.js';
import { headIsZero, headOf, headRanges, putHead, takeHead, withholdHead } from '../../shared/personalization/head.js';
import { trainDittoPersonal, trainWithHead } from '../../shared/personalization/train.js';
import { rng } from '../../shared/random.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

const DIM = 6;
const TRAIN: TrainConfig = {
  epochs: 2,
  batchSize: 8,
  learningRate: 0.1,
  optimizer: 'sgd',
  proximalMu: 0,
  restrictedSoftmax: false,
};

/** 64 rows of 3 classes, separable by the first features. */
function site(seed = 3) {
  const r = rng(seed);
  const n = 64;
  const x = new Float32Array(n * DIM);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < DIM; j++) x[i * DIM + j] = r() - 0.5 + (j === y[i] ? 1.5 : 0);
  }
  return { x, y, n };
}

const mlp = (): tf.LayersModel => buildModel({ zoo: 'mlp', hidden: [8] }, DIM, 3, 1);
const changed = (a: Float32Array, b: Float32Array, [s, e]: [number, number]) =>
  a.subarray(s, e).some((v, i) => v !== b[s + i]);

describe('personalization', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("finds the head: the last layers' weights, or the output bias; a head of the whole model is refused", () => {
    const m = mlp(); // hidden kernel, hidden bias, output kernel, output bias
    expect(headOf(m, 1)).toEqual({ tensors: [2, 3], size: 8 * 3 + 3 });
    expect(headOf(m, 'bias')).toEqual({ tensors: [3], size: 3 });
    expect(() => headOf(m, 2)).toThrow(ConfigError);
    expect(() => headOf(m, 2)).toThrow(/share nothing/);
    const logreg = buildModel({ zoo: 'logreg' }, DIM, 2, 1);
    expect(headOf(logreg, 'bias')).toEqual({ tensors: [1], size: 1 });
    expect(() => headOf(logreg, 1)).toThrow(/head: bias/);
  });

  it('takes, puts back and withholds exactly the head part of a flat vector', () => {
    const m = mlp();
    const specs = weightSpecs(m);
    const head = headOf(m, 1);
    const values = Float32Array.from({ length: getFlatWeights(m).values.length }, (_, i) => i + 1);
    const ranges = headRanges(specs, head);
    const [s, e] = [ranges[0]![0], ranges.at(-1)![1]];
    expect(e).toBe(values.length); // the output layer is last
    const h = takeHead(values, specs, head);
    expect(Array.from(h)).toEqual(Array.from(values.subarray(s, e)));
    const other = new Float32Array(values.length);
    putHead(other, specs, head, h);
    expect(Array.from(other.subarray(s, e))).toEqual(Array.from(h));
    expect(other.subarray(0, s).every((v) => v === 0)).toBe(true);
    withholdHead(values, specs, head);
    expect(headIsZero(values, specs, head)).toBe(true);
    expect(values.subarray(0, s).every((v, i) => v === i + 1)).toBe(true);
    expect(() => putHead(other, specs, head, new Float32Array(2))).toThrow(/2 values/);
  });

  it('FedRep trains the head with the body frozen, then the body with the head frozen; the weight order is kept', async () => {
    const m = mlp();
    const specs = weightSpecs(m);
    const head = headOf(m, 1);
    const data = site();
    const before = getFlatWeights(m).values;
    const ranges = headRanges(specs, head);
    const headRange: [number, number] = [ranges[0]![0], ranges.at(-1)![1]];
    const body: [number, number] = [0, headRange[0]];
    const phases: { head: boolean; body: boolean }[] = [];
    let last = before;
    await trainWithHead(
      m,
      { method: 'fedrep', head: 1, headEpochs: 1, lambda: 0, fineTuneEpochs: 1 },
      head,
      TRAIN,
      async (t, only) => {
        const r = await trainLocal(m, data, t, 3, 1, only ? { only } : {});
        const now = getFlatWeights(m).values;
        phases.push({ head: changed(now, last, headRange), body: changed(now, last, body) });
        last = now;
        return r;
      },
    );
    expect(phases).toEqual([
      { head: true, body: false },
      { head: false, body: true },
    ]);
    expect(weightSpecs(m)).toEqual(specs);
  });

  it("Ditto's personal model stays nearer the global model the larger lambda is", async () => {
    const m = mlp();
    const global = getFlatWeights(m);
    const data = site(5);
    const distance = async (lambda: number) => {
      const v = await trainDittoPersonal(m, global, global, lambda, data, { ...TRAIN, epochs: 5 }, 3, 7);
      return Math.hypot(...Array.from(v, (x, i) => x - global.values[i]!));
    };
    const free = await distance(0);
    const pulled = await distance(5);
    expect(free).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(free * 0.8);
    setFlatWeights(m, global);
  });

  it('settings: defaults, and no personalization with an app or in async mode', () => {
    expect(personalizationSchema.parse({ method: 'fedrep' })).toEqual({
      method: 'fedrep',
      head: 1,
      headEpochs: 1,
      lambda: 0.1,
      fineTuneEpochs: 1,
    });
    expect(() => personalizationSchema.parse({ method: 'perfedavg' })).toThrow();
    expect(() =>
      parseExperiment({ ...HEART_DISEASE.experiment, mode: 'async', personalization: { method: 'ditto' } }),
    ).toThrow(/personalization: it runs in synchronous rounds/);
  });

  it("the report's table: personalized beside global and alone, with the mean gains", () => {
    const last = {
      personalSiteAccuracy: { a: 0.9, b: 0.8 },
      meanPersonalSiteAccuracy: 0.85,
      siteEval: {
        a: { accuracy: 0.7, loss: 1, examples: 10, personal: { accuracy: 0.9, loss: 0.3 } },
        b: { accuracy: 0.8, loss: 1, examples: 10, personal: { accuracy: 0.8, loss: 0.4 } },
      },
    } as unknown as RoundRecord;
    const personalization = finalPersonalization(
      { method: 'ditto', head: 1, headEpochs: 1, lambda: 0.1, fineTuneEpochs: 1 },
      last,
    )!;
    expect(personalization.globalComparable).toBe(true);
    const report = {
      experiment: { config: { strategy: { name: 'fedavg' } } },
      final: { siteAccuracy: { a: 0.7, b: 0.8 }, personalization },
      baselines: {
        pooled: { siteAccuracy: {}, meanSiteAccuracy: 0, epochs: 1 },
        local: {
          a: { siteAccuracy: { a: 0.85 }, meanSiteAccuracy: 0, epochs: 1 },
          b: { siteAccuracy: { b: 0.6 }, meanSiteAccuracy: 0, epochs: 1 },
        },
      },
    } as unknown as Parameters<typeof personalTable>[0];
    const t = personalTable(report)!;
    expect(t.meanGain).toBeCloseTo(0.1, 10); // (0.2 + 0) / 2
    expect(t.meanGainOverBest).toBeCloseTo(0.025, 10); // (0.05 + 0) / 2
    expect(personalMarkdown(report).join('\n')).toMatch(/\| a \| 90\.0% \| 70\.0% \| 85\.0% \|/);
    // fedrep's own global head never trains: without a FedAvg run beside it there is no global column.
    const fedrep = {
      ...report,
      final: { ...report.final, personalization: { ...personalization, globalComparable: false } },
    };
    expect(personalTable(fedrep as typeof report)!.mean.global).toBeUndefined();
  });
});
