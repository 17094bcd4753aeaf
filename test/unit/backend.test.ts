import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../shared/errors/index.js';
import { initBackend, pickBackend } from '../../shared/models/backend.js';

describe('TF.js backend choice', () => {
  it('prefers tensorflow > wasm > cpu', () => {
    expect(pickBackend(new Set(['cpu', 'wasm', 'tensorflow']))).toBe('tensorflow');
    expect(pickBackend(new Set(['cpu', 'wasm']))).toBe('wasm');
    expect(pickBackend(new Set(['cpu']))).toBe('cpu');
  });

  it('honours an explicit choice and explains a missing one', () => {
    expect(pickBackend(new Set(['cpu', 'wasm']), 'cpu')).toBe('cpu');
    expect(() => pickBackend(new Set(['cpu', 'wasm']), 'tensorflow')).toThrow(DependencyError);
    expect(() => pickBackend(new Set(['cpu', 'wasm']), 'tensorflow')).toThrow(/install @tensorflow\/tfjs-node/);
  });

  it('initialises a real backend here and says which and why', async () => {
    const b = await initBackend('auto');
    expect(['tensorflow', 'wasm']).toContain(b.backend);
    expect(tf.getBackend()).toBe(b.backend);
    expect(b.reason.length).toBeGreaterThan(0);
  });

  it('wasm Conv2DBackpropFilter matches the cpu backend gradient', async () => {
    await initBackend('wasm');
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'same'],
      [1, 'valid'],
      [2, 'valid'],
    ] as const) {
      const dyShape = tf.conv2d(x, tf.zeros([5, 5, 3, 4]) as tf.Tensor4D, stride, pad).shape;
      const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 2);
      const grad = tf.grad((f: tf.Tensor) =>
        tf
          .conv2d(x, f as tf.Tensor4D, stride, pad)
          .mul(dy)
          .sum(),
      );
      await tf.setBackend('wasm');
      const onWasm = await grad(tf.zeros([5, 5, 3, 4])).data();
      await tf.setBackend('cpu');
      const onCpu = await grad(tf.zeros([5, 5, 3, 4])).data();
      await tf.setBackend('wasm');
      let maxDiff = 0;
      for (let i = 0; i < onCpu.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onWasm[i]! - onCpu[i]!));
      expect(maxDiff, `stride ${stride} ${pad}`).toBeLessThan(1e-3);
      expect(onCpu.some((v) => v !== 0)).toBe(true);
    }
  });

  it('a conv model trains on wasm', async () => {
    await initBackend('wasm');
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1], padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1 }),
      ],
    });
    m.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const before = m.getWeights()[0]!.dataSync().slice();
    await m.fit(tf.randomNormal([8, 8, 8, 1]), tf.randomNormal([8, 1]), { epochs: 1, verbose: 0 });
    const after = m.getWeights()[0]!.dataSync();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
  });
});
