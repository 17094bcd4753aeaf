// The Strategy interface, in the spirit of Flower's: configure a round, aggregate the sites' updates
// into new global weights, aggregate metrics. Linear strategies fold each update as it arrives (and so
// work under secure aggregation); robust ones need every update on its own and read them in blocks.
// The math lives in pure functions (math.ts, robust-math.ts); state that must survive across rounds
// (momentum, Adam moments) is returned as `state` and checkpointed with each committed round.
import type { TrainConfig } from '../../shared/config/schema.js';

/** State a strategy carries between rounds: numbers and vectors. */
export type StrategyState = Record<string, number | Float32Array> | null;

/** Accumulates updates as they arrive, in O(model) memory. */
export interface FitAccumulator {
  /** Folds a slice of one site's delta starting at `offset` (values). */
  fold(slice: Float32Array, offset: number, weight: number): void;
  /** Called once per complete update, after all its slices. */
  addWeight(weight: number): void;
  /**
   * Lets a wrapper change the weighted sum before the strategy reads it (differential privacy adds
   * its noise here).
   */
  perturb(change: (sum: Float32Array) => void): void;
  /** The weighted sum of the folded updates. */
  readonly sum: Float32Array;
  readonly totalWeight: number;
  readonly count: number;
}

/** Every site's update, readable in blocks of coordinates (robust strategies). */
export interface UpdateSet {
  readonly count: number;
  readonly length: number;
  /** For each block of coordinates: one row per update, all of the same length. */
  blocks(size?: number): Iterable<{ offset: number; rows: Float32Array[] }>;
}

interface StrategyBase {
  readonly name: string;
  initialState(numParams: number): StrategyState;
  /** This round's local training settings for every selected site, from the experiment's (e.g. FedProx adds its proximal term). */
  configureFit(round: number, train: TrainConfig): TrainConfig;
  aggregateEvaluate(results: { examples: number; values: Record<string, number> }[]): Record<string, number>;
}

export interface LinearStrategy extends StrategyBase {
  readonly linear: true;
  createAccumulator(numParams: number): FitAccumulator;
  /** New global weights from the previous ones and the accumulated updates. */
  aggregateFit(
    global: Float32Array,
    acc: FitAccumulator,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState };
}

export interface RobustStrategy extends StrategyBase {
  readonly linear: false;
  aggregateRobust(
    global: Float32Array,
    updates: UpdateSet,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState; selected?: number[] };
}

export type Strategy = LinearStrategy | RobustStrategy;
