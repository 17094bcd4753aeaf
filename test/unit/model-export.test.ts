import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import { initBackend } from '../../shared/models/backend.js';
import { exportModel } from '../../shared/models/export.js';
import { createModel, getFlatWeights, setFlatWeights } from '../../shared/models/zoo.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

describe('models', () => {
  it('exports TF.js layers format that tf.loadLayersModel reads back with the same predictions', async () => {
    await initBackend();
    const cfg = parseExperiment({ ...HEART_DISEASE.experiment, model: { zoo: 'mlp', hidden: [8] } });
    expect(cfg.data.format).toBe('csv');
    const m = await createModel(cfg.model, 13, 2, 3);
    const w = getFlatWeights(m);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-export-'));
    await exportModel(cfg, w, dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    expect(bin.byteLength).toBe(w.values.byteLength);
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(bin).buffer,
      }),
    );
    const x = tf.randomNormal([5, 13], 0, 1, 'float32', 4);
    const a = await (m.predict(x) as tf.Tensor).data();
    const b = await (loaded.predict(x) as tf.Tensor).data();
    expect([...b]).toEqual([...a]);
    expect(json.userDefinedMetadata.inputs).toHaveLength(13);
  });

  it('a model.json topology can be the experiment model; a mismatch with the data is a clear error', async () => {
    await initBackend();
    const cfg = parseExperiment({ ...HEART_DISEASE.experiment, model: { zoo: 'mlp', hidden: [4] } });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-topo-'));
    const m = await createModel(cfg.model, 13, 2, 1);
    await exportModel(cfg, getFlatWeights(m), dir);
    const loaded = await createModel({ path: path.join(dir, 'model.json') }, 13, 2, 1);
    expect(loaded.weights.map((v) => v.shape)).toEqual(m.weights.map((v) => v.shape));
    setFlatWeights(loaded, getFlatWeights(m));
    await expect(createModel({ path: path.join(dir, 'model.json') }, 12, 2, 1)).rejects.toThrow(
      /model takes 13 inputs, the data has 12 features/,
    );
    await expect(createModel({ path: path.join(dir, 'nope.json') }, 13, 2, 1)).rejects.toThrow(
      /model\.path: cannot read/,
    );
  });

  it('the zoo seeds initial weights: the same seed gives the same model in every process', async () => {
    await initBackend();
    const cfg = parseExperiment(HEART_DISEASE.experiment);
    const a = getFlatWeights(await createModel(cfg.model, 13, 2, 7)).values;
    const b = getFlatWeights(await createModel(cfg.model, 13, 2, 7)).values;
    const c = getFlatWeights(await createModel(cfg.model, 13, 2, 8)).values;
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });
});
