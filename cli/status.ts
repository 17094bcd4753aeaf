// `accord status`: experiments, their rounds, and the connected workers.
import type { Command } from 'commander';
import { ExperimentRecords } from '../coordinator/experiments/records';
import { WorkerRegistry } from '../coordinator/sessions/registry';
import { pct } from '../shared/format';
import { DEFAULT_REDIS_URL } from '../shared/redis-url';
import { action, connectRedis, printJson } from './common';

export function register(program: Command): void {
  program
    .command('status [id]')
    .description('show experiments, rounds and connected workers')
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .option('--json', 'print JSON')
    .action(
      action(async (id: string | undefined, o: { redis: string; json?: boolean }) => {
        const redis = await connectRedis(o.redis);
        try {
          const records = new ExperimentRecords(redis);
          const registry = new WorkerRegistry(redis, 2000);
          const all = await records.list();
          const exps = id ? all.filter((e) => e.id === id) : all;
          const live = new Set((await registry.live()).map((w) => w.site));
          const workers = (await registry.all()).map((w) => ({ ...w, live: live.has(w.site) }));
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
          if (o.json) return printJson({ experiments, workers });
          process.stdout.write(
            'EXPERIMENT                   NAME              STATUS     ROUND    PHASE                 ACCURACY\n',
          );
          for (const e of experiments)
            process.stdout.write(
              `${e.id.padEnd(28)} ${e.name.slice(0, 16).padEnd(17)} ${e.status.padEnd(10)} ${`${e.committed}/${e.rounds}`.padEnd(8)} ${e.phase.slice(0, 21).padEnd(21)} ${pct(e.meanSiteAccuracy ?? undefined)}${e.error ? `  error: ${e.error}` : ''}\n`,
            );
          process.stdout.write(`\nWORKERS (${workers.filter((w) => w.live).length} live)\n`);
          for (const w of workers)
            process.stdout.write(
              `  ${w.site.padEnd(16)} ${w.live ? 'live ' : 'stale'} ${w.backend}/${w.device} on ${w.instance}, ${w.datasets.map((d) => `${d.name} (${d.examples} rows)`).join(', ')}\n`,
            );
        } finally {
          redis.disconnect();
        }
      }),
    );
}
