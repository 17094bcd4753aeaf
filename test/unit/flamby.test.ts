// data.preprocessing: flamby gives FLamby's Fed-Heart-Disease rows: its per-centre train/test counts
// (flamby/datasets/fed_heart_disease/README.md: 199/104, 172/89, 30/16, 85/45), 13 inputs, each centre
// standardised with its own training rows; other data is refused; and a model trained on it learns.
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import { parseCsv } from '../../shared/data/csv.js';
import { flambyEncoding } from '../../shared/data/features.js';
import { flambyCentreOf, flambyCentres, flambyPooledTrain } from '../../shared/data/flamby.js';
import { readTableFile } from '../../shared/data/read-table.js';
import { loadSiteData } from '../../shared/data/site.js';
import { initBackend } from '../../shared/models/backend.js';
import { evaluateLocal, trainLocal } from '../../shared/models/train.js';
import { modelFor } from '../../shared/models/zoo.js';
import { HEART_DISEASE_FLAMBY, preprocessedDataset } from '../../simulation/datasets.js';
import { planSimulation } from '../../simulation/experiment.js';

const cfg = parseExperiment(HEART_DISEASE_FLAMBY.experiment, 'heart-disease-flamby');
const data = cfg.data.format === 'csv' ? cfg.data : undefined;
if (!data) throw new Error('heart-disease-flamby is csv');

const FLAMBY_COUNTS: Record<string, [number, number]> = {
  cleveland: [199, 104],
  hungary: [172, 89],
  switzerland: [30, 16],
  va: [85, 45],
};

describe('flamby preprocessing', () => {
  it("gives FLamby's train and test rows per centre and 13 inputs", () => {
    let total = 0;
    for (const [site, file] of Object.entries(HEART_DISEASE_FLAMBY.sites)) {
      const d = loadSiteData(file, data);
      expect([d.train.n, d.test.n], site).toEqual(FLAMBY_COUNTS[site]);
      expect(d.featureNames).toHaveLength(13);
      expect(d.train.x).toHaveLength(d.train.n * 13);
      expect(d.test.x).toHaveLength(d.test.n * 13);
      total += d.train.n + d.test.n;
      // Standardised on the centre's training rows: each input's training mean is 0.
      for (let k = 0; k < 13; k++) {
        let m = 0;
        for (let i = 0; i < d.train.n; i++) m += d.train.x[i * 13 + k]!;
        expect(Math.abs(m / d.train.n), `${site} ${d.featureNames[k]}`).toBeLessThan(1e-5);
      }
    }
    expect(total).toBe(740);
    expect(flambyEncoding(data).names).toEqual([
      'age',
      'sex',
      'cp=2',
      'cp=3',
      'cp=4',
      'trestbps',
      'chol',
      'fbs',
      'restecg=1',
      'restecg=2',
      'thalach',
      'exang',
      'oldpeak',
    ]);
  });

  it('recognises each centre by its rows, and refuses other data', () => {
    for (const [site, file] of Object.entries(HEART_DISEASE_FLAMBY.sites))
      expect(flambyCentreOf(readTableFile(file, data)).site).toBe(site);
    expect(Object.values(flambyCentres()).map((c) => c.flambyCentre)).toEqual([0, 1, 2, 3]);
    const other = parseCsv('63,1,1,145,233,1,2,150,0,2.3,3,0,6,0\n67,1,4,160,286,0,2,108,1,1.5,2,3,3,2\n', data);
    expect(() => flambyCentreOf(other)).toThrow(/none of them/);
  });

  it('--preprocessing flamby plans the flamby variant with its 15 rounds and no update bounds', () => {
    expect(preprocessedDataset('heart-disease', 'flamby')).toBe('heart-disease-flamby');
    expect(() => preprocessedDataset('fashion-mnist', 'flamby')).toThrow(/not available/);
    const plan = planSimulation({ dataset: 'heart-disease-flamby', out: 'x', baselines: false, backend: 'cpu' });
    expect(plan.config.rounds).toBe(15);
    expect(plan.config.clients).toMatchObject({ min: 4, normBoundMultiple: 0, maxWeightShare: 1 });
    expect(plan.config.train).toMatchObject({ batchSize: 4, learningRate: 0.001, optimizer: 'sgd' });
    // The plain heart-disease set keeps its own settings.
    const plain = planSimulation({ dataset: 'heart-disease', out: 'x', baselines: false, backend: 'cpu' });
    expect(plain.config.rounds).toBe(20);
    expect(plain.config.clients.normBoundMultiple).toBe(5);
  });

  it("learns on FLamby's pooled training rows (mean centre test accuracy > 0.6)", async () => {
    await initBackend('cpu');
    const pooled = flambyPooledTrain(
      Object.values(HEART_DISEASE_FLAMBY.sites).map((f) => readTableFile(f, data)),
      data,
      flambyEncoding(data),
    );
    expect(pooled.n).toBe(486);
    const model = await modelFor({ ...cfg, seed: 42 });
    await trainLocal(
      model,
      pooled,
      { ...cfg.train, optimizer: 'adam', learningRate: 0.01, batchSize: 16, epochs: 20 },
      2,
      1,
    );
    let sum = 0;
    for (const file of Object.values(HEART_DISEASE_FLAMBY.sites))
      sum += (await evaluateLocal(model, loadSiteData(file, data).test, 2)).accuracy;
    model.dispose();
    expect(sum / 4).toBeGreaterThan(0.6);
  }, 30_000);
});
