// The federated analysis as people read it: analysis.md (tables) and analysis.html (one self-contained
// page: tables and, per column, each site's histogram as inline SVG bars), beside analysis.json.

import { profiledColumns } from '../../shared/analysis/profile.js';
import { type Analysis, type ColumnSummary, DRIFT_THRESHOLD } from '../../shared/analysis/summary.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import { escapeHtml } from '../../shared/html.js';

const num = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const share = (x: number | undefined) => (x === undefined ? 'withheld' : `${(100 * x).toFixed(1)}%`);

function columnCells(s: ColumnSummary | undefined, suppressed: boolean): string[] {
  if (suppressed) return ['withheld', '', '', '', '', ''];
  if (!s) return ['-', '-', '-', '-', '-', '-'];
  const q = s.quantiles;
  return [
    String(s.n),
    share(s.missingShare),
    num(s.mean),
    num(s.sd),
    q ? `${num(q.p25, 1)} / ${num(q.p50, 1)} / ${num(q.p75, 1)}` : '-',
    s.outOfRange === undefined ? 'withheld' : String(s.outOfRange),
  ];
}

/** Which sites the figures cover. */
const who = (a: Analysis) =>
  a.secure
    ? `${a.secure.sites} sites, summed under secure aggregation (pooled figures only: no site's own, no drift)`
    : `${a.sites.length} sites (${a.sites.join(', ')})`;

const HEAD = ['n', 'missing', 'mean', 'sd', 'quartiles (approx.)', 'outside range'];

/** analysis.md: pooled and per-site tables, labels, drift and flags. */
export function analysisMarkdown(a: Analysis, cfg: CsvDataConfig, title: string): string {
  const cols = profiledColumns(cfg);
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    `# Federated analysis: ${title}`,
    '',
    `${who(a)}, ${a.pooled.rows} rows. Counts below each site's floor (at least ${cfg.minCellCount}) are withheld; quartiles come from ${a.bins}-bin histograms over the declared ranges (within one bin width).`,
    '',
    '## Flags',
    '',
    ...(a.flags.length ? a.flags.map((f) => `- ${f.kind}: ${f.message}`) : ['None.']),
    '',
    '## Pooled',
    '',
    row(['column', ...HEAD]),
    row(['---', ...HEAD.map(() => '---')]),
    ...cols.map((c) => row([c, ...columnCells(a.pooled.columns[c], false)])),
    '',
    `Labels: ${Object.entries(a.pooled.labels)
      .map(([y, k]) => `class ${y}: ${k} (${share(a.pooled.prevalence[y])})`)
      .join(', ')}.`,
  ];
  for (const site of a.sites) {
    const g = a.perSite[site]!;
    lines.push(
      '',
      `## ${site}`,
      '',
      row(['column', ...HEAD]),
      row(['---', ...HEAD.map(() => '---')]),
      ...cols.map((c) => row([c, ...columnCells(g.columns[c], g.suppressed.columns.includes(c))])),
      '',
      `Labels: ${[
        ...Object.entries(g.labels).map(([y, k]) => `class ${y}: ${k} (${share(g.prevalence[y])})`),
        ...g.suppressed.labels.map((y) => `class ${y}: withheld`),
      ].join(', ')}.`,
    );
  }
  if (a.secure) return `${lines.join('\n')}\n`;
  lines.push(
    '',
    `## Drift (standardized mean difference of each site against the others; |d| > ${DRIFT_THRESHOLD} flagged)`,
    '',
    row(['column', ...a.sites]),
    row(['---', ...a.sites.map(() => '---')]),
    ...cols.map((c) => row([c, ...a.sites.map((s) => num(a.drift[c]?.[s]))])),
  );
  return `${lines.join('\n')}\n`;
}

/** One column's histograms, a group of bars per bin with one bar per site (shares of its values). */
function histogramSvg(a: Analysis, column: string, range: [number, number] | undefined): string {
  const series = a.sites
    .map((s) => ({ site: s, hist: a.perSite[s]!.columns[column]?.hist }))
    .filter((x): x is { site: string; hist: number[] } => Boolean(x.hist));
  if (!series.length || !range) return '<p>No histogram (no declared range, or withheld at every site).</p>';
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  const w = 520;
  const h = 140;
  const bins = a.bins;
  const group = w / bins;
  const bar = Math.max(1, (group - 4) / series.length);
  const shares = series.map((x) => {
    const t = x.hist.reduce((p, q) => p + q, 0) || 1;
    return x.hist.map((v) => v / t);
  });
  const top = Math.max(0.01, ...shares.flat());
  const rects = series.flatMap((x, k) =>
    shares[k]!.map((v, i) => {
      const bh = (v / top) * (h - 20);
      return `<rect x="${(i * group + 2 + k * bar).toFixed(1)}" y="${(h - 16 - bh).toFixed(1)}" width="${bar.toFixed(1)}" height="${bh.toFixed(1)}" fill="${colours[k % colours.length]}"><title>${escapeHtml(x.site)}: ${(100 * v).toFixed(1)}%</title></rect>`;
    }),
  );
  const legend = series
    .map((x, k) => `<span style="color:${colours[k % colours.length]}">&#9632; ${escapeHtml(x.site)}</span>`)
    .join(' ');
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(column)} by site">${rects.join('')}<text x="0" y="${h - 2}" font-size="10">${range[0]}</text><text x="${w}" y="${h - 2}" font-size="10" text-anchor="end">${range[1]}</text></svg><div>${legend}</div>`;
}

/** analysis.html: the same tables, flags first, and each column's histograms by site. */
export function analysisHtml(a: Analysis, cfg: CsvDataConfig, title: string): string {
  const cols = profiledColumns(cfg);
  const table = (head: string[], rows: string[][]) =>
    `<table><tr>${head.map((x) => `<th>${escapeHtml(x)}</th>`).join('')}</tr>${rows
      .map((r) => `<tr>${r.map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`)
      .join('')}</table>`;
  const sections = cols.map((c) => {
    const rows = [
      ['pooled', ...columnCells(a.pooled.columns[c], false)],
      ...a.sites.map((s) => [
        s,
        ...columnCells(a.perSite[s]!.columns[c], a.perSite[s]!.suppressed.columns.includes(c)),
      ]),
    ];
    const flags = a.flags.filter((f) => f.column === c);
    return `<section><h3>${escapeHtml(c)}</h3>${flags.length ? `<ul class="flags">${flags.map((f) => `<li>${escapeHtml(f.message)}</li>`).join('')}</ul>` : ''}${histogramSvg(a, c, cfg.ranges?.[c])}${table(['', ...HEAD], rows)}</section>`;
  });
  const labels = table(
    ['', ...Object.keys(a.pooled.labels).map((y) => `class ${y}`)],
    [
      ['pooled', ...Object.keys(a.pooled.labels).map((y) => share(a.pooled.prevalence[y]))],
      ...a.sites.map((s) => [
        s,
        ...Object.keys(a.pooled.labels).map((y) =>
          a.perSite[s]!.suppressed.labels.includes(y) ? 'withheld' : share(a.perSite[s]!.prevalence[y]),
        ),
      ]),
    ],
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>Federated analysis: ${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}td:first-child,th:first-child{text-align:left}.flags li{color:#a33}</style></head><body><h1>Federated analysis: ${escapeHtml(title)}</h1><p>${escapeHtml(who(a))}, ${a.pooled.rows} rows. Counts below each site's floor (at least ${cfg.minCellCount}) are withheld. Quartiles are approximate (${a.bins}-bin histograms over the declared ranges).</p><h2>Flags</h2>${a.flags.length ? `<ul class="flags">${a.flags.map((f) => `<li>${escapeHtml(f.message)}</li>`).join('')}</ul>` : '<p>None.</p>'}<h2>Labels</h2>${labels}<h2>Columns</h2>${sections.join('')}</body></html>\n`;
}
