// Coordinate-wise median (Yin et al. 2018): each coordinate of the delta is the median over sites.
import { BlockwiseRobust } from './robust.js';
import { medianBlock } from './robust-math.js';

export class Median extends BlockwiseRobust {
  readonly name = 'median';
  protected combine(rows: Float32Array[], out: Float32Array): void {
    medianBlock(rows, out);
  }
}
