// The experiment a simulation runs, and its sites: a shipped data set's config, or your own config
// (`--config`, as `accord submit` takes it) over your own data files (`--site`), with the command's overrides.
import fs from 'node:fs';
import path from 'node:path';
import { loadExperimentFile, parseExperiment } from '../shared/config/load.js';
import type { ExperimentConfig, ExperimentInput } from '../shared/config/schema.js';
import { ConfigError, DependencyError } from '../shared/errors/index.js';
import { inlineModel } from '../shared/models/topology.js';
import { getDataset, type ShippedDataset } from './datasets.js';
import type { SimulateOptions } from './options.js';
import { badSiteName } from './own-sites.js';

export interface SimulationPlan {
  /** A shipped data set, or your own sites' files under your config's name. */
  dataset: ShippedDataset;
  /** The natural split's sites, or site000, site001, ... sharing out a partitioned set. */
  sites: string[];
  config: ExperimentConfig;
}

/** Rounds of a shipped data set when --rounds is not given and the data set names none. */
export const DEFAULT_ROUNDS = 20;

export function planSimulation(opts: SimulateOptions): SimulationPlan {
  if (opts.config !== undefined) return planOwnData(opts, opts.config);
  if (opts.sites !== undefined)
    throw new ConfigError('--site and --sites need --config: your experiment config, run on your sites');
  const ds = getDataset(opts.dataset ?? 'heart-disease');
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
  checkByzantine(opts, ds.name, sites);
  const sampled = Math.ceil(fraction * nClients);
  const input = withOverrides(
    { ...ds.experiment, rounds: opts.rounds ?? ds.experiment.rounds ?? DEFAULT_ROUNDS },
    opts,
    // With many simulated clients a round commits when 80% of the sampled sites answer.
    part
      ? { min: Math.max(1, sampled), fraction, quorum: Math.max(1, Math.floor(0.8 * sampled)) }
      : { ...ds.experiment.clients, min: nClients, fraction },
    ds.strategyDefaults,
    ds.personalizationDefaults,
  );
  return { dataset: ds, sites, config: parseExperiment(input, `simulation of ${ds.name}`) };
}

function checkByzantine(opts: SimulateOptions, name: string, sites: string[]): void {
  if (opts.byzantine && opts.byzantine.count >= sites.length)
    throw new ConfigError(
      `--byzantine ${opts.byzantine.count}: ${name} has ${sites.length} sites; at least one must stay honest`,
    );
}

/**
 * Your experiment config over your sites' files: the same config `accord submit` takes (errors name the
 * file and the key), each site a worker process reading its own file, as the shipped heart-disease
 * hospitals do. clients.min becomes the sites of a round (all of them, or clients.fraction of them), so
 * every round samples from the whole simulated federation; the config's rounds stand unless --rounds is given.
 */
function planOwnData(opts: SimulateOptions, file: string): SimulationPlan {
  if (opts.dataset !== undefined)
    throw new ConfigError(
      `--dataset ${opts.dataset} and --config: give one (--dataset runs a shipped data set with its own experiment; --config runs yours on your --site files)`,
    );
  if (opts.clients !== undefined || opts.partition)
    throw new ConfigError(
      '--clients, --partition, --alpha and --beta split a shipped data set among simulated clients; with --config each --site is one site',
    );
  const given = opts.sites ?? {};
  const names = Object.keys(given);
  if (names.length < 2)
    throw new ConfigError(
      `--config needs at least 2 sites (--site NAME=PATH for each, or --sites FILE); got ${names.length}`,
    );
  const base = loadExperimentFile(file);
  const data = base.data;
  if (data.format === 'synthetic')
    throw new ConfigError(`${file}: data.format: synthetic sites generate their own rows; run --dataset synthetic`);
  const sites: Record<string, string> = {};
  for (const [site, f] of Object.entries(given)) {
    const why = badSiteName(site);
    if (why) throw new ConfigError(`site ${why}`);
    const abs = path.resolve(f);
    if (!fs.existsSync(abs)) throw new ConfigError(`site ${site}: no such file: ${abs}`);
    const dir = fs.statSync(abs).isDirectory();
    if (data.format === 'csv' && dir)
      throw new ConfigError(`site ${site}: ${abs} is a folder; data.format csv (${file}) reads one file per site`);
    if (data.format === 'idx' && !dir)
      throw new ConfigError(
        `site ${site}: ${abs} is not a folder; data.format idx (${file}) reads a folder per site (IDX files, or <class>/<image>.png folders)`,
      );
    sites[site] = abs;
  }
  checkByzantine(opts, base.name, names);
  // Paths in the config are read from its folder, as `accord submit` reads model.path.
  const from = path.dirname(path.resolve(file));
  const fraction = opts.fraction ?? base.clients.fraction;
  const min = Math.max(1, Math.ceil(fraction * names.length));
  if (base.clients.quorum !== undefined && base.clients.quorum > min)
    throw new ConfigError(
      `${file}: clients.quorum: ${base.clients.quorum} is more than the ${min} sites of each round (${names.length} sites given)`,
    );
  const input = withOverrides(
    {
      ...base,
      rounds: opts.rounds ?? base.rounds,
      model: inlineModel(base.model, from),
      ...(base.eval.central ? { eval: { ...base.eval, central: path.resolve(from, base.eval.central) } } : {}),
    },
    opts,
    { ...base.clients, min, fraction },
  );
  const dataset: ShippedDataset = { name: base.name, sites, experiment: input };
  return { dataset, sites: names, config: parseExperiment(input, file) };
}

/**
 * `base` with the command's overrides, each spread only when given so the experiment's own settings
 * stay otherwise; the strategy: its name (--strategy, else the experiment's), then its tuned values for
 * this data set, the experiment's own settings of that strategy, and --strategy-param.
 */
/** The data section with federated analytics asked for (CSV data only: a clear error otherwise). */
function withAnalysis(data: ExperimentInput['data']): ExperimentInput['data'] {
  const d = data as { format?: string; analysis?: unknown };
  if (d.format !== undefined && d.format !== 'csv')
    throw new ConfigError(`--analyze profiles CSV columns; this data set is ${d.format}`);
  return { ...(data as object), analysis: d.analysis ?? {} } as ExperimentInput['data'];
}

function withOverrides(
  base: ExperimentInput,
  opts: SimulateOptions,
  clients: NonNullable<ExperimentInput['clients']>,
  strategyDefaults?: ShippedDataset['strategyDefaults'],
  personalizationDefaults?: ShippedDataset['personalizationDefaults'],
): ExperimentInput {
  const params = opts.strategyParams ?? {};
  const strategyName = opts.strategy ?? base.strategy?.name ?? 'fedavg';
  const ownStrategy = base.strategy?.name === strategyName ? base.strategy : {};
  return {
    ...base,
    clients: {
      ...clients,
      // Only the bounds given: an undefined one would not keep its default.
      ...Object.fromEntries(Object.entries(opts.bounds ?? {}).filter(([, v]) => v !== undefined)),
    },
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.analyze ? { data: withAnalysis(base.data) } : {}),
    ...(opts.target !== undefined ? { eval: { ...base.eval, target: opts.target } } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.personalization
      ? { personalization: { ...personalizationDefaults, ...base.personalization, ...opts.personalization } }
      : {}),
    train: { ...base.train, ...opts.train },
    ...(opts.secagg ? { secagg: { ...base.secagg, ...opts.secagg } } : {}),
    ...(opts.dp ? { dp: { ...base.dp, ...opts.dp } } : {}),
    ...(opts.async
      ? {
          mode: 'async' as const,
          async: JSON.parse(JSON.stringify({ ...base.async, ...opts.async })) as NonNullable<ExperimentInput['async']>,
        }
      : {}),
    ...(opts.strategy || Object.keys(params).length
      ? {
          strategy: {
            name: strategyName,
            ...strategyDefaults?.[strategyName],
            ...ownStrategy,
            ...params,
          } as ExperimentInput['strategy'],
        }
      : {}),
  };
}
