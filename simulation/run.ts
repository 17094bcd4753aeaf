// `accord simulate`: a whole federation on one machine: a private redis-server (unless one is given),
// a coordinator process, and one worker process per site, all talking real gRPC over loopback.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ExperimentReport } from '../coordinator/experiments/report.js';
import { submitExperiment } from '../coordinator/queues/submit.js';
import { connectRedis } from '../shared/redis-connection.js';
import {
  bullConnectionOf,
  clusterTarget,
  describeTarget,
  type RedisClient,
  type RedisTarget,
} from '../shared/redis-target.js';
import { type Baselines, computeBaselines } from './baselines.js';
import { type ByzantineSites, chooseByzantine } from './byzantine.js';
import { planSimulation } from './experiment.js';
import { startFederation } from './federation.js';
import type { SimulateOptions } from './options.js';
import { ProcessGroup } from './processes.js';
import { awaitExperiment } from './progress.js';
import { type PrivateRedis, startPrivateRedis } from './redis-server.js';
import { type SimulationReport, simulationReport, writeReport } from './report.js';
import { chooseStragglers, type Stragglers } from './stragglers.js';

// Callers import the whole API from here.
export type { SimulateOptions } from './options.js';
export type { SimulationReport } from './report.js';

export async function simulate(opts: SimulateOptions): Promise<SimulationReport> {
  const t0 = Date.now();
  const plan = planSimulation(opts);
  const cfg = plan.config;
  const out = path.resolve(opts.out);
  fs.mkdirSync(out, { recursive: true });
  const logDir = path.join(out, 'logs');
  fs.rmSync(logDir, { recursive: true, force: true });
  // A run's audit logs, site identities and approvals are its own: a rerun starts them afresh.
  for (const d of ['audit', 'sites']) fs.rmSync(path.join(out, d), { recursive: true, force: true });
  fs.writeFileSync(path.join(out, 'experiment.yaml'), YAML.stringify(cfg));

  let privateRedis: PrivateRedis | undefined;
  const group = new ProcessGroup(logDir);
  // Ctrl-C or a kill: stop every child (SIGKILL after 5 s) before exiting, so nothing is left running.
  const interrupted = (signal: NodeJS.Signals) => {
    void Promise.allSettled([group.stop(), privateRedis?.stop()]).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let redis: RedisClient | undefined;
  const say = (s: string) => opts.progress !== false && process.stderr.write(`${s}\n`);
  try {
    let target: RedisTarget | undefined = opts.redisCluster ? clusterTarget(opts.redisCluster) : opts.redisUrl;
    if (!target) {
      privateRedis = await startPrivateRedis();
      say(`redis-server started on ${privateRedis.url} (private to this run)`);
      target = privateRedis.url;
    }
    redis = await connectRedis(target);

    const chosen = opts.byzantine ? chooseByzantine(plan.sites, opts.byzantine.count, cfg.seed) : [];
    const byzantine: ByzantineSites | undefined =
      opts.byzantine && chosen.length ? { sites: chosen, attack: opts.byzantine.attack } : undefined;
    if (byzantine) say(`byzantine sites (${byzantine.attack}): ${byzantine.sites.join(', ')}`);
    const stragglers: Stragglers | undefined = opts.stragglers
      ? { sites: chooseStragglers(plan.sites, opts.stragglers.fraction, cfg.seed), slowdown: opts.stragglers.slowdown }
      : undefined;
    if (stragglers) say(`stragglers (${stragglers.slowdown}x slower): ${stragglers.sites.join(', ')}`);
    await startFederation({ plan, opts, out, redis: target, byzantine, stragglers, say }, group, redis);

    const id = await submitExperiment(redis, bullConnectionOf(redis, target), cfg);
    await awaitExperiment(redis, id, group, {
      rounds: cfg.rounds,
      progress: opts.progress !== false,
      timeoutMs: opts.timeoutMs ?? 30 * 60_000,
      say,
    });
    const experimentReport = collectResults(out, id);

    let baselines: Baselines | undefined;
    if (opts.baselines) {
      say('training baselines (each site alone, and all rows pooled) ...');
      baselines = await computeBaselines(cfg, plan.dataset.sites);
    }
    const report = simulationReport(
      experimentReport,
      {
        dataset: plan.dataset.name,
        sites: plan.sites,
        redis: privateRedis ? 'private redis-server' : describeTarget(target),
        durationMs: Date.now() - t0,
        processes: group.children.length,
        ...(byzantine ? { byzantine } : {}),
      },
      baselines,
    );
    writeReport(out, report);
    return report;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await group.stop();
    redis?.disconnect();
    await privateRedis?.stop();
  }
}

/** The coordinator's report of experiment `id`, with its models copied to out/model (and out/model-best). */
function collectResults(out: string, id: string): ExperimentReport {
  const storeDir = path.join(out, 'store', id);
  const report = JSON.parse(fs.readFileSync(path.join(storeDir, 'report.json'), 'utf8')) as ExperimentReport;
  for (const dir of ['model', 'model-best']) {
    fs.rmSync(path.join(out, dir), { recursive: true, force: true });
    if (fs.existsSync(path.join(storeDir, dir)))
      fs.cpSync(path.join(storeDir, dir), path.join(out, dir), { recursive: true });
  }
  return report;
}
