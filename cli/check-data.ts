// `accord check-data`: a site checks its file against an experiment's data settings before joining,
// and sees a per-column summary. Runs locally; nothing is sent anywhere.
import type { Command } from 'commander';
import { loadExperimentFile } from '../shared/config/load.js';
import { checkSiteData } from '../shared/data/check.js';
import { readTableFile } from '../shared/data/read-table.js';
import { preloadSiteSource } from '../shared/data/sql/postgres.js';
import { DataError } from '../shared/errors/index.js';
import { loadSitePolicy } from '../worker/policy.js';
import { siteDataView } from '../worker/site-data.js';
import { action, printJson } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('check-data')
    .description(DESCRIPTIONS['check-data'])
    .requiredOption('--config <file>', 'the experiment (YAML)')
    .requiredOption(
      '--data <file>',
      "the site's data file (CSV, or Parquet when it ends in .parquet), its folder of IDX files or <class>/<image>.png folders, or a PostgreSQL source (.yaml)",
    )
    .option(
      '--policy <file>',
      "the site's policy: its data rules (missing values, zero-means-missing columns) replace the experiment's, as the worker applies them",
    )
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (o: { config: string; data: string; policy?: string; json?: boolean }) => {
        const asked = loadExperimentFile(o.config).data;
        const data = o.policy ? siteDataView(asked, loadSitePolicy(o.policy).data, undefined).data : asked;
        // A SQL source: its query runs here, once, as the worker runs it at start; then its result is
        // read as a table is (a problem is named by row and column, never by value).
        if (await preloadSiteSource(o.data)) {
          if (data.format !== 'csv')
            throw new DataError(
              `${o.data} is a SQL source: it fits an experiment with data.format csv (a table), not ${data.format}`,
              'WRONG_FORMAT',
            );
          readTableFile(o.data, data);
        }
        const check = checkSiteData(o.data, data);
        if (o.json) return printJson(check);
        const perClass = Object.entries(check.classes)
          .map(([c, n]) => `${c}: ${n}`)
          .join(', ');
        if (check.imageShape) {
          const [h, w, c] = check.imageShape;
          process.stdout.write(
            `${o.data}: ${check.rows} images of ${h}x${w}x${c}; classes ${perClass}\nok: the folder fits the experiment; nothing was sent anywhere\n`,
          );
          return;
        }
        const ranges = data.format === 'csv' ? (data.ranges ?? {}) : {};
        const outside = check.columns.flatMap((c) => {
          const r = ranges[c.name];
          if (!r || c.min === undefined || c.max === undefined || (c.min >= r[0] && c.max <= r[1])) return [];
          return [
            `warning: ${c.name} has values outside the experiment's range [${r[0]}, ${r[1]}]; its statistics clamp them into it`,
          ];
        });
        const lines = [
          `${o.data}: ${check.rows} rows; classes ${perClass}`,
          'column          present  missing  min        max',
          ...check.columns.map(
            (c) =>
              `${c.name.padEnd(15)} ${String(c.present).padStart(7)}  ${String(c.missing).padStart(7)}  ${String(c.min ?? '-').padEnd(9)}  ${c.max ?? '-'}`,
          ),
          ...outside,
          'ok: the file fits the experiment; nothing was sent anywhere',
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
