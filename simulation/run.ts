// `accord simulate`: a whole federation on one machine: a private redis-server (unless one is given),
// a coordinator process, and one worker process per site, all talking real gRPC over loopback.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ExperimentReport } from '../coordinator/experiments/report.js';
import { submitExperiment } from '../coordinator/queues/submit.js';
import type { ExperimentConfig } from '../shared/config/schema.js';
import { AccordError } from '../shared/errors/index.js';
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
import { approvalsDir } from './site-identities.js';
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
  const say = (s: string) => opts.progress !== false && process.stderr.write(`${s}\n`);
  const group = new ProcessGroup(logDir, say);
  // Ctrl-C or a kill: stop every child (SIGKILL after 5 s) before exiting, so nothing is left running.
  const interrupted = (signal: NodeJS.Signals) => {
    void Promise.allSettled([group.stop(), privateRedis?.stop()]).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let redis: RedisClient | undefined;
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

    const run = async (config: ExperimentConfig) => {
      const runId = await submitExperiment(redis!, bullConnectionOf(redis!, target), config);
      const end = await awaitExperiment(redis!, runId, group, {
        rounds: config.rounds,
        progress: opts.progress !== false,
        timeoutMs: opts.timeoutMs ?? 30 * 60_000,
        say,
        reportFile: path.join(out, 'store', runId, 'report.json'),
      });
      return { id: runId, ended: end };
    };
    // FedPer and FedRep never train the global head, so the global column comes from a run without
    // personalization on the same sites, first.
    let federated: Baselines['federated'];
    const method = cfg.personalization?.method;
    if (opts.baselines && (method === 'fedper' || method === 'fedrep')) {
      say(`running the experiment without personalization first, for the global model beside ${method} ...`);
      const { personalization, ...plain } = cfg;
      const companion = await run({ ...plain, name: `${cfg.name} (global, beside ${method})` });
      const f = companion.ended.status === 'completed' ? readStoredReport(out, companion.id).final : null;
      if (!f)
        throw new AccordError(
          'EXPERIMENT_FAILED',
          `the run without personalization did not complete (${companion.ended.status})`,
        );
      federated = {
        siteAccuracy: f.siteAccuracy,
        meanSiteAccuracy: f.meanSiteAccuracy,
        epochs: cfg.rounds * cfg.train.epochs,
        strategy: cfg.strategy.name,
        experimentId: companion.id,
      };
    }
    const { id, ended } = await run(cfg);
    const experimentReport = collectResults(out, id, opts.export ?? 'last');
    const runFacts = () => ({
      dataset: plan.dataset.name,
      sites: plan.sites,
      redis: privateRedis ? 'private redis-server' : describeTarget(target),
      durationMs: Date.now() - t0,
      processes: group.children.length,
      ...(byzantine ? { byzantine } : {}),
    });
    if (ended.status === 'cancelled') {
      // Its report and last committed model are the coordinator's (closeCancelled); the run still fails.
      writeReport(out, simulationReport(experimentReport, runFacts(), undefined));
      throw new AccordError(
        'EXPERIMENT_CANCELLED',
        `experiment cancelled: ${ended.why}; its report and last committed model are in ${out}`,
      );
    }

    let baselines: Baselines | undefined;
    if (opts.baselines) {
      say('training baselines (each site alone, and all rows pooled) ...');
      baselines = await computeBaselines(cfg, plan.dataset.sites);
      if (federated) baselines.federated = federated;
    }
    copyPersonalModels(out, id, plan.sites);
    const report = simulationReport(experimentReport, runFacts(), baselines);
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

/**
 * The coordinator's report of experiment `id`, with its models copied to out/: the last committed
 * round's to model/ and the best round's to model-best/, or with `which` = best the best round's to
 * model/ and the last round's to model-last/ (when they are different rounds).
 */
function readStoredReport(out: string, id: string): ExperimentReport {
  return JSON.parse(fs.readFileSync(path.join(out, 'store', id, 'report.json'), 'utf8')) as ExperimentReport;
}

/**
 * Personalization: each simulated site's personal model, exported in its own folder
 * (sites/<site>/approvals/personal/<id>/model), copied to out/personal/<site>/ for the student.
 */
function copyPersonalModels(out: string, id: string, sites: string[]): void {
  const target = path.join(out, 'personal');
  fs.rmSync(target, { recursive: true, force: true });
  for (const site of sites) {
    const from = path.join(approvalsDir(out, site), 'personal', id, 'model');
    if (fs.existsSync(from)) fs.cpSync(from, path.join(target, site), { recursive: true });
  }
}

function collectResults(out: string, id: string, which: 'last' | 'best'): ExperimentReport {
  const storeDir = path.join(out, 'store', id);
  const report = readStoredReport(out, id);
  const models = report.final?.models;
  const swap = which === 'best' && models?.best?.dir === 'model-best';
  const copies = swap ? { 'model-best': 'model', model: 'model-last' } : { model: 'model', 'model-best': 'model-best' };
  for (const dir of ['model', 'model-best', 'model-last'])
    fs.rmSync(path.join(out, dir), { recursive: true, force: true });
  for (const [from, to] of Object.entries(copies))
    if (fs.existsSync(path.join(storeDir, from)))
      fs.cpSync(path.join(storeDir, from), path.join(out, to), { recursive: true });
  // Federated analytics (--analyze): the coordinator's analysis pages, beside the report.
  for (const f of ['analysis.json', 'analysis.md', 'analysis.html'])
    if (fs.existsSync(path.join(storeDir, f))) fs.copyFileSync(path.join(storeDir, f), path.join(out, f));
  if (swap && models?.best)
    report.final!.models = { last: { ...models.last, dir: 'model-last' }, best: { ...models.best, dir: 'model' } };
  return report;
}
