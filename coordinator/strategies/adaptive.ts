// The adaptive server optimisers of Reddi et al. 2021 share one shape: first and second moments of the
// mean delta. FedAdam, FedYogi and FedAdagrad differ only in how the second moment grows.
import { FedAvg } from './fedavg.js';
import { type AdaptiveParams, adaptiveStep } from './math.js';
import type { StrategyState } from './strategy.js';

export abstract class AdaptiveServerOptimizer extends FedAvg {
  protected abstract readonly kind: 'adam' | 'yogi' | 'adagrad';
  constructor(readonly params: AdaptiveParams) {
    super();
  }
  override initialState(numParams: number): StrategyState {
    return { m: new Float32Array(numParams), v: new Float32Array(numParams) };
  }
  override step(
    global: Float32Array,
    delta: Float32Array,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState } {
    const m = Float32Array.from((state?.['m'] as Float32Array | undefined) ?? new Float32Array(global.length));
    const v = Float32Array.from((state?.['v'] as Float32Array | undefined) ?? new Float32Array(global.length));
    return { weights: adaptiveStep(global, delta, m, v, this.params, this.kind), state: { m, v } };
  }
}
