// Personalization in the reports: each site's personal model beside the global model and the site
// alone, and the gains. The personal figures come from the sites' evaluations (personal.<name>);
// the global one from the same run where its global model is FedAvg's (ditto, finetune), or from a
// FedAvg run beside it (fedper and fedrep, whose global head never trains: `accord simulate
// --baselines` runs one); the site alone from the baselines.
import { pct } from '../../shared/format.js';
import { escapeHtml as esc } from '../../shared/html.js';
import { bySiteName } from './participation.js';
import type { ReportWithBaselines } from './report-baselines.js';

export interface PersonalRow {
  site: string;
  personal: number;
  /** The global (FedAvg) model on the site's test rows, when there is a comparable one. */
  global?: number;
  /** The site's own model alone (baselines). */
  alone?: number;
}

export interface PersonalTable {
  method: string;
  rows: PersonalRow[];
  /** Where the global column comes from. */
  globalFrom?: string;
  mean: { personal: number; global?: number; alone?: number };
  /** Mean over the sites of personal - global, and of personal - max(global, alone). */
  meanGain?: number;
  meanGainOverBest?: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The per-site table of a personalized run (undefined without personalization). */
export function personalTable(r: ReportWithBaselines): PersonalTable | undefined {
  const p = r.final?.personalization;
  if (!p) return undefined;
  const companion = r.baselines?.federated;
  const global = companion?.siteAccuracy ?? (p.globalComparable ? r.final!.siteAccuracy : undefined);
  const globalFrom = companion
    ? `a ${companion.strategy} run without personalization on the same sites, experiment ${companion.experimentId}`
    : global
      ? `this run (${r.experiment.config.strategy.name})`
      : undefined;
  const rows = Object.entries(p.siteAccuracy)
    .sort(([a], [b]) => bySiteName(a, b))
    .map(([site, personal]): PersonalRow => {
      const alone = r.baselines?.local[site]?.siteAccuracy[site];
      return {
        site,
        personal,
        ...(global?.[site] !== undefined ? { global: global[site] } : {}),
        ...(alone !== undefined ? { alone } : {}),
      };
    });
  const has = (k: 'global' | 'alone') => rows.every((x) => x[k] !== undefined && Number.isFinite(x[k]));
  return {
    method: p.method,
    rows,
    ...(globalFrom && has('global') ? { globalFrom } : {}),
    mean: {
      personal: mean(rows.map((x) => x.personal)),
      ...(has('global') ? { global: mean(rows.map((x) => x.global!)) } : {}),
      ...(has('alone') ? { alone: mean(rows.map((x) => x.alone!)) } : {}),
    },
    ...(has('global') ? { meanGain: mean(rows.map((x) => x.personal - x.global!)) } : {}),
    ...(has('global') && has('alone')
      ? { meanGainOverBest: mean(rows.map((x) => x.personal - Math.max(x.global!, x.alone!))) }
      : {}),
  };
}

const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`;

function columns(t: PersonalTable): { head: string[]; rows: string[][]; summary: string } {
  const g = t.mean.global !== undefined;
  const a = t.mean.alone !== undefined;
  const head = ['site', `personalized (${t.method})`, ...(g ? ['global'] : []), ...(a ? ['site alone'] : [])];
  const rows = [
    ...t.rows.map((x) => [x.site, pct(x.personal), ...(g ? [pct(x.global)] : []), ...(a ? [pct(x.alone)] : [])]),
    ['mean', pct(t.mean.personal), ...(g ? [pct(t.mean.global)] : []), ...(a ? [pct(t.mean.alone)] : [])],
  ];
  const summary = [
    `Each site's personalized model (${t.method}) on its own test rows`,
    t.globalFrom ? `, beside the global model of ${t.globalFrom}` : '',
    a ? ' and its own model alone' : '',
    '.',
    t.meanGain !== undefined ? ` Mean gain over the global model ${points(t.meanGain)}` : '',
    t.meanGainOverBest !== undefined
      ? `; over the better of global and alone at each site ${points(t.meanGainOverBest)}`
      : '',
    t.meanGain !== undefined ? '.' : '',
    t.globalFrom ? '' : ' (no comparable global model: run `accord simulate --baselines` for a FedAvg run beside it)',
  ].join('');
  return { head, rows, summary };
}

/** report.md's personalization section. */
export function personalMarkdown(r: ReportWithBaselines): string[] {
  const t = personalTable(r);
  if (!t) return [];
  const { head, rows, summary } = columns(t);
  return [
    '',
    '## Personalization',
    '',
    summary,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** report.html's personalization section. */
export function personalHtml(r: ReportWithBaselines): string[] {
  const t = personalTable(r);
  if (!t) return [];
  const { head, rows, summary } = columns(t);
  return [
    '<h2>Personalization</h2>',
    `<p>${esc(summary)}</p>`,
    `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows
      .map((row) => `<tr>${row.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
      .join('')}</table>`,
  ];
}
