// FedAdagrad (Reddi et al. 2021): v = v + delta^2.
import { AdaptiveServerOptimizer } from './adaptive.js';

export class FedAdagrad extends AdaptiveServerOptimizer {
  override readonly name = 'fedadagrad';
  protected readonly kind = 'adagrad' as const;
}
