// FedAvg (McMahan et al. 2017): the example-weighted mean of the sites' deltas, added to the global
// model. Server optimisers (FedAvgM, FedAdam, ...) reuse its accumulation and override only `step`.
import type { TrainConfig } from '../../shared/config/schema.js';
import { type SimdAccumulator, simdAccumulator } from '../../shared/wasm/fold.js';
import { foldWeighted, meanDelta, weightedMetrics } from './math.js';
import type { FitAccumulator, LinearStrategy, StrategyState } from './strategy.js';

export class WeightedSumAccumulator implements FitAccumulator {
  readonly sum: Float32Array;
  totalWeight = 0;
  count = 0;
  // The WebAssembly SIMD fold where the runtime has it (memory speed); the plain loop otherwise.
  private readonly simd: SimdAccumulator | null;
  constructor(numParams: number) {
    this.simd = simdAccumulator(numParams);
    this.sum = this.simd?.sum ?? new Float32Array(numParams);
  }
  fold(slice: Float32Array, offset: number, weight: number): void {
    if (this.simd) this.simd.fold(slice, offset, weight);
    else foldWeighted(this.sum, slice, offset, weight);
  }
  perturb(change: (sum: Float32Array) => void): void {
    change(this.sum);
  }
  addWeight(weight: number): void {
    this.totalWeight += weight;
    this.count++;
  }
}

export class FedAvg implements LinearStrategy {
  readonly name: string = 'fedavg';
  readonly linear = true as const;
  initialState(_numParams: number): StrategyState {
    return null;
  }
  configureFit(_round: number, train: TrainConfig): TrainConfig {
    return train;
  }
  createAccumulator(numParams: number): WeightedSumAccumulator {
    return new WeightedSumAccumulator(numParams);
  }
  aggregateFit(
    global: Float32Array,
    acc: FitAccumulator,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState } {
    return this.step(global, meanDelta(acc.sum, acc.totalWeight), state);
  }
  /** Server update from the mean delta. FedAvg: x + delta. */
  step(
    global: Float32Array,
    delta: Float32Array,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState } {
    const out = new Float32Array(global.length);
    for (let i = 0; i < global.length; i++) out[i] = global[i]! + delta[i]!;
    return { weights: out, state };
  }
  aggregateEvaluate(results: { examples: number; values: Record<string, number> }[]): Record<string, number> {
    return weightedMetrics(results);
  }
}
