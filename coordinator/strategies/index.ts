// Strategy registry: config -> implementation, with each paper's defaults from the config schema.
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { FedAdagrad } from './fedadagrad.js';
import { FedAdam } from './fedadam.js';
import { FedAvg } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import { FedProx } from './fedprox.js';
import { FedYogi } from './fedyogi.js';
import { Krum } from './krum.js';
import { Median } from './median.js';
import type { Strategy } from './strategy.js';
import { TrimmedMean } from './trimmed-mean.js';

export { FedAvg } from './fedavg.js';
export type { FitAccumulator, LinearStrategy, RobustStrategy, Strategy, StrategyState, UpdateSet } from './strategy.js';

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
