// The federated analysis, written beside the experiment's report: analysis.json (the figures),
// analysis.md and analysis.html (coordinator/experiments/analysis-report.ts). From the sites' profiles in
// clear (statistics.ts) or their total under secure aggregation (secure/stages.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Analysis } from '../../shared/analysis/summary.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import { writeFileAtomic } from '../../shared/files/atomic.js';
import { analysisHtml, analysisMarkdown } from '../experiments/analysis-report.js';
import type { RoundContext } from './context.js';

/** Writes the three files of analysis `a` of experiment `id`; returns how many flags it raised. */
export function writeAnalysis(ctx: RoundContext, id: string, name: string, data: CsvDataConfig, a: Analysis): number {
  const dir = ctx.paths.experiment(id);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'analysis.json'), `${JSON.stringify(a, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'analysis.md'), analysisMarkdown(a, data, name));
  writeFileAtomic(path.join(dir, 'analysis.html'), analysisHtml(a, data, name));
  return a.flags.length;
}
