// The wasm backend's matrix products with transposed operands (what every dense layer's backward pass
// asks for) go through untransposed products (shared/models/wasm-matmul.ts): the results must be those
// of the definition, for every transpose combination, batched or not, plain or fused with a bias and
// an activation, and the choice between the two ways (transpose the operands, or the result) must not
// change them.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../shared/models/backend.js';
import { wasmProductsWrapped } from '../../shared/models/wasm-matmul.js';

/** C = op(A) op(B) by the definition, in float64. */
function reference(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): number[] {
  const A = (tA ? a.transpose() : a).arraySync() as number[][];
  const B = (tB ? b.transpose() : b).arraySync() as number[][];
  const out: number[] = [];
  for (let i = 0; i < A.length; i++)
    for (let j = 0; j < B[0]!.length; j++) {
      let s = 0;
      for (let p = 0; p < B.length; p++) s += A[i]![p]! * B[p]![j]!;
      out.push(s);
    }
  return out;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  expect(worst).toBeLessThan(1e-4);
}

describe('wasm matrix products with transposed operands', () => {
  beforeAll(async () => {
    expect((await initBackend('wasm')).backend).toBe('wasm');
    expect(wasmProductsWrapped()).toBe(true);
  });

  // Shapes where each way wins: a small a against a large b (dx = dy W^T), and the other way round.
  const shapes = [
    { m: 10, k: 784, n: 200 },
    { m: 200, k: 10, n: 784 },
    { m: 3, k: 5, n: 4 },
  ];
  for (const { m, k, n } of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true])
        it(`matMul ${m}x${k}x${n}, transposeA ${tA}, transposeB ${tB}`, () => {
          const a = tf.randomNormal(tA ? [k, m] : [m, k], 0, 1, 'float32', 1);
          const b = tf.randomNormal(tB ? [n, k] : [k, n], 0, 1, 'float32', 2);
          close(tf.matMul(a, b, tA, tB).dataSync(), reference(a, b, tA, tB));
          tf.dispose([a, b]);
        });

  it('batched (rank 3) products with both operands transposed', () => {
    const a = tf.randomNormal([2, 6, 4], 0, 1, 'float32', 3);
    const b = tf.randomNormal([2, 5, 6], 0, 1, 'float32', 4);
    const got = tf.matMul(a, b, true, true);
    expect(got.shape).toEqual([2, 4, 5]);
    const want = [0, 1].flatMap((i) =>
      reference(a.slice([i], [1]).squeeze([0]), b.slice([i], [1]).squeeze([0]), true, true),
    );
    close(got.dataSync(), want);
  });

  it('fused products keep their bias and activation when an operand is transposed', () => {
    const a = tf.randomNormal([10, 30], 0, 1, 'float32', 5);
    const b = tf.randomNormal([40, 10], 0, 1, 'float32', 6);
    const bias = tf.randomNormal([40], 0, 1, 'float32', 7);
    const got = tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' });
    const want = tf.relu(tf.add(tf.tensor2d(reference(a, b, true, true), [30, 40]), bias));
    close(got.dataSync(), want.dataSync());
  });

  it('a dense layer’s gradients equal those worked out by hand', () => {
    const x = tf.randomNormal([10, 50], 0, 1, 'float32', 8);
    const w = tf.randomNormal([50, 20], 0, 1, 'float32', 9);
    const dy = tf.randomNormal([10, 20], 0, 1, 'float32', 10);
    // f = sum(dy * (x W)): df/dW = x^T dy, df/dx = dy W^T.
    const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(dy, tf.matMul(xx, ww))))([x, w]);
    close(dw!.dataSync(), reference(x, dy, true, false));
    close(dx!.dataSync(), reference(dy, w, false, true));
  });
});
