// scale: simulated federations of growing size on Synthetic(1, 1), each with its own gRPC session per
// site, every site in every round (fraction 1, so the round's sites are the federation). For each size
// the same run twice: with local training, and with training stubbed to a fixed delta; the stubbed
// round is everything but local compute (coordinator, protocol, Redis, queues), the difference is
// local training and evaluation. Also: the coordinator's peak RSS (sampled from its process), Redis
// memory per registered site, and the growth exponent of the overhead (log-log slope over the sizes).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { redisOptions } from '../shared/redis-url.js';
import { withSimulation } from './simulated.js';

export interface ScaleRun {
  sites: number;
  /** Mean wall time of a round with local training (ms). */
  roundMs: number;
  /** Mean wall time of a round with training stubbed: everything but local compute (ms). */
  overheadMs: number;
  /** roundMs - overheadMs: local training and evaluation (ms). */
  trainingMs: number;
  overheadPerSiteMs: number;
  coordinatorPeakRssMB: number;
  modelBytes: number;
  redisBytesPerSite: number;
}

/**
 * Samples the RSS of the coordinator process of the run whose store is `store`: its pid is looked up
 * (pgrep) until found, then only /proc is read, so sampling every 100 ms starts no process of its own.
 */
function coordinatorRssSampler(store: string): () => number {
  let pid: string | undefined;
  return () => {
    try {
      pid ??= execFileSync('pgrep', ['-f', `coordinator .*--store ${store}`], { encoding: 'utf8' })
        .trim()
        .split('\n')[0];
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      pid = undefined; // not started yet, or gone
      return 0;
    }
  };
}

async function run(sites: number, stub: boolean, rounds: number) {
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    return await withSimulation(
      sites,
      rounds,
      // Evaluation every round is part of the round, as in a default run.
      { stubTraining: stub },
      async ({ report, out, redisUrl }) => {
        const client = new Redis(redisOptions(redisUrl));
        const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
        client.disconnect();
        const params = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8')) as {
          weightsManifest: { weights: { shape: number[] }[] }[];
        };
        const modelBytes =
          4 * params.weightsManifest[0]!.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
        const rs = report.rounds.map((r) => r.durations?.totalMs ?? 0).filter((ms) => ms > 0);
        return {
          roundMs: rs.reduce((a, b) => a + b, 0) / rs.length,
          peak,
          modelBytes,
          redisBytesPerSite: used / sites,
        };
      },
      (out) => {
        const rss = coordinatorRssSampler(path.join(out, 'store'));
        sampler = setInterval(() => {
          peak = Math.max(peak, rss());
        }, 100);
      },
    );
  } finally {
    clearInterval(sampler);
  }
}

/** Least-squares slope of y on x. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/** The growth exponent: the slope of log(y) on log(x). */
export function growthExponent(xs: number[], ys: number[]): number {
  return slope(xs.map(Math.log), ys.map(Math.log));
}

export async function benchScale(sizes = [100, 300, 1000], rounds = 2) {
  const runs: ScaleRun[] = [];
  for (const sites of sizes) {
    process.stderr.write(`  scale: ${sites} sites, with training ...\n`);
    const real = await run(sites, false, rounds);
    process.stderr.write(`  scale: ${sites} sites, training stubbed ...\n`);
    const stub = await run(sites, true, rounds);
    runs.push({
      sites,
      roundMs: real.roundMs,
      overheadMs: stub.roundMs,
      trainingMs: Math.max(0, real.roundMs - stub.roundMs),
      overheadPerSiteMs: stub.roundMs / sites,
      coordinatorPeakRssMB: real.peak / 2 ** 20,
      modelBytes: real.modelBytes,
      redisBytesPerSite: real.redisBytesPerSite,
    });
  }
  return {
    runs,
    overheadExponent: growthExponent(
      runs.map((r) => r.sites),
      runs.map((r) => r.overheadMs),
    ),
    // What one more site (its session, its task in a round) adds to the coordinator's peak RSS: the
    // least-squares slope over the sizes. The model is 2.4 KB here; with large models the per-update
    // memory is peakRssOverModel's business (20 x 100 MB updates).
    coordinatorKBPerSite: slope(
      runs.map((r) => r.sites),
      runs.map((r) => r.coordinatorPeakRssMB * 1024),
    ),
    model: 'logreg on Synthetic(1, 1), 60 inputs, 10 classes',
  };
}
