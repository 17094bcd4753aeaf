// The Strategy interface, in the spirit of Flower's: configure a round, fold each arriving update
// into an accumulator, produce the new global weights, aggregate metrics. Implementations keep
// their math in pure functions (math.ts) and any state they need across rounds in `state`,
// which is checkpointed with each committed round.
import type { ExperimentConfig } from '../../shared/config/schema';

export interface FitResultInfo {
  site: string;
  /** Weight of the update (training examples). */
  examples: number;
  metrics: Record<string, number>;
}

/** Accumulates updates as they arrive, in O(model) memory. */
export interface FitAccumulator {
  /** Folds a slice of one site's delta starting at `offset` (values). */
  fold(slice: Float32Array, offset: number, weight: number): void;
  /** Called once per complete update, after all its slices. */
  addWeight(weight: number): void;
  readonly totalWeight: number;
  readonly count: number;
}

export interface Strategy<State = unknown> {
  readonly name: string;
  /** Linear strategies fold updates as they arrive (and can work under secure aggregation). */
  readonly linear: boolean;
  initialState(): State;
  /** Per-round train config sent to every selected site (e.g. learning-rate schedules). */
  configureFit(round: number, config: ExperimentConfig): ExperimentConfig['train'];
  createAccumulator(numParams: number): FitAccumulator;
  /** New global weights from the previous ones and the accumulated updates. */
  aggregateFit(global: Float32Array, acc: FitAccumulator, state: State): { weights: Float32Array; state: State };
  aggregateEvaluate(results: { examples: number; values: Record<string, number> }[]): Record<string, number>;
}
