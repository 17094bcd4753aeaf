// Krum and Multi-Krum (Blanchard et al. 2017): keep the update(s) closest to their n - f - 2 nearest
// neighbours, assuming at most f Byzantine sites; Multi-Krum averages the m best.
import { RobustBase } from './robust.js';
import { addPairwiseSquaredDistances, krumSelect } from './robust-math.js';
import type { StrategyState, UpdateSet } from './strategy.js';

export class Krum extends RobustBase {
  constructor(
    readonly name: 'krum' | 'multi-krum',
    readonly f: number,
    /** Updates averaged: 1 for Krum; for Multi-Krum default n - f. */
    readonly m: number | undefined,
  ) {
    super();
  }
  aggregateRobust(
    global: Float32Array,
    updates: UpdateSet,
    state: StrategyState,
  ): { weights: Float32Array; state: StrategyState; selected: number[] } {
    const n = updates.count;
    const d = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (const { rows } of updates.blocks()) addPairwiseSquaredDistances(rows, d);
    const m = this.name === 'krum' ? 1 : (this.m ?? Math.max(1, n - this.f));
    const { selected } = krumSelect(d, this.f, m);
    const weights = Float32Array.from(global);
    for (const { offset, rows } of updates.blocks()) {
      for (const i of selected) {
        const r = rows[i]!;
        for (let j = 0; j < r.length; j++) weights[offset + j]! += r[j]! / selected.length;
      }
    }
    return { weights, state, selected };
  }
}
