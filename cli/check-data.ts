// `accord check-data`: a site checks its file against an experiment's data settings before joining,
// and sees a per-column summary. Runs locally; nothing is sent anywhere.
import type { Command } from 'commander';
import { loadExperimentFile } from '../shared/config/load.js';
import { checkSiteData } from '../shared/data/check.js';
import { action, printJson } from './common.js';

export function register(program: Command): void {
  program
    .command('check-data')
    .description("check a site's data file against an experiment's columns and labels, locally (nothing is sent)")
    .requiredOption('--config <file>', 'the experiment (YAML)')
    .requiredOption('--data <file>', "the site's data file (CSV)")
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (o: { config: string; data: string; json?: boolean }) => {
        const check = checkSiteData(o.data, loadExperimentFile(o.config).data);
        if (o.json) return printJson(check);
        const lines = [
          `${o.data}: ${check.rows} rows; classes ${Object.entries(check.classes)
            .map(([c, n]) => `${c}: ${n}`)
            .join(', ')}`,
          'column          present  missing  min        max',
          ...check.columns.map(
            (c) =>
              `${c.name.padEnd(15)} ${String(c.present).padStart(7)}  ${String(c.missing).padStart(7)}  ${String(c.min ?? '-').padEnd(9)}  ${c.max ?? '-'}`,
          ),
          'ok: the file fits the experiment; nothing was sent anywhere',
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
