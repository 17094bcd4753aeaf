// FedProx (Li et al. 2020): FedAvg aggregation; each site adds mu/2 ||w - w_global||^2 to its local
// loss, which keeps heterogeneous sites from drifting. The term is applied in the worker's training loop.
import type { ExperimentConfig } from '../../shared/config/schema';
import { FedAvg } from './fedavg';

export class FedProx extends FedAvg {
  override readonly name = 'fedprox';
  constructor(readonly mu: number) {
    super();
  }
  override configureFit(_round: number, config: ExperimentConfig): ExperimentConfig['train'] {
    return { ...config.train, proximalMu: this.mu };
  }
}
