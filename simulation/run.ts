// `accord simulate`: a whole federation on one machine: a private redis-server (unless one is given),
// a coordinator process, and one worker process per site, all talking real gRPC over loopback.
import cliProgress from 'cli-progress';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ExperimentRecords } from '../coordinator/experiments/records';
import { submitExperiment } from '../coordinator/experiments/submit';
import type { ExperimentReport } from '../coordinator/store/report';
import { parseExperiment } from '../shared/config/load';
import type { ExperimentConfig, ExperimentInput } from '../shared/config/schema';
import { AccordError } from '../shared/errors';
import { redisOptions } from '../shared/redis-url';
import { Redis } from 'ioredis';
import { computeBaselines, type Baselines } from './baselines';
import { getDataset } from './datasets';
import { type Child, spawnAccord, tail } from './processes';
import { freePort, startPrivateRedis, type PrivateRedis } from './redis-server';
import { WorkerRegistry } from '../coordinator/sessions/registry';
import { ConfigError, DependencyError } from '../shared/errors';
import { pct } from '../shared/format';
import { chooseByzantine, scoreHonestSites } from './byzantine';

export interface SimulateOptions {
  /** Shipped data set name. Default heart-disease. */
  dataset: string;
  rounds: number;
  out: string;
  /** Use this Redis instead of starting a private redis-server. */
  redisUrl?: string;
  baselines: boolean;
  backend: string;
  seed?: number;
  /** Overrides of the experiment's train settings. */
  train?: Partial<ExperimentConfig['train']>;
  /** Secure aggregation settings (mode, dropout, ...). */
  secagg?: Partial<ExperimentConfig['secagg']>;
  /** Differential privacy settings. */
  dp?: ExperimentConfig['dp'];
  /** Strategy name (its paper's defaults, then the data set's tuned values, then strategyParams). */
  strategy?: string;
  strategyParams?: Record<string, number>;
  /** Simulated Byzantine sites and what they do (e.g. scale:-10). */
  byzantine?: { count: number; attack: string };
  /** Partitioned data sets: logical sites, the share sampled each round, how data is split, the model. */
  clients?: number;
  fraction?: number;
  partition?: { scheme: 'iid' | 'dirichlet' | 'shards'; alpha?: number };
  model?: ExperimentInput['model'];
  /** Worker processes hosting the logical sites of a partitioned data set. Default min(4, clients). */
  pool?: number;
  /** Stop once this accuracy is reached (central evaluation when the data set has it). */
  target?: number;
  /** Give up after this long. Default 30 minutes. */
  timeoutMs?: number;
  /** Print progress (bar on a TTY, a line per round otherwise). Default true. */
  progress?: boolean;
}

export interface SimulationReport extends Omit<ExperimentReport, 'final'> {
  /** With Byzantine sites, meanSiteAccuracy is over the honest sites (see byzantine.ts). */
  final: (NonNullable<ExperimentReport['final']> & { allSitesMeanSiteAccuracy?: number; honestSites?: string[] }) | null;
  simulation: { dataset: string; sites: string[]; redis: string; durationMs: number; processes: number; byzantine?: { sites: string[]; attack: string } };
  baselines?: Baselines;
}

export async function simulate(opts: SimulateOptions): Promise<SimulationReport> {
  const t0 = Date.now();
  const ds = getDataset(opts.dataset);
  const part = ds.partitioned;
  if (!part && (opts.clients !== undefined || opts.partition || opts.fraction !== undefined))
    throw new ConfigError(`--clients, --fraction and --partition apply to partitioned data sets (fashion-mnist); ${ds.name} has a natural split of ${Object.keys(ds.sites).length} sites`);
  if (part && !fs.existsSync(part.dir)) throw new DependencyError(`${ds.name} is not installed at ${part.dir}: ${part.install}`);
  if (part && opts.baselines) throw new ConfigError(`--baselines needs a natural split; ${ds.name} is partitioned among simulated clients`);
  const nClients = part ? (opts.clients ?? part.defaultClients) : Object.keys(ds.sites).length;
  const fraction = part ? (opts.fraction ?? part.defaultFraction) : 1;
  const width = String(nClients - 1).length;
  const sites = part ? Array.from({ length: nClients }, (_, i) => `site${String(i).padStart(Math.max(3, width), '0')}`) : Object.keys(ds.sites);
  const input: ExperimentInput = {
    ...ds.experiment,
    rounds: opts.rounds,
    // With many simulated clients a round commits when 80% of the sampled sites answer.
    clients: part
      ? { min: Math.max(1, Math.ceil(fraction * nClients)), fraction, quorum: Math.max(1, Math.floor(0.8 * Math.ceil(fraction * nClients))) }
      : { min: nClients, fraction },
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.target !== undefined ? { eval: { ...(ds.experiment.eval as object), target: opts.target } } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    train: { ...(ds.experiment.train as object), ...(opts.train ?? {}) },
    ...(opts.secagg ? { secagg: opts.secagg } : {}),
    ...(opts.dp ? { dp: opts.dp } : {}),
    ...(opts.strategy
      ? { strategy: { name: opts.strategy, ...(ds.strategyDefaults?.[opts.strategy] ?? {}), ...(opts.strategyParams ?? {}) } as ExperimentInput['strategy'] }
      : {}),
  };
  const cfg = parseExperiment(input, `simulation of ${ds.name}`);
  const out = path.resolve(opts.out);
  fs.mkdirSync(out, { recursive: true });
  const logDir = path.join(out, 'logs');
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.writeFileSync(path.join(out, 'experiment.yaml'), YAML.stringify(cfg));

  let privateRedis: PrivateRedis | undefined;
  const children: Child[] = [];
  let redis: Redis | undefined;
  const say = (s: string) => opts.progress !== false && process.stderr.write(s + '\n');
  try {
    if (!opts.redisUrl) {
      privateRedis = await startPrivateRedis();
      say(`redis-server started on ${privateRedis.url} (private to this run)`);
    }
    const redisUrl = opts.redisUrl ?? privateRedis!.url;
    redis = new Redis(redisOptions(redisUrl));

    const tokens = Object.fromEntries(sites.map((s) => [s, crypto.randomBytes(16).toString('hex')]));
    const tokensFile = path.join(out, 'tokens.yaml');
    fs.writeFileSync(tokensFile, YAML.stringify(tokens), { mode: 0o600 });
    const port = await freePort();
    const coordinator = spawnAccord(
      'coordinator',
      ['coordinator', '--redis', redisUrl, '--grpc', `127.0.0.1:${port}`, '--store', path.join(out, 'store'), '--tokens', tokensFile, '--instance', `sim-${port}`, '--backend', opts.backend],
      logDir,
    );
    children.push(coordinator);
    const byzantine = new Set(opts.byzantine ? chooseByzantine(sites, opts.byzantine.count, cfg.seed) : []);
    if (byzantine.size) say(`byzantine sites (${opts.byzantine!.attack}): ${[...byzantine].join(', ')}`);
    if (part) {
      // Many logical sites over a few processes: each site keeps its own session, token and partition.
      const processes = Math.max(1, Math.min(opts.pool ?? 4, nClients));
      const scheme = opts.partition?.scheme ?? 'iid';
      for (let p = 0; p < processes; p++) {
        const mine = sites.filter((_, i) => i % processes === p);
        const poolFile = path.join(out, `pool-${p}.json`);
        fs.writeFileSync(
          poolFile,
          JSON.stringify({
            coordinator: `127.0.0.1:${port}`,
            data: part.dir,
            backend: opts.backend,
            sites: mine.map((s) => ({
              site: s,
              token: tokens[s]!,
              partition: { scheme, clients: nClients, seed: cfg.seed, index: sites.indexOf(s), ...(opts.partition?.alpha !== undefined ? { alpha: opts.partition.alpha } : {}) },
              ...(byzantine.has(s) ? { attack: opts.byzantine!.attack } : {}),
            })),
          }),
          { mode: 0o600 },
        );
        children.push(spawnAccord(`pool-${p}`, ['worker-pool', poolFile], logDir));
      }
      say(`started 1 coordinator and ${processes} worker processes hosting ${nClients} sites (${scheme} partition of ${ds.name}); logs in ${logDir}`);
      // Sample from the whole federation: wait until every site is connected.
      const registry = new WorkerRegistry(redis, 2000);
      const until = Date.now() + 120_000;
      while ((await registry.live()).length < nClients) {
        for (const c of children) if (c.process.exitCode !== null) throw new AccordError('PROCESS_EXITED', `${c.name} exited with code ${c.process.exitCode}:\n${tail(c.logFile)}`);
        if (Date.now() > until) throw new AccordError('TIMEOUT', `only ${(await registry.live()).length} of ${nClients} sites connected within 120 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } else {
      for (const s of sites) {
        children.push(
          spawnAccord(
            `worker-${s}`,
            ['worker', '--coordinator', `127.0.0.1:${port}`, '--site', s, '--token', tokens[s]!, '--data', ds.sites[s]!, '--audit', path.join(out, 'audit', `${s}.jsonl`), '--backend', opts.backend, ...(byzantine.has(s) ? ['--attack', opts.byzantine!.attack] : [])],
            logDir,
          ),
        );
      }
      say(`started 1 coordinator and ${sites.length} worker processes (${sites.join(', ')}); logs in ${logDir}`);
    }

    const id = await submitExperiment(redis, redisOptions(redisUrl), cfg);
    const records = new ExperimentRecords(redis);
    const bar =
      opts.progress !== false && process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: 'rounds [{bar}] {value}/{total} | {phase} | mean site accuracy {acc}', stream: process.stderr }, cliProgress.Presets.shades_classic)
        : undefined;
    bar?.start(cfg.rounds, 0, { phase: 'starting', acc: '-' });
    let shown = 0;
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const rec = await records.get(id);
      if (rec) {
        if (rec.committed > shown) {
          const rounds = await records.rounds(id);
          for (const r of rounds.filter((x) => x.round > shown)) {
            const acc = Number.isFinite(r.meanSiteAccuracy) ? r.meanSiteAccuracy.toFixed(3) : '-';
            const central = r.central ? `, central accuracy ${r.central.accuracy.toFixed(3)}` : '';
            if (bar) bar.update(r.round, { phase: rec.phase, acc: acc + central });
            else say(`round ${r.round}/${cfg.rounds}: train loss ${r.trainLoss.toFixed(4)}, mean site accuracy ${acc}${central}`);
          }
          shown = rec.committed;
        } else bar?.update(shown, { phase: rec.phase });
        if (rec.status === 'completed') {
          const rounds = await records.rounds(id);
          bar?.update(rounds.length, { phase: rec.stopped ? 'stopped' : 'completed' });
          break;
        }
        if (rec.status === 'failed') throw new AccordError('EXPERIMENT_FAILED', `experiment failed: ${rec.error}`);
      }
      for (const c of children)
        if (c.process.exitCode !== null) throw new AccordError('PROCESS_EXITED', `${c.name} exited with code ${c.process.exitCode}:\n${tail(c.logFile)}`);
      if (Date.now() > deadline) throw new AccordError('TIMEOUT', `simulation did not finish in time (round ${rec?.round}, ${rec?.phase})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    bar?.stop();

    const storeDir = path.join(out, 'store', id);
    const experimentReport = JSON.parse(fs.readFileSync(path.join(storeDir, 'report.json'), 'utf8')) as ExperimentReport;
    fs.rmSync(path.join(out, 'model'), { recursive: true, force: true });
    fs.cpSync(path.join(storeDir, 'model'), path.join(out, 'model'), { recursive: true });

    let baselines: Baselines | undefined;
    if (opts.baselines) {
      say('training baselines (each site alone, and all rows pooled) ...');
      baselines = await computeBaselines(cfg, ds.sites);
      if (byzantine.size) {
        // Scored like the federated model: on the honest sites.
        const honest = (b: Baselines['pooled']) => scoreHonestSites(b, [...byzantine]);
        baselines = { pooled: honest(baselines.pooled), local: Object.fromEntries(Object.entries(baselines.local).map(([s, b]) => [s, honest(b)])) };
      }
    }
    const report: SimulationReport = {
      ...experimentReport,
      ...(byzantine.size && experimentReport.final ? { final: scoreHonestSites(experimentReport.final, [...byzantine]) } : {}),
      simulation: {
        dataset: ds.name,
        sites,
        redis: privateRedis ? 'private redis-server' : redisUrl,
        durationMs: Date.now() - t0,
        processes: children.length,
        ...(byzantine.size ? { byzantine: { sites: [...byzantine], attack: opts.byzantine!.attack } } : {}),
      },
      ...(baselines ? { baselines } : {}),
    };
    fs.writeFileSync(path.join(out, 'report.json'), JSON.stringify(report, null, 2));
    fs.writeFileSync(path.join(out, 'report.md'), markdownReport(report));
    return report;
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    redis?.disconnect();
    await privateRedis?.stop();
  }
}


export function finalTable(r: SimulationReport): string {
  const sites = r.simulation.sites;
  if (sites.length > 8) {
    // Many simulated clients: summary figures instead of one column per site.
    const f = r.final;
    const lines = [
      `rounds committed         ${r.rounds.length}`,
      `accuracy by round        ${r.rounds.map((x) => (x.central ?? x).accuracy.toFixed(3)).join(' ')} (${r.rounds[0]?.central ? 'central test set' : 'federated'})`,
      `final central accuracy   ${f && r.rounds[r.rounds.length - 1]?.central ? r.rounds[r.rounds.length - 1]!.central!.accuracy.toFixed(4) : '-'}`,
      `final federated accuracy ${f ? pct(f.accuracy) : '-'} (example-weighted over the round's selected sites)`,
    ];
    return lines.join('\n') + '\n';
  }
  const rows: string[][] = [['model', ...sites, 'mean' + (r.final?.epsilon !== undefined ? ` (epsilon ${r.final.epsilon.toFixed(2)})` : '')]];
  if (r.final) rows.push(['federated (' + r.experiment.config.strategy.name + ')', ...sites.map((s) => pct(r.final!.siteAccuracy[s])), pct(r.final.meanSiteAccuracy)]);
  if (r.baselines) {
    rows.push(['pooled (centralised)', ...sites.map((s) => pct(r.baselines!.pooled.siteAccuracy[s])), pct(r.baselines.pooled.meanSiteAccuracy)]);
    for (const [s, b] of Object.entries(r.baselines.local)) rows.push([`${s} alone`, ...sites.map((x) => pct(b.siteAccuracy[x])), pct(b.meanSiteAccuracy)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n') + '\n' + byzantineNote(r);
}

function byzantineNote(r: SimulationReport): string {
  const b = r.simulation.byzantine;
  if (!b || !r.final?.honestSites) return '';
  return (
    `Byzantine site(s) ${b.sites.join(', ')} sent ${b.attack} updates. Means are over the honest sites (${r.final.honestSites.join(', ')}); ` +
    `with the attackers' own test splits the federated mean is ${pct(r.final.allSitesMeanSiteAccuracy)}.\n`
  );
}

/** report.md for many simulated sites: one row per round instead of one column per site. */
function manySitesMarkdown(r: SimulationReport): string {
  const lines = [
    `# Accord simulation: ${r.simulation.dataset}`,
    '',
    `Experiment \`${r.experiment.id}\`, strategy ${r.experiment.config.strategy.name}, ${r.rounds.length} rounds, ${r.simulation.sites.length} simulated sites on ${r.simulation.processes - 1} worker processes, ${(r.simulation.durationMs / 1000).toFixed(1)} s.`,
    ...(r.experiment.stopped ? ['', `Stopped early: ${r.experiment.stopped}.`] : []),
    '',
    '| round | sites | train loss | federated accuracy | central accuracy | up bytes | down bytes | ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const x of r.rounds)
    lines.push(
      `| ${x.round} | ${x.participants.length} | ${x.trainLoss.toFixed(4)} | ${x.evaluated ? pct(x.accuracy) : '-'} | ${x.central ? pct(x.central.accuracy) : '-'} | ${x.bytesUp} | ${x.bytesDown} | ${x.durations.totalMs} |`,
    );
  return lines.join('\n') + '\n';
}

export function markdownReport(r: SimulationReport): string {
  const sites = r.simulation.sites;
  if (sites.length > 8) return manySitesMarkdown(r);
  const lines = [
    `# Accord simulation: ${r.simulation.dataset}`,
    '',
    `Experiment \`${r.experiment.id}\`, strategy ${r.experiment.config.strategy.name}, ${r.rounds.length} rounds, ${sites.length} sites, ${(r.simulation.durationMs / 1000).toFixed(1)} s.`,
    `Backends: ${Object.entries(r.backends).map(([s, b]) => `${s}=${b}`).join(', ')}. Bytes up ${r.bytes.up}, down ${r.bytes.down}.`,
    '',
    '## Accuracy on each site\'s test split',
    '',
    '| model | ' + sites.join(' | ') + ' | mean |',
    '| --- | ' + sites.map(() => '---').join(' | ') + ' | --- |',
  ];
  if (r.final) lines.push(`| federated | ${sites.map((s) => pct(r.final!.siteAccuracy[s])).join(' | ')} | ${pct(r.final.meanSiteAccuracy)} |`);
  if (r.baselines) {
    lines.push(`| pooled | ${sites.map((s) => pct(r.baselines!.pooled.siteAccuracy[s])).join(' | ')} | ${pct(r.baselines.pooled.meanSiteAccuracy)} |`);
    for (const [s, b] of Object.entries(r.baselines.local)) lines.push(`| ${s} alone | ${sites.map((x) => pct(b.siteAccuracy[x])).join(' | ')} | ${pct(b.meanSiteAccuracy)} |`);
  }
  const byz = byzantineNote(r);
  if (byz) lines.push('', byz.trim()); // after the table, so it stays one table
  const cfg = r.experiment.config;
  if (cfg.secagg.mode !== 'off')
    lines.push(
      '',
      `Secure aggregation: ${cfg.secagg.mode}, threshold ${cfg.secagg.threshold}, neighbours ${cfg.secagg.neighbours ?? (cfg.secagg.mode === 'secagg' ? 'all' : '~2 log2 n')}` +
        (cfg.secagg.dropout ? `, simulated dropout of ${cfg.secagg.dropout.count} client(s) after ${cfg.secagg.dropout.after} each round` : '') +
        '. The coordinator saw only masked vectors and their sum.',
    );
  if (cfg.dp)
    lines.push(
      '',
      `Differential privacy: clip ${cfg.dp.clip}, noise multiplier ${cfg.dp.noise}, delta ${cfg.dp.delta}; epsilon after the last round ${r.final?.epsilon?.toFixed(3) ?? '-'}.` +
        (cfg.secagg.mode !== 'off' ? ' Noise is split among clients; a client that drops takes its share with it, so the effective multiplier of a round is z * sqrt(contributed / selected) (column "z eff").' : ''),
    );
  if (r.experiment.stopped) lines.push('', `Stopped early: ${r.experiment.stopped}.`);
  const dp = Boolean(cfg.dp);
  lines.push(
    '',
    '## Rounds',
    '',
    '| round | train loss | ' + sites.join(' | ') + ' | mean | up bytes | down bytes | ms |' + (dp ? ' epsilon | z eff |' : ''),
    '| --- | --- | ' + sites.map(() => '---').join(' | ') + ' | --- | --- | --- | --- |' + (dp ? ' --- | --- |' : ''),
  );
  for (const x of r.rounds)
    lines.push(
      `| ${x.round} | ${x.trainLoss.toFixed(4)} | ${sites.map((s) => pct(x.siteAccuracy[s])).join(' | ')} | ${pct(x.meanSiteAccuracy)} | ${x.bytesUp} | ${x.bytesDown} | ${x.durations.totalMs} |` +
        (dp ? ` ${x.privacy?.epsilon.toFixed(3) ?? '-'} | ${x.privacy?.effectiveNoiseMultiplier.toFixed(3) ?? '-'} |` : ''),
    );
  return lines.join('\n') + '\n';
}
