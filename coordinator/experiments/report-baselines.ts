// The baselines `accord simulate --baselines` trains beside the federation (simulation/baselines.ts):
// all rows pooled, and each site alone. They are stored in report.json as `baselines`; here they become
// report.html's table and the accuracy chart's reference lines. Typed here, not in simulation/, because
// the coordinator's report renderers read them and must not import from the layer above.
import { pct } from '../../shared/format.js';
import { escapeHtml as esc } from '../../shared/html.js';
import type { ChartReference } from './charts.js';
import type { ExperimentReport } from './report.js';

export interface BaselineResult {
  /** Accuracy on each site's test split. */
  siteAccuracy: Record<string, number>;
  meanSiteAccuracy: number;
  /** Epochs trained: rounds x local epochs, the federation's total. */
  epochs: number;
}

export interface Baselines {
  pooled: BaselineResult;
  local: Record<string, BaselineResult>;
  /**
   * Personalization by fedper or fedrep, whose own global head never trains: a plain run of the same
   * experiment (fedavg, no personalization) on the same sites, run first, for the global column.
   */
  federated?: BaselineResult & { strategy: string; experimentId: string };
}

/** A report that may carry baselines (a simulation's report.json). */
export type ReportWithBaselines = ExperimentReport & { baselines?: Baselines };

/** Above this many sites the table shows means only, not a column per site. */
export const BASELINE_COLUMNS_MAX = 12;

const mean = (xs: number[]) => {
  const finite = xs.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
};

/**
 * Each site's own model on its own test split, averaged over the sites: what a site gets without
 * federating, on the same footing as the mean site accuracy of the federated model.
 */
export function aloneOnOwnSplit(b: Baselines): number {
  return mean(Object.entries(b.local).map(([s, x]) => x.siteAccuracy[s] ?? NaN));
}

/** Horizontal lines for the accuracy chart: pooled, and each site alone (own test split, mean). */
export function baselineReferences(b: Baselines | undefined): ChartReference[] {
  if (!b) return [];
  const alone = aloneOnOwnSplit(b);
  return [
    { name: `pooled (centralised) ${pct(b.pooled.meanSiteAccuracy)}`, y: b.pooled.meanSiteAccuracy, color: '#555' },
    { name: `each site alone ${pct(alone)}`, y: alone, color: '#999', dash: '2 3' },
  ];
}

/** The summary rows (model, mean site accuracy) for runs with too many sites for a column each. */
export function baselineSummaryRows(r: ReportWithBaselines): [string, string][] {
  const b = r.baselines;
  if (!b) return [];
  const n = Object.keys(b.local).length;
  const rows: [string, string][] = r.final
    ? [[`federated (${r.experiment.config.strategy.name})`, pct(r.final.meanSiteAccuracy)]]
    : [];
  rows.push(
    ['pooled (centralised)', pct(b.pooled.meanSiteAccuracy)],
    [`each site alone, on its own test split (mean of ${n})`, pct(aloneOnOwnSplit(b))],
    [
      `each site alone, on every site's test split (mean of ${n})`,
      pct(mean(Object.values(b.local).map((x) => x.meanSiteAccuracy))),
    ],
  );
  return rows;
}

/** One row per model (federated, pooled, each site alone), one column per site's test split. */
function matrix(r: ReportWithBaselines, b: Baselines): string {
  const sites = Object.keys(b.pooled.siteAccuracy);
  const row = (name: string, x: { siteAccuracy: Record<string, number>; meanSiteAccuracy: number }) =>
    `<tr><th>${esc(name)}</th>${sites.map((s) => `<td>${pct(x.siteAccuracy[s])}</td>`).join('')}<td>${pct(x.meanSiteAccuracy)}</td></tr>`;
  return [
    `<table><tr><th>model</th>${sites.map((s) => `<th>${esc(s)}</th>`).join('')}<th>mean</th></tr>`,
    ...(r.final ? [row(`federated (${r.experiment.config.strategy.name})`, r.final)] : []),
    row('pooled (centralised)', b.pooled),
    ...Object.entries(b.local).map(([s, x]) => row(`${s} alone`, x)),
    '</table>',
  ].join('');
}

/** report.html's baselines section (nothing without baselines). */
export function baselinesHtml(r: ReportWithBaselines): string[] {
  const b = r.baselines;
  if (!b) return [];
  const many = Object.keys(b.pooled.siteAccuracy).length > BASELINE_COLUMNS_MAX;
  return [
    '<h2>Baselines</h2>',
    `<p>Trained in the same run with the same model and seed for ${b.pooled.epochs} epochs (the federation's rounds x local epochs): ` +
      "all sites' rows pooled in one place, and each site on its own rows alone. Accuracy on each site's test split" +
      `${many ? ', as means over the sites' : ''}. The accuracy chart draws the pooled mean and the mean of each site's own model on its own test split as reference lines.</p>`,
    many
      ? `<table><tr><th>model</th><th>mean site accuracy</th></tr>${baselineSummaryRows(r)
          .map(([m, v]) => `<tr><th>${esc(m)}</th><td>${v}</td></tr>`)
          .join('')}</table>`
      : matrix(r, b),
  ];
}
