// FedProx (Li et al. 2020): FedAvg aggregation; each site adds mu/2 ||w - w_global||^2 to its local
// loss, which keeps heterogeneous sites from drifting. The term is applied in the worker's training loop.
import type { TrainConfig } from '../../shared/config/schema.js';
import { FedAvg } from './fedavg.js';

export class FedProx extends FedAvg {
  override readonly name = 'fedprox';
  constructor(readonly mu: number) {
    super();
  }
  override configureFit(_round: number, train: TrainConfig): TrainConfig {
    return { ...train, proximalMu: this.mu };
  }
}
