// `accord simulate`: a whole federation on this machine in one command.
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ExportedModels } from '../coordinator/experiments/report.js';
import { parseAttack } from '../shared/attack.js';
import type { ExperimentConfig } from '../shared/config/schema.js';
import { ConfigError } from '../shared/errors/index.js';
import { backendUnavailable } from '../shared/models/backend.js';
import { preprocessedDataset } from '../simulation/datasets.js';
import { parseSiteFlags, readSitesFile } from '../simulation/own-sites.js';
import { finalTable } from '../simulation/report.js';
import { type SimulateOptions, simulate } from '../simulation/run.js';
import { loadSitePolicy } from '../worker/policy.js';
import { action, printJson, redisClusterOption } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

/** A parser of a numeric flag; `expected` says what `ok` accepts. */
function numberFlag(expected: string, ok: (n: number) => boolean) {
  return (v: string) => {
    const n = Number(v);
    // Commander reports an InvalidArgumentError as one line naming the option, and exits non-zero.
    if (!ok(n)) throw new InvalidArgumentError(`expected ${expected}`);
    return n;
  };
}

const int = numberFlag('a positive integer', (n) => Number.isInteger(n) && n >= 1);

const positive = (zeroOk = false) =>
  numberFlag(`a ${zeroOk ? 'non-negative' : 'positive'} number`, (n) => n > 0 || (zeroOk && n === 0));

interface SimulateFlags {
  dataset?: string;
  preprocessing?: string;
  config?: string;
  site: string[];
  sites?: string;
  export: string;
  rounds?: number;
  out: string;
  redis?: string;
  redisCluster?: string;
  baselines?: boolean;
  analyze?: boolean;
  backend: string;
  seed?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  restrictedSoftmax?: boolean;
  personalize?: string;
  head?: string;
  lambda?: number;
  headEpochs?: number;
  finetuneEpochs?: number;
  clients?: number;
  fraction?: number;
  partition: string;
  labelsPerClient?: number;
  alpha?: number;
  beta?: number;
  model?: string;
  pool?: number;
  target?: number;
  strategy?: string;
  strategyParam: string[];
  byzantine?: number;
  normBoundMultiple?: number;
  maxWeightShare?: number;
  maxUpdateNorm?: number;
  sitePolicy?: string;
  attack: string;
  secagg?: string;
  dropAfter?: string;
  dpNoise?: number;
  dpSgdNoise?: number;
  dpSgdClip?: number;
  dpSgdDelta?: number;
  dpClip?: number;
  dpDelta?: number;
  dpMaxEpsilon?: number;
  colludingSites?: number;
  corruptFraction?: number;
  json?: boolean;
  stragglers?: number;
  slowdown?: number;
  async?: boolean;
  concurrency?: number;
  bufferSize?: number;
  stalenessExponent?: number;
}

const fractionFlag = numberFlag('a fraction between 0 and 1', (n) => n >= 0 && n <= 1);
const factorFlag = numberFlag('a factor of at least 1', (n) => n >= 1);

/** --stragglers and --slowdown: the share of slow sites and how slow (default 5x). */
function stragglerFlags(o: SimulateFlags): SimulateOptions['stragglers'] {
  if (o.stragglers === undefined) {
    if (o.slowdown !== undefined) throw new ConfigError('--slowdown needs --stragglers');
    return undefined;
  }
  return { fraction: o.stragglers, slowdown: o.slowdown ?? 5 };
}

/** --async and its settings (FedBuff). */
function asyncFlags(o: SimulateFlags): SimulateOptions['async'] {
  const given = o.concurrency !== undefined || o.bufferSize !== undefined || o.stalenessExponent !== undefined;
  if (!o.async) {
    if (given) throw new ConfigError('--concurrency, --buffer-size and --staleness-exponent need --async');
    return undefined;
  }
  return {
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    ...(o.bufferSize !== undefined ? { bufferSize: o.bufferSize } : {}),
    ...(o.stalenessExponent !== undefined ? { stalenessExponent: o.stalenessExponent } : {}),
  };
}

const DROP_STAGES = ['advertise-keys', 'share-keys', 'masked-input'] as const;

function secaggFlags(o: SimulateFlags): Partial<ExperimentConfig['secagg']> | undefined {
  if (!o.secagg) {
    if (o.dropAfter || o.colludingSites !== undefined || o.corruptFraction !== undefined)
      throw new ConfigError('--drop-after, --colluding-sites and --corrupt-fraction need --secagg');
    return undefined;
  }
  if (o.secagg !== 'secagg' && o.secagg !== 'secaggplus')
    throw new ConfigError(`--secagg: expected secagg or secaggplus, got "${o.secagg}"`);
  let dropout: ExperimentConfig['secagg']['dropout'];
  if (o.dropAfter) {
    const m = /^([a-z-]+):(\d+)$/.exec(o.dropAfter);
    if (!m || !DROP_STAGES.includes(m[1] as (typeof DROP_STAGES)[number]) || Number(m[2]) < 1)
      throw new ConfigError(
        `--drop-after: expected STAGE:COUNT with STAGE one of ${DROP_STAGES.join(', ')}, got "${o.dropAfter}"`,
      );
    dropout = { after: m[1] as (typeof DROP_STAGES)[number], count: Number(m[2]) };
  }
  return {
    mode: o.secagg,
    ...(dropout ? { dropout } : {}),
    ...(o.colludingSites !== undefined ? { colludingSites: o.colludingSites } : {}),
    ...(o.corruptFraction !== undefined ? { corruptFraction: o.corruptFraction } : {}),
  };
}

/** --personalize and its settings; a setting without --personalize (or of another method) is refused. */
function personalizationFlags(o: SimulateFlags): SimulateOptions['personalization'] {
  const given = (
    [
      ['--head', o.head !== undefined, ['fedper', 'fedrep']],
      ['--lambda', o.lambda !== undefined, ['ditto']],
      ['--head-epochs', o.headEpochs !== undefined, ['fedrep']],
      ['--finetune-epochs', o.finetuneEpochs !== undefined, ['finetune']],
    ] as const
  ).filter(([, g]) => g);
  for (const [flag, , methods] of given)
    if (!o.personalize || !(methods as readonly string[]).includes(o.personalize))
      throw new ConfigError(`${flag} applies to --personalize ${methods.join(' or ')}`);
  if (!o.personalize) return undefined;
  let head: number | 'bias' | undefined;
  if (o.head !== undefined) {
    head = o.head === 'bias' ? 'bias' : Number(o.head);
    if (head !== 'bias' && !(Number.isInteger(head) && head >= 1))
      throw new ConfigError(`--head: expected a number of layers (1 or more) or bias, got "${o.head}"`);
  }
  return {
    method: o.personalize as 'fedper' | 'fedrep' | 'ditto' | 'finetune',
    ...(head !== undefined ? { head } : {}),
    ...(o.lambda !== undefined ? { lambda: o.lambda } : {}),
    ...(o.headEpochs !== undefined ? { headEpochs: o.headEpochs } : {}),
    ...(o.finetuneEpochs !== undefined ? { fineTuneEpochs: o.finetuneEpochs } : {}),
  };
}

function partitionFlag(o: SimulateFlags): NonNullable<SimulateOptions['partition']> {
  if (o.dataset === 'synthetic') {
    if (o.partition !== 'iid') throw new ConfigError('--partition: synthetic sites generate their own rows');
    return { scheme: 'synthetic', alpha: o.alpha, beta: o.beta };
  }
  if (o.beta !== undefined) throw new ConfigError('--beta applies to --dataset synthetic');
  if (!['iid', 'dirichlet', 'shards', 'pathological'].includes(o.partition))
    throw new ConfigError(`--partition: expected iid, dirichlet, shards or pathological, got "${o.partition}"`);
  if (o.alpha !== undefined && o.partition !== 'dirichlet')
    throw new ConfigError('--alpha applies to --partition dirichlet and --dataset synthetic');
  if (o.labelsPerClient !== undefined && o.partition !== 'pathological')
    throw new ConfigError('--labels-per-client applies to --partition pathological');
  return {
    scheme: o.partition as 'iid' | 'dirichlet' | 'shards' | 'pathological',
    alpha: o.alpha,
    ...(o.partition === 'pathological' ? { labels: o.labelsPerClient ?? 2 } : {}),
  };
}

/**
 * --config with --site or --sites: your experiment on your sites' files. The flags that split a shipped
 * data set among simulated clients are refused (`partitionGiven`: --partition given, not its default).
 */
function ownDataFlags(o: SimulateFlags, partitionGiven: boolean): Pick<SimulateOptions, 'config' | 'sites'> {
  if (o.config === undefined) {
    if (o.site.length || o.sites !== undefined)
      throw new ConfigError('--site and --sites need --config: your experiment config (YAML), run on those sites');
    return {};
  }
  if (o.dataset !== undefined)
    throw new ConfigError(
      '--dataset and --config: give one (--dataset runs a shipped data set with its own experiment; --config runs yours on your --site files)',
    );
  const split = [
    ['--clients', o.clients !== undefined],
    ['--partition', partitionGiven],
    ['--alpha', o.alpha !== undefined],
    ['--labels-per-client', o.labelsPerClient !== undefined],
    ['--beta', o.beta !== undefined],
  ].filter(([, given]) => given);
  if (split.length)
    throw new ConfigError(
      `${split.map(([flag]) => flag).join(', ')}: ${split.length > 1 ? 'these split' : 'splits'} a shipped data set among simulated clients; with --config each --site is one site`,
    );
  if (o.site.length && o.sites !== undefined)
    throw new ConfigError(
      '--site and --sites: give the sites one way (repeated --site NAME=PATH, or one --sites FILE)',
    );
  const sites = o.sites !== undefined ? readSitesFile(o.sites) : parseSiteFlags(o.site);
  const n = Object.keys(sites).length;
  if (n < 2)
    throw new ConfigError(
      `--config needs at least 2 sites (--site NAME=PATH for each, or --sites FILE); got ${n}${o.sites !== undefined ? ` in ${o.sites}` : ''}`,
    );
  return { config: o.config, sites };
}

function modelFlag(
  name: string,
): { zoo: 'logreg' } | { zoo: '2nn' } | { zoo: 'cnn' } | { zoo: 'mlp'; hidden: number[] } {
  if (name === 'logreg' || name === '2nn' || name === 'cnn') return { zoo: name };
  if (name === 'mlp') return { zoo: 'mlp', hidden: [32] };
  throw new ConfigError(`--model: expected logreg, mlp, 2nn or cnn, got "${name}"`);
}

function strategyParams(list: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kv of list) {
    const m = /^([A-Za-z0-9]+)=(-?[0-9.eE+-]+)$/.exec(kv);
    if (!m || !Number.isFinite(Number(m[2])))
      throw new ConfigError(`--strategy-param: expected NAME=NUMBER, got "${kv}"`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** A policy file checked here (a bad one fails before any process starts), passed to every worker as a path. */
function policyFlag(file: string): string {
  loadSitePolicy(file);
  return path.resolve(file);
}

/** Checked here so a bad spec fails before any process starts; workers parse it again. */
function attackFlag(spec: string): string {
  parseAttack(spec);
  return spec;
}

/** Record-level DP (DP-SGD at each site): both --dp-sgd-noise and --dp-sgd-clip, or neither. */
function dpSgdFlags(o: SimulateFlags): { dpSgd?: NonNullable<ExperimentConfig['train']['dpSgd']> } {
  if (o.dpSgdNoise === undefined && o.dpSgdClip === undefined) {
    if (o.dpSgdDelta !== undefined) throw new ConfigError('--dp-sgd-delta needs --dp-sgd-noise and --dp-sgd-clip');
    return {};
  }
  if (o.dpSgdNoise === undefined || o.dpSgdClip === undefined)
    throw new ConfigError('record-level differential privacy needs both --dp-sgd-noise and --dp-sgd-clip');
  return { dpSgd: { noiseMultiplier: o.dpSgdNoise, clip: o.dpSgdClip, delta: o.dpSgdDelta ?? 1e-5 } };
}

function dpFlags(o: SimulateFlags): ExperimentConfig['dp'] {
  if (o.dpNoise === undefined && o.dpClip === undefined) {
    if (o.dpMaxEpsilon !== undefined || o.dpDelta !== undefined)
      throw new ConfigError('--dp-max-epsilon and --dp-delta need --dp-noise and --dp-clip');
    return undefined;
  }
  if (o.dpNoise === undefined || o.dpClip === undefined)
    throw new ConfigError('differential privacy needs both --dp-noise and --dp-clip');
  return {
    noise: o.dpNoise,
    clip: o.dpClip,
    delta: o.dpDelta ?? 1e-5,
    ...(o.dpMaxEpsilon !== undefined ? { maxEpsilon: o.dpMaxEpsilon } : {}),
  };
}

/** A requested backend that cannot run here fails before any process starts: one line naming why, exit 2. */
async function backendFlag(name: string): Promise<string> {
  const why = await backendUnavailable(name);
  if (why) throw new ConfigError(`--backend ${name}: ${why}`);
  return name;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description(DESCRIPTIONS['simulate'])
    .option(
      '--dataset <name>',
      'shipped data set: heart-disease (four hospitals; the default), fashion-mnist or synthetic (simulated clients); not with --config',
    )
    .option(
      '--preprocessing <name>',
      "heart-disease: flamby, FLamby's rows, fixed split, scaling and FedAvg settings (docs/flamby.md); not with --config (set data.preprocessing)",
    )
    .option(
      '--config <file>',
      'your own experiment config (YAML, as `accord submit` takes) run on your own data: one site per --site, or --sites',
    )
    .option(
      '--site <name=path>',
      "with --config: a site and its data file (repeat for each site, at least 2; the config's data.format reads it)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--sites <file>',
      "with --config: a YAML mapping of site name to data file, relative paths from the file's folder",
    )
    .option(
      '--rounds <n>',
      "training rounds (default 20; --preprocessing flamby: 15; with --config, the config's rounds)",
      int,
    )
    .option('--out <dir>', 'output directory (report.json, report.md, model/)', 'runs/latest')
    .option('--redis <url>', 'use this Redis instead of a private redis-server')
    .addOption(redisClusterOption())
    .addOption(
      new Option(
        '--export <which>',
        "the model in OUT/model/: the last committed round's, or the best-scoring round's (the other goes beside it, in model-best/ or model-last/)",
      )
        .choices(['last', 'best'])
        .default('last'),
    )
    .option('--baselines', 'also train each site alone and all rows pooled, for comparison')
    .option(
      '--analyze',
      "federated analytics first: each site's column profile (counts, missingness, histograms; small cells withheld), pooled, per site, drift and flags, to analysis.json, .md and .html",
    )
    .option(
      '--backend <name>',
      'TF.js backend: auto (tensorflow > webgpu > wasm > cpu), tensorflow, webgpu, wasm, cpu',
      'auto',
    )
    .option('--seed <n>', 'seed of initialisation, sampling and shuffling', int)
    .option('--epochs <n>', 'local epochs per round', int)
    .option('--batch-size <n>', 'local batch size', int)
    .option('--lr <x>', 'local learning rate', positive())
    .option(
      '--restricted-softmax',
      'each site normalises its loss over the classes it holds (FedRS; the fashion-mnist default)',
    )
    .option('--no-restricted-softmax', "plain softmax loss at every site (the FedAvg paper's)")
    .addOption(
      new Option(
        '--personalize <method>',
        'each site also gets a model of its own, kept and exported at the site: fedper or fedrep (a head that never leaves), ditto (a personal model pulled toward the global one), finetune (the global model trained locally); with --baselines, fedper and fedrep first run without it for the global column (docs/personalization.md)',
      ).choices(['fedper', 'fedrep', 'ditto', 'finetune']),
    )
    .option(
      '--head <n|bias>',
      "fedper, fedrep: the site's part, its last N layers with weights or the output layer's bias (default 1; heart-disease: bias)",
    )
    .option('--lambda <x>', 'ditto: the pull of the personal model toward the global one (default 0.1)', positive(true))
    .option('--head-epochs <n>', 'fedrep: head epochs before the body each round (default 1)', int)
    .option('--finetune-epochs <n>', 'finetune: local epochs from the global model (default 1)', int)
    .option(
      '--clients <n>',
      'partitioned data sets: number of simulated sites (fashion-mnist: 100); not with --config',
      int,
    )
    .option(
      '--fraction <f>',
      'share of sites sampled each round (fashion-mnist: 0.1)',
      numberFlag('a number in (0, 1]', (n) => n > 0 && n <= 1),
    )
    .option(
      '--partition <scheme>',
      'how a partitioned data set is split: iid, dirichlet, shards or pathological (N labels per client); not with --config',
      'iid',
    )
    .option('--labels-per-client <n>', 'labels each client holds, for --partition pathological (default 2)', int)
    .option(
      '--alpha <a>',
      "Dirichlet concentration for --partition dirichlet; synthetic: how much the sites' models differ (default 1)",
      positive(true),
    )
    .option('--beta <b>', "synthetic: how much the sites' inputs differ (default 1)", positive(true))
    .option('--model <name>', 'zoo model: logreg, mlp, 2nn, cnn')
    .option('--pool <n>', 'worker processes hosting the simulated sites (default 4)', int)
    .option('--target <accuracy>', 'stop once this accuracy is reached', positive())
    .option(
      '--strategy <name>',
      'aggregation strategy (fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad, krum, multi-krum, trimmed-mean, median)',
    )
    .option(
      '--strategy-param <k=v>',
      'a strategy setting, e.g. eta=0.1 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--byzantine <n>', 'simulate n Byzantine sites (with --attack)', int)
    .option(
      '--site-policy <file>',
      'a site policy (YAML) that every simulated site applies, as `accord worker --policy` does',
    )
    .option('--attack <spec>', 'what Byzantine sites do: scale:F, signflip, noise:S', 'scale:-10')
    .option(
      '--norm-bound-multiple <m>',
      "scale an update down to m x the round's median update norm when above it (0: off; default 3)",
      positive(true),
    )
    .option(
      '--max-weight-share <f>',
      "the largest share of a round's weight one site may have (1: off; default 0.5)",
      numberFlag('a number in (0, 1]', (n) => n > 0 && n <= 1),
    )
    .option('--max-update-norm <n>', "an absolute bound on one site's update norm (default none)", positive())
    .option('--secagg <mode>', 'secure aggregation: secagg (all pairs) or secaggplus (k neighbours)')
    .option(
      '--drop-after <stage:count>',
      'simulate dropouts: that many clients vanish after advertise-keys, share-keys or masked-input each round',
    )
    .option('--dp-noise <z>', 'differential privacy: noise multiplier (needs --dp-clip)', positive(true))
    .option(
      '--dp-sgd-noise <z>',
      'record-level DP at each site (DP-SGD): noise multiplier (needs --dp-sgd-clip)',
      positive(),
    )
    .option('--dp-sgd-clip <c>', "record-level DP: L2 bound of each row's gradient", positive())
    .option('--dp-sgd-delta <d>', "record-level DP: delta of each site's (epsilon, delta) (default 1e-5)", positive())
    .option('--dp-clip <c>', "differential privacy: L2 bound of each site's delta", positive())
    .option('--dp-delta <d>', 'delta of the reported (epsilon, delta)', positive())
    .option('--dp-max-epsilon <e>', 'stop before a round would spend more than this epsilon', positive())
    .option(
      '--colluding-sites <c>',
      'secure aggregation: sites that may collude with the coordinator (thresholds and DP noise shares allow for them; default 0)',
      numberFlag('a whole number >= 0', (n) => Number.isInteger(n) && n >= 0),
    )
    .option(
      '--corrupt-fraction <f>',
      'secure aggregation: share of sites assumed corrupt; thresholds outvote the corrupt neighbours it implies (default 0.05)',
      numberFlag('a fraction in [0, 0.5)', (n) => n >= 0 && n < 0.5),
    )
    .option(
      '--stragglers <fraction>',
      'simulate stragglers: this share of the sites (seeded) runs slower',
      fractionFlag,
    )
    .option('--slowdown <factor>', 'how many times slower a straggler is (default 5)', factorFlag)
    .option('--async', 'asynchronous FedBuff: a new model every --buffer-size updates; --rounds counts versions')
    .option('--concurrency <n>', 'async: sites training at once (default: the round size)', int)
    .option('--buffer-size <k>', 'async: updates per model version (default 5)', int)
    .option(
      '--staleness-exponent <a>',
      'async: an update tau versions old weighs (1 + tau)^-a (default 0.5)',
      positive(true),
    )
    .option('--json', 'print the report as JSON instead of a table')
    .action(
      action(async (o: SimulateFlags, cmd: Command) => {
        const own = ownDataFlags(o, cmd.getOptionValueSource('partition') === 'cli');
        if (o.preprocessing !== undefined && o.config !== undefined)
          throw new ConfigError(
            '--preprocessing applies to a shipped data set; with --config set data.preprocessing in your config',
          );
        const secagg = secaggFlags(o);
        const dp = dpFlags(o);
        const report = await simulate({
          dataset:
            o.preprocessing !== undefined
              ? preprocessedDataset(o.dataset ?? 'heart-disease', o.preprocessing)
              : o.dataset,
          ...own,
          rounds: o.rounds,
          out: o.out,
          redisUrl: o.redis,
          redisCluster: o.redisCluster,
          baselines: Boolean(o.baselines),
          analyze: Boolean(o.analyze),
          export: o.export as 'last' | 'best',
          backend: await backendFlag(o.backend),
          seed: o.seed,
          // Only the flags given, so the data set's other train settings stay.
          train: {
            ...(o.epochs ? { epochs: o.epochs } : {}),
            ...(o.batchSize ? { batchSize: o.batchSize } : {}),
            ...(o.lr ? { learningRate: o.lr } : {}),
            ...(o.restrictedSoftmax !== undefined ? { restrictedSoftmax: o.restrictedSoftmax } : {}),
            ...dpSgdFlags(o),
          },
          secagg,
          dp,
          // Parameters without --strategy apply to the experiment's strategy (the shipped sets': fedavg).
          ...(o.strategy || o.strategyParam.length
            ? { strategy: o.strategy, strategyParams: strategyParams(o.strategyParam) }
            : {}),
          clients: o.clients,
          fraction: o.fraction,
          partition:
            o.clients !== undefined || o.partition !== 'iid' || o.alpha !== undefined || o.beta !== undefined
              ? partitionFlag(o)
              : undefined,
          model: o.model ? modelFlag(o.model) : undefined,
          pool: o.pool,
          target: o.target,
          byzantine: o.byzantine ? { count: o.byzantine, attack: attackFlag(o.attack) } : undefined,
          bounds: {
            ...(o.normBoundMultiple !== undefined ? { normBoundMultiple: o.normBoundMultiple } : {}),
            ...(o.maxWeightShare !== undefined ? { maxWeightShare: o.maxWeightShare } : {}),
            ...(o.maxUpdateNorm !== undefined ? { maxUpdateNorm: o.maxUpdateNorm } : {}),
          },
          sitePolicy: o.sitePolicy === undefined ? undefined : policyFlag(o.sitePolicy),
          stragglers: stragglerFlags(o),
          async: asyncFlags(o),
          personalization: personalizationFlags(o),
        });
        if (o.json) return printJson(report);
        process.stdout.write(`\n${finalTable(report)}`);
        if (report.experiment.stopped) process.stdout.write(`\nstopped early: ${report.experiment.stopped}\n`);
        process.stdout.write(
          `\nwrote ${o.out}/report.json, ${o.out}/report.md, ${o.out}/report.html and ${o.out}/model/ (${whichModel(report)}; backend: ${[...new Set(Object.values(report.backends))].join(', ')})\n`,
        );
      }),
    );
}

/** Which round's model OUT/model/ holds, and where the other one is. */
function whichModel(report: { final: { models?: ExportedModels | undefined } | null }): string {
  const m = report.final?.models;
  if (!m) return 'the initial model';
  if (!m.best || m.best.round === m.last.round) return `round ${m.last.round}'s, the last and the best`;
  return m.best.dir === 'model'
    ? `round ${m.best.round}'s, the best; the last, round ${m.last.round}'s, in ${m.last.dir}/`
    : `round ${m.last.round}'s, the last; the best, round ${m.best.round}'s, in ${m.best.dir}/`;
}
