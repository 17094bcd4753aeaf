// Strategy registry: config -> implementation, with each paper's defaults from the config schema.
import type { ExperimentConfig } from '../../shared/config/schema';
import { FedAdagrad } from './fedadagrad';
import { FedAdam } from './fedadam';
import { FedAvg } from './fedavg';
import { FedAvgM } from './fedavgm';
import { FedProx } from './fedprox';
import { FedYogi } from './fedyogi';
import { Krum } from './krum';
import { Median } from './median';
import type { Strategy } from './strategy';
import { TrimmedMean } from './trimmed-mean';

export { FedAvg } from './fedavg';
export type { FitAccumulator, LinearStrategy, RobustStrategy, Strategy, StrategyState, UpdateSet } from './strategy';

export function createStrategy(cfg: ExperimentConfig['strategy']): Strategy {
  switch (cfg.name) {
    case 'fedavg':
      return new FedAvg();
    case 'fedprox':
      return new FedProx(cfg.mu);
    case 'fedavgm':
      return new FedAvgM(cfg.serverLearningRate, cfg.momentum);
    case 'fedadam':
      return new FedAdam({ eta: cfg.eta, beta1: cfg.beta1, beta2: cfg.beta2, tau: cfg.tau });
    case 'fedyogi':
      return new FedYogi({ eta: cfg.eta, beta1: cfg.beta1, beta2: cfg.beta2, tau: cfg.tau });
    case 'fedadagrad':
      return new FedAdagrad({ eta: cfg.eta, beta1: cfg.beta1, beta2: 0, tau: cfg.tau });
    case 'krum':
      return new Krum('krum', cfg.f, 1);
    case 'multi-krum':
      return new Krum('multi-krum', cfg.f, cfg.m);
    case 'trimmed-mean':
      return new TrimmedMean(cfg.beta);
    case 'median':
      return new Median();
  }
}
