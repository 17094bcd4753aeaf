// FedAdam (Reddi et al. 2021): v = beta2 v + (1 - beta2) delta^2.
import { AdaptiveServerOptimizer } from './adaptive.js';

export class FedAdam extends AdaptiveServerOptimizer {
  override readonly name = 'fedadam';
  protected readonly kind = 'adam' as const;
}
