// `npm run bench:flamby` (not in CI; about ten minutes here): FLamby's Fed-Heart-Disease benchmark
// (docs/flamby.md) on FLamby's preprocessing (--dataset heart-disease --preprocessing flamby) through
// the real system (coordinator, BullMQ, gRPC, a worker process per centre): FedAvg, FedProx, FedAdam,
// FedYogi and FedAdagrad with FLamby's hyperparameters and 15 rounds, and FLamby's single-centre
// baselines (each centre alone, and all centres' training rows pooled: Adam, lr 0.001, batches of 4,
// 50 epochs), over FLamby's 5 seeds (42-46). The figure is FLamby's: the unweighted mean of the four
// centres' test accuracies (threshold 0.5), then its mean and standard deviation over the seeds.
// Beside FLamby's settings, FedAvg and FedProx at Accord's client learning rate (SELECTED_LR, chosen on
// other seeds). Writes bench/flamby.json (or FLAMBY_OUT). FLAMBY_SEEDS=42,43 and
// FLAMBY_ONLY=fedavg,pooled,local,fedavg@0.003 narrow or widen a run (bench/flamby-fedavg-20-seeds.json:
// FedAvg over seeds 42-61).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExperiment } from '../shared/config/load.js';
import { flambyEncoding } from '../shared/data/features.js';
import { flambyPooledTrain } from '../shared/data/flamby.js';
import { readTableFile } from '../shared/data/read-table.js';
import { loadSiteData } from '../shared/data/site.js';
import { initBackend } from '../shared/models/backend.js';
import { evaluateLocal, trainLocal } from '../shared/models/train.js';
import { modelFor } from '../shared/models/zoo.js';
import { seedOf } from '../shared/random.js';
import { computeBaselines } from '../simulation/baselines.js';
import { FLAMBY_CLIENT_LR, HEART_DISEASE_FLAMBY } from '../simulation/datasets.js';
import { withSimulation } from './simulated.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEEDS = (process.env['FLAMBY_SEEDS'] ?? '42,43,44,45,46').split(',').map(Number);
const only = process.env['FLAMBY_ONLY']?.split(',');
const STRATEGIES = ['fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad'] as const;

/**
 * FedAvg's and FedProx's client learning rate as Accord sets it on this benchmark, beside FLamby's
 * 0.001 (which leaves them where their initial draw put them: docs/flamby.md). Chosen before the
 * evaluation seeds were run, on seeds 0-4 (disjoint from FLamby's 42-46), from a half-decade grid:
 * mean of the four centres' accuracies over those seeds (FLAMBY_SEEDS=0,1,2,3,4 FLAMBY_ONLY=fedavg@<lr>).
 */
const SELECTED_LR = 0.01;
const SELECTION = {
  seeds: [0, 1, 2, 3, 4],
  grid: { '0.001': 0.6964, '0.003162': 0.7268, '0.01': 0.7282, '0.03162': 0.7159, '0.1': 0.7089 },
};
const TUNED = [`fedavg@${SELECTED_LR}`, `fedprox@${SELECTED_LR}`];
const SITES = Object.keys(HEART_DISEASE_FLAMBY.sites);

/**
 * FLamby's published results (flamby/results/results_benchmark_fed_heart_disease/heart_seed42..46.csv,
 * owkin/FLamby edacf54d): per seed the mean of the four client_test accuracies, then mean and
 * (population) standard deviation over the 5 seeds. Computed from those files (docs/flamby.md).
 */
const FLAMBY = {
  source: 'owkin/FLamby flamby/results/results_benchmark_fed_heart_disease/heart_seed{42..46}.csv (edacf54d)',
  pooled: { mean: 0.7353, std: 0.0025 },
  fedavg: { mean: 0.685, std: 0.0253 },
  fedprox: { mean: 0.685, std: 0.0253 },
  fedadam: { mean: 0.7255, std: 0.0124 },
  fedyogi: { mean: 0.7314, std: 0.0112 },
  fedadagrad: { mean: 0.7314, std: 0.0112 },
  scaffold: { mean: 0.684, std: 0.025 },
  cyclic: { mean: 0.718, std: 0.0257 },
  'local:cleveland': { mean: 0.7221, std: 0.0189 },
  'local:hungary': { mean: 0.6287, std: 0.0151 },
  'local:switzerland': { mean: 0.567, std: 0.0518 },
  'local:va': { mean: 0.6366, std: 0.0345 },
};

interface Figure {
  mean: number;
  std: number;
  perSeed: number[];
  /** Mean over seeds of each centre's test accuracy. */
  perCentre: Record<string, number>;
}

const runs: Record<string, { seed: number; siteAccuracy: Record<string, number> }[]> = {};
const record = (name: string, seed: number, siteAccuracy: Record<string, number>) => {
  runs[name] ??= [];
  runs[name].push({ seed, siteAccuracy });
};

function summary(list: { siteAccuracy: Record<string, number> }[]): Figure {
  const perSeed = list.map((r) => SITES.reduce((a, s) => a + r.siteAccuracy[s]!, 0) / SITES.length);
  const mean = perSeed.reduce((a, b) => a + b, 0) / perSeed.length;
  // Population deviation over seeds, as numpy's std (FLamby's benchmark.py prints results.std()).
  const std = Math.sqrt(perSeed.reduce((a, b) => a + (b - mean) ** 2, 0) / perSeed.length);
  const perCentre = Object.fromEntries(
    SITES.map((s) => [s, list.reduce((a, r) => a + r.siteAccuracy[s]!, 0) / list.length]),
  );
  return { mean, std, perSeed, perCentre };
}

const t0 = Date.now();
const timings: Record<string, number> = {};
const file = process.env['FLAMBY_OUT'] ? path.resolve(process.env['FLAMBY_OUT']) : path.join(HERE, 'flamby.json');
function save(): void {
  const figures = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, summary(v)]));
  const fedavg = figures['fedavg'];
  const tuned = figures[`fedavg@${SELECTED_LR}`];
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark:
          'FLamby Fed-Heart-Disease on FLamby preprocessing (accord simulate --dataset heart-disease --preprocessing flamby)',
        metric:
          "unweighted mean of the 4 centres' test accuracies (p > 0.5), mean and population std over seeds (FLamby's)",
        seeds: SEEDS,
        setup: {
          rounds: HEART_DISEASE_FLAMBY.experiment.rounds,
          train: HEART_DISEASE_FLAMBY.experiment.train,
          clientLearningRate: FLAMBY_CLIENT_LR,
          strategies: HEART_DISEASE_FLAMBY.strategyDefaults,
          baselines: { optimizer: 'adam', learningRate: 0.001, batchSize: 4, epochs: 50 },
        },
        accord: figures,
        flamby: FLAMBY,
        goal: {
          fedavgAtLeast: FLAMBY.fedavg.mean,
          // FedAvg with FLamby's client learning rate (0.001), and with Accord's (SELECTED_LR).
          met: fedavg ? fedavg.mean >= FLAMBY.fedavg.mean : undefined,
          selectedLearningRate: {
            learningRate: SELECTED_LR,
            selectedOn: SELECTION,
            mean: tuned?.mean,
            met: tuned ? tuned.mean >= FLAMBY.fedavg.mean : undefined,
          },
        },
        seconds: timings,
        runs,
      },
      null,
      2,
    )}\n`,
  );
}

const backend = await initBackend();
process.stderr.write(`backend ${backend.backend}; seeds ${SEEDS.join(', ')}\n`);

// Baselines in this process, as `accord simulate --baselines` trains them (simulation/baselines.ts),
// with FLamby's single-centre settings: each centre alone on its own scaling, and FLamby's pooled set
// (every centre's training rows scaled with their pooled statistics), each scored on every centre's test rows.
if (!only || only.includes('local') || only.includes('pooled')) {
  const t = Date.now();
  const baselineTrain = { optimizer: 'adam' as const, learningRate: 0.001, batchSize: 4, epochs: 50 };
  for (const seed of SEEDS) {
    const cfg = parseExperiment(
      { ...HEART_DISEASE_FLAMBY.experiment, rounds: 1, seed, train: baselineTrain },
      'bench:flamby baselines',
    );
    if (!only || only.includes('local')) {
      const b = await computeBaselines(cfg, HEART_DISEASE_FLAMBY.sites);
      for (const [s, r] of Object.entries(b.local)) record(`local:${s}`, seed, r.siteAccuracy);
      // Accord's own pooled baseline: each centre's rows on that centre's scaling, concatenated.
      record('pooled:per-centre-scaling', seed, b.pooled.siteAccuracy);
    }
    if (!only || only.includes('pooled')) {
      if (cfg.data.format !== 'csv') throw new Error('heart-disease-flamby is a csv data set');
      const data = cfg.data;
      const files = Object.values(HEART_DISEASE_FLAMBY.sites);
      const pooled = flambyPooledTrain(
        files.map((f) => readTableFile(f, data)),
        data,
        flambyEncoding(data),
      );
      const model = await modelFor(cfg);
      await trainLocal(model, pooled, cfg.train, 2, seedOf(cfg.seed, 'baseline', ...SITES));
      const siteAccuracy: Record<string, number> = {};
      for (const [s, f] of Object.entries(HEART_DISEASE_FLAMBY.sites))
        siteAccuracy[s] = (await evaluateLocal(model, loadSiteData(f, data).test, 2)).accuracy;
      model.dispose();
      record('pooled', seed, siteAccuracy);
    }
    process.stderr.write(`baselines seed ${seed}: ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  }
  timings['baselines'] = (Date.now() - t) / 1000;
  save();
}

// `name@lr` in FLAMBY_ONLY (e.g. fedavg@0.01) runs a strategy at another client learning rate,
// recorded under that name; plain names use FLamby's.
const variants = [
  ...STRATEGIES.filter((s) => !only || only.includes(s)).map((s) => ({
    name: s,
    strategy: s,
    lr: FLAMBY_CLIENT_LR[s]!,
  })),
  ...(only ?? TUNED)
    .filter((o) => o.includes('@'))
    .map((o) => {
      const [strategy, lr] = o.split('@') as [string, string];
      if (!(STRATEGIES as readonly string[]).includes(strategy) || !(Number(lr) > 0))
        throw new Error(`FLAMBY_ONLY: '${o}' is not strategy@learning-rate`);
      return { name: o, strategy, lr: Number(lr) };
    }),
];
for (const { name, strategy, lr } of variants) {
  const t = Date.now();
  for (const seed of SEEDS) {
    const siteAccuracy = await withSimulation(
      SITES.length,
      HEART_DISEASE_FLAMBY.experiment.rounds,
      {
        dataset: HEART_DISEASE_FLAMBY.name,
        clients: undefined,
        fraction: undefined,
        strategy,
        seed,
        train: { learningRate: lr },
      },
      ({ report }) => {
        if (!report.final) throw new Error(`${strategy} seed ${seed}: no final evaluation`);
        return report.final.siteAccuracy;
      },
    );
    record(name, seed, siteAccuracy);
    const m = SITES.reduce((a, s) => a + siteAccuracy[s]!, 0) / SITES.length;
    process.stderr.write(`${name} seed ${seed}: ${m.toFixed(4)} (${((Date.now() - t) / 1000).toFixed(0)} s)\n`);
    save();
  }
  timings[name] = (Date.now() - t) / 1000;
}
timings['total'] = (Date.now() - t0) / 1000;
save();
// In the layout `biome ci` expects of a JSON file in the repository (biome ignores files outside it).
if (!path.relative(path.join(HERE, '..'), file).startsWith('..'))
  execFileSync(path.join(HERE, '..', 'node_modules', '.bin', 'biome'), ['format', '--write', file], {
    stdio: 'ignore',
  });

const rows = Object.entries(runs).map(([k, v]) => {
  const f = summary(v);
  const ref = FLAMBY[k as keyof typeof FLAMBY];
  const flamby = typeof ref === 'object' ? `${ref.mean.toFixed(3)} ± ${ref.std.toFixed(3)}` : '';
  return `${k.padEnd(28)} ${f.mean.toFixed(3)} ± ${f.std.toFixed(3)}   FLamby ${flamby}`;
});
process.stdout.write(
  `${rows.join('\n')}\nwrote ${path.relative(process.cwd(), file)} (${timings['total']!.toFixed(0)} s)\n`,
);
