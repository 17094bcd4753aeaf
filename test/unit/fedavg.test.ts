import { describe, expect, it } from 'vitest';
import { FedAvg } from '../../coordinator/strategies/fedavg.js';
import { foldWeighted, meanDelta, weightedMetrics } from '../../coordinator/strategies/math.js';

describe('FedAvg', () => {
  it('adds the example-weighted mean delta to the global model (hand-computed)', () => {
    // global [1, 1]; site A (10 examples) delta [1, 0]; site B (30 examples) delta [-1, 2]
    // mean delta = (10*[1,0] + 30*[-1,2]) / 40 = [-0.5, 1.5]
    const s = new FedAvg();
    const acc = s.createAccumulator(2);
    acc.fold(new Float32Array([1, 0]), 0, 10);
    acc.addWeight(10);
    // B arrives in two slices, as chunks do
    acc.fold(new Float32Array([-1]), 0, 30);
    acc.fold(new Float32Array([2]), 1, 30);
    acc.addWeight(30);
    const { weights } = s.aggregateFit(new Float32Array([1, 1]), acc, null);
    expect([...weights]).toEqual([0.5, 2.5]);
    expect(acc.count).toBe(2);
  });

  it('pure helpers: fold, apply, weighted metrics', () => {
    const acc = new Float32Array(3);
    foldWeighted(acc, new Float32Array([1, 2]), 1, 2);
    expect([...acc]).toEqual([0, 2, 4]);
    expect([...meanDelta(acc, 2)]).toEqual([0, 1, 2]);
    expect(() => meanDelta(new Float32Array(1), 0)).toThrow(/positive/);
    expect(
      weightedMetrics([
        { examples: 1, values: { accuracy: 1, loss: 2 } },
        { examples: 3, values: { accuracy: 0.5, loss: NaN } },
      ]),
    ).toEqual({ accuracy: 0.625, loss: 2 });
  });
});
