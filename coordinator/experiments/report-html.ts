// report.html: the experiment report as one self-contained page (inline SVG charts and styles, no
// script, nothing fetched), written beside report.json for every run and opened from a file or a mail.
import { epsilonWithTerms, pct } from '../../shared/format.js';
import { escapeHtml as esc } from '../../shared/html.js';
import { accuracyChart } from './accuracy-chart.js';
import { percentTick } from './chart-axis.js';
import { type ChartSeries, lineChartSvg } from './charts.js';
import { bySiteName, participationHtml, unitOf } from './participation.js';
import type { ExperimentReport } from './report.js';
import { baselinesHtml, type ReportWithBaselines } from './report-baselines.js';
import { accuracyWithInterval, aucWithInterval, finalIntervalsSentence } from './report-markdown.js';
import { personalHtml } from './report-personal.js';
import { describeBoundedRound } from './round-record.js';

const STYLE =
  'body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}' +
  'td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}' +
  'td.ok{color:#2ca02c}td.fail{color:#d62728}svg{display:block;margin:1em 0}';

function series(
  name: string,
  r: ExperimentReport,
  y: (round: ExperimentReport['rounds'][number]) => number | undefined,
): ChartSeries {
  const points: [number, number][] = [];
  for (const round of r.rounds) {
    const v = y(round);
    if (v !== undefined) points.push([round.round, v]);
  }
  return { name, points };
}

/** Personalization: the mean site accuracy of the personal models and of the global model, per round. */
function personalChart(r: ExperimentReport): string[] {
  if (!r.rounds.some((x) => x.meanPersonalSiteAccuracy !== undefined)) return [];
  const own = r.final?.personalization?.globalComparable !== false;
  return [
    lineChartSvg({
      title: `Personalized (${r.experiment.config.personalization?.method}) and global model, mean site accuracy`,
      yFormat: percentTick,
      series: [
        series('personalized', r, (x) => (x.evaluated ? x.meanPersonalSiteAccuracy : undefined)),
        series(own ? 'global' : 'global (initial head)', r, (x) => (x.evaluated ? x.meanSiteAccuracy : undefined)),
      ],
    }),
  ];
}

/**
 * The accuracy of the sites' pooled test rows per evaluated round over its 95% Wilson interval (a band),
 * for rounds whose sites sent their counts; nothing when none did.
 */
function pooledAccuracyChart(r: ExperimentReport): string[] {
  const rounds = r.rounds.filter((x) => x.evaluated && x.accuracyInterval && x.accuracyInterval.examples > 0);
  if (!rounds.length) return [];
  return [
    lineChartSvg({
      title: "Accuracy of the sites' pooled test rows, with its 95% interval (Wilson)",
      yFormat: percentTick,
      series: [
        {
          name: 'pooled accuracy',
          points: rounds.map((x): [number, number] => [
            x.round,
            x.accuracyInterval!.correct / x.accuracyInterval!.examples,
          ]),
        },
      ],
      bands: [
        {
          name: '95% interval',
          points: rounds.map((x): [number, number, number] => [
            x.round,
            x.accuracyInterval!.lower,
            x.accuracyInterval!.upper,
          ]),
        },
      ],
    }),
  ];
}

/** The final figures with their 95% intervals: the pooled sentence and a row per site (none: no section). */
function intervals(r: ExperimentReport): string[] {
  const sentence = finalIntervalsSentence(r);
  if (!sentence) return [];
  const f = r.final!;
  const sites = Object.keys(f.siteAccuracyInterval ?? {}).sort(bySiteName);
  const withAuc = Boolean(f.siteAuc && Object.keys(f.siteAuc).length);
  const head = ['site', 'test rows', 'accuracy (95% CI)', ...(withAuc ? ['AUC (95% CI)'] : [])];
  const rows = sites.map((s) => {
    const a = f.siteAccuracyInterval![s]!;
    return [s, String(a.examples), accuracyWithInterval(a), ...(withAuc ? [aucWithInterval(f.siteAuc?.[s])] : [])];
  });
  return [
    '<h2>Final evaluation with 95% intervals</h2>',
    `<p>${esc(sentence)}</p>`,
    ...(rows.length
      ? [
          `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>` +
            rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('') +
            '</table>',
        ]
      : []),
  ];
}

/** Accuracy (with a simulation's baselines), loss and (with DP) epsilon against the budget, per committed round. */
export function reportCharts(r: ReportWithBaselines): string[] {
  const charts = [
    accuracyChart(r),
    ...personalChart(r),
    ...pooledAccuracyChart(r),
    lineChartSvg({
      title: 'Loss per round',
      series: [
        series('training loss', r, (x) => x.trainLoss),
        series('evaluation loss', r, (x) => (x.evaluated ? x.loss : undefined)),
      ],
    }),
  ];
  if (r.rounds.some((x) => x.privacy)) {
    const spent = series('epsilon spent', r, (x) => x.privacy?.epsilon);
    const budget = r.experiment.config.dp?.maxEpsilon;
    const first = r.rounds[0]?.round ?? 1;
    const last = r.rounds.at(-1)?.round ?? first;
    charts.push(
      lineChartSvg({
        title: 'Privacy: epsilon spent',
        series: [
          spent,
          ...(budget !== undefined
            ? [
                {
                  name: `budget (${budget})`,
                  dashed: true,
                  points: [
                    [first, budget],
                    [last, budget],
                  ] as [number, number][],
                },
              ]
            : []),
        ],
        yInclude: [0],
      }),
    );
  }
  return charts;
}

/** Updates scaled down and weights capped, a line per round (none: no section). */
function bounded(r: ExperimentReport): string[] {
  const rounds = r.rounds.filter((x) => x.bounded?.length);
  if (!rounds.length) return [];
  const label = unitOf(r.experiment.config.mode);
  return [
    '<h2>Bounded updates and weights</h2>',
    `<ul>${rounds.map((x) => `<li>${esc(describeBoundedRound(`${label} ${x.round}`, x.bounded!))}</li>`).join('')}</ul>`,
  ];
}

export interface HtmlReportOptions {
  /** Served by the coordinator (GET /experiments/<id>): link back to the status page and to the
   *  report.json and exported model it serves beside the page. Default false (a file stands alone). */
  downloads?: boolean;
}

export function htmlReport(r: ReportWithBaselines, options: HtmlReportOptions = {}): string {
  const e = r.experiment;
  const lastPrivacy = r.rounds.at(-1)?.privacy;
  const facts = [
    ['status', e.status + (e.error ? `: ${e.error}` : '') + (e.stopped ? ` (stopped: ${e.stopped})` : '')],
    ['strategy', e.config.strategy.name],
    ['secure aggregation', e.config.secagg.mode],
    ['rounds committed', `${r.rounds.length} of ${e.config.rounds}`],
    ['final mean site accuracy', pct(r.final?.meanSiteAccuracy)],
    ...(r.final?.accuracyInterval
      ? [['final accuracy, pooled test rows', accuracyWithInterval(r.final.accuracyInterval)]]
      : []),
    ...(r.final?.auc ? [['final AUC, pooled test rows', aucWithInterval(r.final.auc)]] : []),
    ...(lastPrivacy ? [['epsilon', epsilonWithTerms(lastPrivacy)]] : []),
    ['bytes', `${r.bytes.down} down, ${r.bytes.up} up`],
  ];
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>Accord report: ${esc(e.name)}</title><style>${STYLE}</style></head><body>`,
    ...(options.downloads
      ? [
          `<p><a href="/">all experiments</a> | <a href="/experiments/${esc(e.id)}/report.json">report.json</a> | ` +
            `model: <a href="/experiments/${esc(e.id)}/model/model.json">model.json</a>, ` +
            `<a href="/experiments/${esc(e.id)}/model/weights.bin">weights.bin</a></p>`,
        ]
      : []),
    `<h1>${esc(e.name)} <small>${esc(e.id)}</small></h1>`,
    `<table>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`,
    ...reportCharts(r),
    ...intervals(r),
    ...personalHtml(r),
    ...baselinesHtml(r),
    '<h2>Participation</h2>',
    participationHtml(r.rounds, unitOf(e.config.mode)),
    ...bounded(r),
    '<h2>Events</h2>',
    `<ul>${r.events.map((ev) => `<li>${esc(new Date(ev.at).toISOString())} ${esc(ev.message)}</li>`).join('')}</ul>`,
    '</body></html>',
    '',
  ].join('\n');
}
