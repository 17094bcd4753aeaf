// `accord report ID`: the per-round table of an experiment.
import type { Command } from 'commander';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { buildReport } from '../coordinator/experiments/report.js';
import { AccordError } from '../shared/errors/index.js';
import { epsilonWithTerms, pct } from '../shared/format.js';
import { DEFAULT_REDIS_URL } from '../shared/redis-url.js';
import { action, connectRedis, printJson, redisClusterOption, redisTargetOf } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function roundTable(report: ReturnType<typeof buildReport>): string {
  const sites = [...new Set(report.rounds.flatMap((r) => Object.keys(r.siteAccuracy)))].sort();
  const head = ['round', 'train loss', ...sites.map((s) => s.slice(0, 11)), 'mean acc', 'up KiB', 'down KiB', 'ms'];
  const lines = [head.map((h) => h.padEnd(11)).join(' ')];
  for (const r of report.rounds) {
    lines.push(
      [
        String(r.round),
        Number.isFinite(r.trainLoss) ? r.trainLoss.toFixed(4) : '-',
        ...sites.map((s) => pct(r.siteAccuracy[s])),
        pct(r.meanSiteAccuracy),
        (r.bytesUp / 1024).toFixed(1),
        (r.bytesDown / 1024).toFixed(1),
        String(r.durations.totalMs),
      ]
        .map((c) => c.padEnd(11))
        .join(' '),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('report <id>')
    .description(DESCRIPTIONS['report'])
    .option('--redis <url>', 'Redis URL', DEFAULT_REDIS_URL)
    .addOption(redisClusterOption())
    .option('--json', 'print the whole report as JSON')
    .action(
      action(async (id: string, o: { redis: string; redisCluster?: string; json?: boolean }) => {
        const redis = await connectRedis(redisTargetOf(o, DEFAULT_REDIS_URL));
        try {
          const records = new ExperimentRecords(redis);
          const rec = await records.get(id);
          if (!rec) throw new AccordError('UNKNOWN_EXPERIMENT', `no experiment "${id}"`);
          const report = buildReport(
            rec,
            await records.rounds(id),
            await records.events(id),
            await records.trustRecords(id),
          );
          if (o.json) return printJson(report);
          process.stdout.write(
            `${rec.id} (${rec.name}): ${rec.status}, ${report.rounds.length}/${rec.config.rounds} rounds committed\n\n`,
          );
          process.stdout.write(roundTable(report));
          const last = report.rounds.at(-1)?.privacy;
          if (last && report.privacy)
            process.stdout.write(
              `\nepsilon ${epsilonWithTerms(last)}\n${report.privacy.statement}; not covered: ${report.privacy.notCovered}\n`,
            );
          for (const e of report.events) process.stdout.write(`! ${new Date(e.at).toISOString()} ${e.message}\n`);
        } finally {
          redis.disconnect();
        }
      }),
    );
}
