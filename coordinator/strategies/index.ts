// Strategy registry: config name -> implementation.
import type { ExperimentConfig } from '../../shared/config/schema';
import { ConfigError } from '../../shared/errors';
import { FedAvg } from './fedavg';
import type { Strategy } from './strategy';

export type { Strategy, FitAccumulator, FitResultInfo } from './strategy';
export { FedAvg } from './fedavg';

export function createStrategy(cfg: ExperimentConfig['strategy']): Strategy {
  switch (cfg.name) {
    case 'fedavg':
      return new FedAvg() as Strategy;
    default:
      throw new ConfigError(`strategy.name: unknown strategy "${(cfg as { name: string }).name}"`);
  }
}
