// `accord simulate`: a whole federation on this machine in one command.
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors';
import { finalTable, simulate } from '../simulation/run';
import { action, printJson } from './common';

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}: expected a positive integer, got "${v}"`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run a whole federation here: private redis-server, coordinator, one worker process per site')
    .option('--dataset <name>', 'shipped data set', 'heart-disease')
    .option('--rounds <n>', 'training rounds', int('--rounds'), 20)
    .option('--out <dir>', 'output directory (report.json, report.md, model/)', 'runs/latest')
    .option('--redis <url>', 'use this Redis instead of a private redis-server')
    .option('--baselines', 'also train each site alone and all rows pooled, for comparison')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, wasm, cpu', 'auto')
    .option('--seed <n>', 'seed of initialisation, sampling and shuffling', int('--seed'))
    .option('--epochs <n>', 'local epochs per round', int('--epochs'))
    .option('--batch-size <n>', 'local batch size', int('--batch-size'))
    .option('--lr <x>', 'local learning rate', (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new ConfigError(`--lr: expected a positive number, got "${v}"`);
      return n;
    })
    .option('--json', 'print the report as JSON instead of a table')
    .action(
      action(async (o: { dataset: string; rounds: number; out: string; redis?: string; baselines?: boolean; backend: string; seed?: number; epochs?: number; batchSize?: number; lr?: number; json?: boolean }) => {
        const report = await simulate({
          dataset: o.dataset,
          rounds: o.rounds,
          out: o.out,
          ...(o.redis ? { redisUrl: o.redis } : {}),
          baselines: Boolean(o.baselines),
          backend: o.backend,
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          train: {
            ...(o.epochs ? { epochs: o.epochs } : {}),
            ...(o.batchSize ? { batchSize: o.batchSize } : {}),
            ...(o.lr ? { learningRate: o.lr } : {}),
          },
        });
        if (o.json) return printJson(report);
        process.stdout.write('\n' + finalTable(report));
        process.stdout.write(`\nwrote ${o.out}/report.json, ${o.out}/report.md and ${o.out}/model/ (backend: ${[...new Set(Object.values(report.backends))].join(', ')})\n`);
      }),
    );
}
