// FedAvg (McMahan et al. 2017): the example-weighted mean of the sites' deltas, added to the global model.
import type { ExperimentConfig } from '../../shared/config/schema';
import { applyMeanDelta, foldWeighted, weightedMetrics } from './math';
import type { FitAccumulator, Strategy } from './strategy';

export class WeightedSumAccumulator implements FitAccumulator {
  readonly sum: Float32Array;
  totalWeight = 0;
  count = 0;
  constructor(numParams: number) {
    this.sum = new Float32Array(numParams);
  }
  fold(slice: Float32Array, offset: number, weight: number): void {
    foldWeighted(this.sum, slice, offset, weight);
  }
  addWeight(weight: number): void {
    this.totalWeight += weight;
    this.count++;
  }
}

export class FedAvg implements Strategy<null> {
  readonly name: string = 'fedavg';
  readonly linear = true;
  initialState(): null {
    return null;
  }
  configureFit(_round: number, config: ExperimentConfig): ExperimentConfig['train'] {
    return config.train;
  }
  createAccumulator(numParams: number): WeightedSumAccumulator {
    return new WeightedSumAccumulator(numParams);
  }
  aggregateFit(global: Float32Array, acc: FitAccumulator, state: null): { weights: Float32Array; state: null } {
    const sum = (acc as WeightedSumAccumulator).sum;
    return { weights: applyMeanDelta(global, sum, acc.totalWeight), state };
  }
  aggregateEvaluate(results: { examples: number; values: Record<string, number> }[]): Record<string, number> {
    return weightedMetrics(results);
  }
}
