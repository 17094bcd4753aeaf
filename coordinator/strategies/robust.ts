// Shared shape of the robust strategies: they read every update (unweighted, as in their papers) and
// combine them coordinate block by coordinate block, so memory is O(sites x block), not O(sites x model).
import type { TrainConfig } from '../../shared/config/schema.js';
import { weightedMetrics } from './math.js';
import type { RobustStrategy, StrategyState, UpdateSet } from './strategy.js';

/** What every robust strategy shares: no server state, plain local training, weighted metrics. */
export abstract class RobustBase implements RobustStrategy {
  abstract readonly name: string;
  readonly linear = false as const;
  initialState(_numParams: number): StrategyState {
    return null;
  }
  configureFit(_round: number, train: TrainConfig): TrainConfig {
    return train;
  }
  aggregateEvaluate(results: { examples: number; values: Record<string, number> }[]): Record<string, number> {
    return weightedMetrics(results);
  }
  abstract aggregateRobust(
    global: Float32Array,
    updates: UpdateSet,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState; selected?: number[] };
}

/** Robust strategies that combine each coordinate block on its own (median, trimmed mean). */
export abstract class BlockwiseRobust extends RobustBase {
  protected abstract combine(rows: Float32Array[], out: Float32Array): void;
  aggregateRobust(
    global: Float32Array,
    updates: UpdateSet,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState } {
    const weights = new Float32Array(global.length);
    for (const { offset, rows } of updates.blocks()) {
      const out = new Float32Array(rows[0]!.length);
      this.combine(rows, out);
      for (let j = 0; j < out.length; j++) weights[offset + j] = global[offset + j]! + out[j]!;
    }
    return { weights, state };
  }
}
