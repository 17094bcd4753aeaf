// Coordinate-wise trimmed mean (Yin et al. 2018): drop the beta fraction of largest and smallest values
// of each coordinate, average the rest.
import { BlockwiseRobust } from './robust.js';
import { trimmedMeanBlock } from './robust-math.js';

export class TrimmedMean extends BlockwiseRobust {
  readonly name = 'trimmed-mean';
  constructor(readonly beta: number) {
    super();
  }
  protected combine(rows: Float32Array[], out: Float32Array): void {
    trimmedMeanBlock(rows, this.beta, out);
  }
}
