// `npm run bench:fedavg` (not in CI; about half an hour to an hour here): the FedAvg paper's experiment
// on Fashion-MNIST through the real system (coordinator, BullMQ, gRPC, 100 simulated sites over worker
// processes): 2NN, C = 0.1, FedAvg (E = 5, B = 10) against FedSGD (E = 1, B = all), IID and shards,
// with the paper's plain softmax loss (no restricted softmax),
// rounds until a target test accuracy or a cap. Writes the figures into bench/results.json and a plot.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from '../simulation/run.js';
import { lineChartSvg } from './plot.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TARGET = Number(process.env['FEDAVG_TARGET'] ?? 0.8);
const CAP_FEDAVG = Number(process.env['FEDAVG_CAP'] ?? 60);
const CAP_FEDSGD = Number(process.env['FEDSGD_CAP'] ?? 300);

interface Run {
  name: string;
  algorithm: 'fedavg' | 'fedsgd';
  partition: 'iid' | 'shards';
  train: { epochs: number; batchSize: number; learningRate: number; restrictedSoftmax: false };
  cap: number;
}

const RUNS: Run[] = [
  {
    name: 'fedavg-iid',
    algorithm: 'fedavg',
    partition: 'iid',
    train: { epochs: 5, batchSize: 10, learningRate: 0.02, restrictedSoftmax: false },
    cap: CAP_FEDAVG,
  },
  {
    name: 'fedavg-shards',
    algorithm: 'fedavg',
    partition: 'shards',
    train: { epochs: 5, batchSize: 10, learningRate: 0.02, restrictedSoftmax: false },
    cap: CAP_FEDAVG,
  },
  // FedSGD: one full-batch gradient step per selected client per round (B = infinity, E = 1).
  {
    name: 'fedsgd-iid',
    algorithm: 'fedsgd',
    partition: 'iid',
    train: { epochs: 1, batchSize: 1_000_000, learningRate: 0.3, restrictedSoftmax: false },
    cap: CAP_FEDSGD,
  },
  {
    name: 'fedsgd-shards',
    algorithm: 'fedsgd',
    partition: 'shards',
    train: { epochs: 1, batchSize: 1_000_000, learningRate: 0.3, restrictedSoftmax: false },
    cap: CAP_FEDSGD,
  },
];

const only = process.env['FEDAVG_ONLY']?.split(',');
const file = path.join(HERE, 'results.json');
const results: Record<string, unknown> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const curves: Record<string, number[]> = {};
const failures: Record<string, string> = {};
const outcome: Record<
  string,
  { roundsToTarget: number; lowerBound: boolean; finalAccuracy: number; seconds: number; train: Run['train'] }
> = {};

// Results are written after every configuration, so a long run that is stopped keeps what it finished.
function save(): void {
  const pick = (alg: string, part: string) => outcome[`${alg}-${part}`];
  const speedup = (part: string) => {
    const a = pick('fedavg', part);
    const s = pick('fedsgd', part);
    return a && s
      ? { value: s.roundsToTarget / a.roundsToTarget, lowerBound: s.lowerBound && !a.lowerBound }
      : undefined;
  };
  results['fedavg'] = {
    dataset: 'Fashion-MNIST (60,000 train / 10,000 test), 100 clients, C = 0.1, 2NN',
    target: TARGET,
    roundsToTarget: { iid: pick('fedavg', 'iid')?.roundsToTarget, shards: pick('fedavg', 'shards')?.roundsToTarget },
    runs: Object.fromEntries(Object.entries(outcome).filter(([k]) => k.startsWith('fedavg'))),
  };
  results['fedsgd'] = {
    roundsToTarget: { iid: pick('fedsgd', 'iid')?.roundsToTarget, shards: pick('fedsgd', 'shards')?.roundsToTarget },
    lowerBound: { iid: pick('fedsgd', 'iid')?.lowerBound, shards: pick('fedsgd', 'shards')?.lowerBound },
    runs: Object.fromEntries(Object.entries(outcome).filter(([k]) => k.startsWith('fedsgd'))),
  };
  results['speedup'] = { iid: speedup('iid'), shards: speedup('shards') };
  results['paper'] = {
    source: 'McMahan et al. 2017, MNIST, 2NN, C = 0.1, B = 10 (FedAvg) vs FedSGD, rounds to 97% test accuracy',
    fedavg: { iid: 87, nonIid: 664 },
    fedsgd: { iid: 1455, nonIid: 4278 },
    speedup: { iid: 1455 / 87, nonIid: 4278 / 664 },
  };
  results['fedavgCurves'] = curves;
  if (Object.keys(failures).length) results['fedavgFailures'] = failures;
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  const colors: Record<string, string> = {
    'fedavg-iid': '#1f77b4',
    'fedavg-shards': '#ff7f0e',
    'fedsgd-iid': '#2ca02c',
    'fedsgd-shards': '#d62728',
  };
  fs.writeFileSync(
    path.join(HERE, 'fedavg.svg'),
    lineChartSvg(
      'Fashion-MNIST, 2NN, 100 clients, C = 0.1: test accuracy by round',
      Object.entries(curves).map(([name, points]) => ({ name, points, color: colors[name] ?? '#000' })),
      'test accuracy (10,000 images)',
      TARGET,
    ),
  );
}

for (const run of RUNS.filter((r) => !only || only.includes(r.name))) {
  process.stderr.write(`${run.name}: up to ${run.cap} rounds, target ${TARGET} ...\n`);
  const t0 = Date.now();
  let r: Awaited<ReturnType<typeof simulate>>;
  try {
    r = await simulate({
      dataset: 'fashion-mnist',
      clients: 100,
      fraction: 0.1,
      partition: { scheme: run.partition },
      model: { zoo: '2nn' },
      rounds: run.cap,
      target: TARGET,
      train: run.train,
      out: path.join(os.tmpdir(), `accord-bench-${run.name}`),
      baselines: false,
      backend: 'auto',
      progress: false,
      timeoutMs: 3 * 3600_000,
    });
  } catch (e) {
    // One failed configuration must not lose the others' figures.
    process.stderr.write(`${run.name}: failed: ${(e as Error).message}\n`);
    failures[run.name] = (e as Error).message;
    continue;
  }
  const curve = r.rounds.map((x) => x.central?.accuracy ?? x.accuracy);
  curves[run.name] = curve;
  const hit = curve.findIndex((a) => a >= TARGET);
  outcome[run.name] = {
    roundsToTarget: hit >= 0 ? hit + 1 : run.cap,
    lowerBound: hit < 0,
    finalAccuracy: curve[curve.length - 1] ?? NaN,
    seconds: (Date.now() - t0) / 1000,
    train: run.train,
  };
  save();
  process.stderr.write(
    `${run.name}: ${hit >= 0 ? `target in ${hit + 1} rounds` : `not reached in ${run.cap} rounds (lower bound)`}, final ${(curve[curve.length - 1] ?? NaN).toFixed(4)}\n`,
  );
}

save();
process.stdout.write(
  `${JSON.stringify({ fedavg: results['fedavg'], fedsgd: results['fedsgd'], speedup: results['speedup'] }, null, 2)}\nwrote bench/results.json and bench/fedavg.svg\n`,
);
