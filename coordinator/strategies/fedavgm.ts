// FedAvgM (Hsu et al. 2019): server momentum on the mean delta.
import { FedAvg } from './fedavg.js';
import { momentumStep } from './math.js';
import type { StrategyState } from './strategy.js';

export class FedAvgM extends FedAvg {
  override readonly name = 'fedavgm';
  constructor(
    readonly serverLearningRate: number,
    readonly momentum: number,
  ) {
    super();
  }
  override initialState(numParams: number): StrategyState {
    return { m: new Float32Array(numParams) };
  }
  override step(
    global: Float32Array,
    delta: Float32Array,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState } {
    const m = Float32Array.from((state?.['m'] as Float32Array | undefined) ?? new Float32Array(global.length));
    return { weights: momentumStep(global, delta, m, this.serverLearningRate, this.momentum), state: { m } };
  }
}
