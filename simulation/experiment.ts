// The experiment a simulation runs: the shipped data set's config with the command's overrides, and its sites.
import fs from 'node:fs';
import { parseExperiment } from '../shared/config/load.js';
import type { ExperimentConfig, ExperimentInput } from '../shared/config/schema.js';
import { ConfigError, DependencyError } from '../shared/errors/index.js';
import { getDataset, type ShippedDataset } from './datasets.js';
import type { SimulateOptions } from './options.js';

export interface SimulationPlan {
  dataset: ShippedDataset;
  /** The natural split's sites, or site000, site001, ... sharing out a partitioned set. */
  sites: string[];
  config: ExperimentConfig;
}

export function planSimulation(opts: SimulateOptions): SimulationPlan {
  const ds = getDataset(opts.dataset);
  const part = ds.partitioned;
  if (!part && (opts.clients !== undefined || opts.partition || opts.fraction !== undefined))
    throw new ConfigError(
      `--clients, --fraction and --partition apply to partitioned data sets (fashion-mnist, synthetic); ${ds.name} has a natural split of ${Object.keys(ds.sites).length} sites`,
    );
  if (part && !part.generated && !fs.existsSync(part.dir))
    throw new DependencyError(`${ds.name} is not installed at ${part.dir}: ${part.install}`);
  if (part && opts.baselines)
    throw new ConfigError(`--baselines needs a natural split; ${ds.name} is partitioned among simulated clients`);
  const nClients = part ? (opts.clients ?? part.defaultClients) : Object.keys(ds.sites).length;
  const fraction = part ? (opts.fraction ?? part.defaultFraction) : 1;
  const width = Math.max(3, String(nClients - 1).length);
  const sites = part
    ? Array.from({ length: nClients }, (_, i) => `site${String(i).padStart(width, '0')}`)
    : Object.keys(ds.sites);
  if (opts.byzantine && opts.byzantine.count >= sites.length)
    throw new ConfigError(
      `--byzantine ${opts.byzantine.count}: ${ds.name} has ${sites.length} sites; at least one must stay honest`,
    );
  const sampled = Math.ceil(fraction * nClients);
  // Overrides are spread only when given, so the data set's own settings stay otherwise.
  const input: ExperimentInput = {
    ...ds.experiment,
    rounds: opts.rounds,
    // With many simulated clients a round commits when 80% of the sampled sites answer.
    clients: {
      ...(part
        ? { min: Math.max(1, sampled), fraction, quorum: Math.max(1, Math.floor(0.8 * sampled)) }
        : { min: nClients, fraction }),
      // Only the bounds given: an undefined one would not keep its default.
      ...Object.fromEntries(Object.entries(opts.bounds ?? {}).filter(([, v]) => v !== undefined)),
    },
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.target !== undefined ? { eval: { ...ds.experiment.eval, target: opts.target } } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    train: { ...ds.experiment.train, ...opts.train },
    ...(opts.secagg ? { secagg: opts.secagg } : {}),
    ...(opts.dp ? { dp: opts.dp } : {}),
    ...(opts.async
      ? {
          mode: 'async' as const,
          async: JSON.parse(JSON.stringify(opts.async)) as NonNullable<ExperimentInput['async']>,
        }
      : {}),
    ...(opts.strategy
      ? {
          strategy: {
            name: opts.strategy,
            ...ds.strategyDefaults?.[opts.strategy],
            ...opts.strategyParams,
          } as ExperimentInput['strategy'],
        }
      : {}),
  };
  return { dataset: ds, sites, config: parseExperiment(input, `simulation of ${ds.name}`) };
}
