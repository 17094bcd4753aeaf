// FedYogi (Reddi et al. 2021): v = v - (1 - beta2) delta^2 sign(v - delta^2), which grows v more gently than Adam.
import { AdaptiveServerOptimizer } from './adaptive.js';

export class FedYogi extends AdaptiveServerOptimizer {
  override readonly name = 'fedyogi';
  protected readonly kind = 'yogi' as const;
}
