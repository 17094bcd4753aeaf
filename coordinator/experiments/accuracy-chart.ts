// The accuracy chart of report.html and the experiment page: the mean site accuracy drawn thick, each
// site's own accuracy beside it, the coordinator's central test set, and a simulation's baselines as
// reference lines, on a y axis fitted to all of them (a run going 75% -> 84% is not flat on 0-100%).
import { percentTick } from './chart-axis.js';
import { type ChartBand, type ChartSeries, lineChartSvg } from './charts.js';
import { bySiteName } from './participation.js';
import { baselineReferences, type ReportWithBaselines } from './report-baselines.js';
import type { RoundRecord } from './round-record.js';

/**
 * Above this many sites a line each is a tangle nobody can follow: the chart draws the mean over a
 * shaded band from the lowest to the highest site's accuracy per round instead, which still shows how
 * far apart the sites are.
 */
export const SITE_LINES_MAX = 12;

// No greys: those are the baselines' reference lines.
const SITE_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
];

/** Rounds the sites evaluated: the others (eval.every) carry no site accuracy, left out rather than drawn at 0. */
const evaluated = (rounds: readonly RoundRecord[]) => rounds.filter((x) => x.evaluated);

/** Every site with an accuracy in some evaluated round, sorted. */
export function evaluatedSites(rounds: readonly RoundRecord[]): string[] {
  return [...new Set(evaluated(rounds).flatMap((x) => Object.keys(x.siteAccuracy)))].sort(bySiteName);
}

/** Each site's own accuracy per round, a thin line each. */
function siteLines(rounds: readonly RoundRecord[], sites: string[]): ChartSeries[] {
  return sites.map((s, i) => ({
    name: s,
    color: SITE_COLORS[i % SITE_COLORS.length]!,
    width: 1.25,
    dots: false,
    points: evaluated(rounds).flatMap((x): [number, number][] => {
      const y = x.siteAccuracy[s];
      return y === undefined ? [] : [[x.round, y]];
    }),
  }));
}

/** The lowest and highest site accuracy per evaluated round. */
function siteBand(rounds: readonly RoundRecord[], sites: number): ChartBand {
  return {
    name: `lowest to highest of ${sites} sites`,
    points: evaluated(rounds).flatMap((x): [number, number, number][] => {
      const ys = Object.values(x.siteAccuracy).filter(Number.isFinite);
      return ys.length ? [[x.round, Math.min(...ys), Math.max(...ys)]] : [];
    }),
  };
}

export function accuracyChart(r: ReportWithBaselines): string {
  const sites = evaluatedSites(r.rounds);
  // One site: its line would be the mean's, drawn twice.
  const perSite = sites.length > 1 && sites.length <= SITE_LINES_MAX;
  // Listed first for the legend; drawn over the thinner site lines all the same.
  const series: ChartSeries[] = [
    {
      name: 'mean site accuracy',
      color: '#111',
      width: 3,
      points: evaluated(r.rounds).map((x): [number, number] => [x.round, x.meanSiteAccuracy]),
    },
  ];
  if (r.rounds.some((x) => x.central))
    series.push({
      name: 'central test set',
      color: '#111',
      dashed: true,
      dots: true,
      points: r.rounds.flatMap((x): [number, number][] => (x.central ? [[x.round, x.central.accuracy]] : [])),
    });
  if (perSite) series.push(...siteLines(r.rounds, sites));
  return lineChartSvg({
    title: 'Accuracy per round',
    yClamp: [0, 1],
    yFormat: percentTick,
    series,
    bands: sites.length > SITE_LINES_MAX ? [siteBand(r.rounds, sites.length)] : [],
    references: baselineReferences(r.baselines),
  });
}
