// `accord status`: experiments, their rounds, and the connected workers.
import type { Command } from 'commander';
import { keysOf } from '../coordinator/experiments/keys.js';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { serverTimeMs } from '../coordinator/liveness.js';
import { WorkerRegistry } from '../coordinator/sessions/registry.js';
import { AccordError } from '../shared/errors/index.js';
import { pct } from '../shared/format.js';
import type { RedisClient } from '../shared/redis-target.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { action, connectRedis, printJson, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Experiments (all, or the one named) with their latest round, and the workers. */
async function snapshot(redis: RedisClient, id: string | undefined) {
  const records = new ExperimentRecords(redis);
  const registry = new WorkerRegistry(redis, 2000);
  const all = await records.list();
  const exps = id ? all.filter((e) => e.id === id) : all;
  if (id && exps.length === 0) throw new AccordError('UNKNOWN_EXPERIMENT', `no experiment "${id}"`);
  const live = new Set((await registry.live()).map((w) => w.site));
  const workers = (await registry.all()).map((w) => ({ ...w, live: live.has(w.site) }));
  // Coordinators beat every second in Redis's clock (coordinator/adoption.ts); 5 s of silence: gone.
  const beats = await redis.hgetall(keysOf(redis).instances());
  const now = await serverTimeMs(redis, keysOf(redis).instances());
  const coordinators = Object.entries(beats)
    .map(([instance, beat]) => ({ instance, live: now - Number(beat) < 5000 }))
    .sort((a, b) => Number(b.live) - Number(a.live) || a.instance.localeCompare(b.instance));
  const experiments = [];
  for (const e of exps) {
    const last = await records.lastRound(e.id);
    experiments.push({
      id: e.id,
      name: e.name,
      status: e.status,
      phase: e.phase,
      round: e.round,
      committed: e.committed,
      rounds: e.config.rounds,
      meanSiteAccuracy: last?.meanSiteAccuracy ?? null,
      ...(e.error ? { error: e.error } : {}),
    });
  }
  return { experiments, coordinators, workers };
}

function render({ experiments, coordinators, workers }: Snapshot): string {
  // The phase comes last, whole ("selecting (0/4 workers)" was cut to fit a column).
  const out = ['EXPERIMENT                   NAME              STATUS     ROUND    ACCURACY  PHASE'];
  for (const e of experiments)
    out.push(
      `${e.id.padEnd(28)} ${e.name.slice(0, 16).padEnd(17)} ${e.status.padEnd(10)} ${`${e.committed}/${e.rounds}`.padEnd(8)} ${pct(e.meanSiteAccuracy ?? undefined).padEnd(9)} ${e.phase}${e.error ? `  error: ${e.error}` : ''}`,
    );
  const liveCoordinators = coordinators.filter((c) => c.live);
  out.push('', `COORDINATORS (${liveCoordinators.length} live)`);
  for (const c of coordinators) out.push(`  ${c.instance.padEnd(28)} ${c.live ? 'live' : 'gone'}`);
  if (liveCoordinators.length === 0 && experiments.some((e) => e.status === 'queued' || e.status === 'running'))
    out.push('  no coordinator is running: queued and running experiments wait for one (accord coordinator)');
  out.push('', `WORKERS (${workers.filter((w) => w.live).length} live)`);
  for (const w of workers)
    out.push(
      `  ${w.site.padEnd(16)} ${w.live ? 'live ' : 'stale'} ${w.backend}/${w.device} on ${w.instance}, ${w.datasets.map((d) => `${d.name} (${d.examples} rows)`).join(', ')}`,
    );
  return `${out.join('\n')}\n`;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

export function register(program: Command): void {
  program
    .command('status [id]')
    .description(DESCRIPTIONS['status'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option('--json', 'print JSON')
    .option('--watch', 'redraw every 2 s (until the named experiment ends, or Ctrl-C)')
    .action(
      action(
        async (
          id: string | undefined,
          o: { redis: string; redisCluster?: string; json?: boolean; watch?: boolean },
        ) => {
          const redis = await connectRedis(redisTargetOf(o, DEFAULT_REDIS_URL));
          try {
            for (;;) {
              const snap = await snapshot(redis, id);
              if (o.json) printJson(snap);
              else process.stdout.write(`${o.watch && process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${render(snap)}`);
              const ended = id !== undefined && snap.experiments.every((e) => ENDED.has(e.status));
              if (!o.watch || ended) return;
              await new Promise((r) => setTimeout(r, 2000));
            }
          } finally {
            redis.disconnect();
          }
        },
      ),
    );
}
