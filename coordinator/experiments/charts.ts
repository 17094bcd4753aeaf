// Line charts as inline SVG, drawn on the server: report.html and the status page stay single files with
// no script and nothing fetched. Pure: series in, markup out.
import { escapeHtml as esc } from '../../shared/html.js';
import { fitAxis } from './chart-axis.js';

export interface ChartSeries {
  name: string;
  /** [x, y] pairs, x ascending (round numbers). Non-finite y values are skipped. */
  points: [number, number][];
  /** Draw dashed (a limit, e.g. the privacy budget). */
  dashed?: boolean;
  /** Stroke width. Default 2. */
  width?: number;
  /** Default: the next colour of the palette. */
  color?: string;
  /** A dot with a tooltip at each point. Default: on for solid lines, off for dashed ones. */
  dots?: boolean;
  /** Named in the legend. Default true. */
  legend?: boolean;
}

/** A shaded area between a low and a high value per x (e.g. the spread of many sites). */
export interface ChartBand {
  name: string;
  /** [x, low, high], x ascending. */
  points: [number, number, number][];
  color?: string;
}

/** A horizontal line across the whole plot: a level to compare against (e.g. a baseline's accuracy). */
export interface ChartReference {
  name: string;
  y: number;
  color?: string;
  /** stroke-dasharray. Default "6 4". */
  dash?: string;
}

export interface LineChartOptions {
  title: string;
  series: ChartSeries[];
  bands?: ChartBand[];
  references?: ChartReference[];
  /** Fixed y range, 5 even ticks; default: fitted to every plotted value, on round ticks. */
  yRange?: [number, number];
  /** Limits a fitted axis never passes (accuracy: [0, 1]). */
  yClamp?: [number, number];
  /** Values a fitted axis holds besides the data (0, to show epsilon from nothing spent). */
  yInclude?: number[];
  /** Format of the y tick labels, given the tick step. Default: 3 significant digits. */
  yFormat?: (y: number, step: number) => string;
  /** Default 640 x 260, plus a line per row of the legend. */
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const MARGIN = { left: 56, right: 16, top: 28, bottom: 36 };
const LEGEND_ROW = 16;

/** A legend entry: its label and the sample drawn beside it, placed at (x, y). */
interface LegendEntry {
  name: string;
  sample: (x: number, y: number) => string;
}

/** Entries left to right, wrapping to a new row below the plot when the next one would not fit. */
function legend(entries: LegendEntry[], width: number, top: number): { markup: string[]; rows: number } {
  const markup: string[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const e of entries) {
    const w = 28 + e.name.length * 6.2; // about 6 px a character at font-size 11
    if (x > MARGIN.left && x + w > width - MARGIN.right) [x, row] = [MARGIN.left, row + 1];
    const y = top + row * LEGEND_ROW;
    markup.push(e.sample(x, y - 4), `<text x="${x + 20}" y="${y}">${esc(e.name)}</text>`);
    x = Math.round(x + w + 12);
  }
  return { markup, rows: entries.length ? row + 1 : 0 };
}

const dashOf = (s: ChartSeries) => (s.dashed ? ' stroke-dasharray="6 4"' : '');

export function lineChartSvg(o: LineChartOptions): string {
  const width = o.width ?? 640;
  const plotH = (o.height ?? 260) - MARGIN.top - MARGIN.bottom;
  const plotW = width - MARGIN.left - MARGIN.right;
  const series = o.series.map((s, i) => ({
    ...s,
    color: s.color ?? COLORS[i % COLORS.length]!,
    points: s.points.filter(([, y]) => Number.isFinite(y)),
  }));
  const bands = (o.bands ?? []).map((b) => ({
    ...b,
    points: b.points.filter(([, lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi)),
  }));
  const references = (o.references ?? []).filter((r) => Number.isFinite(r.y));
  const xs = [...series.flatMap((s) => s.points.map(([x]) => x)), ...bands.flatMap((b) => b.points.map(([x]) => x))];
  const [x0, x1] = xs.length
    ? [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)]
    : [0, 1];
  const ys = [
    ...series.flatMap((s) => s.points.map(([, y]) => y)),
    ...bands.flatMap((b) => b.points.flatMap(([, lo, hi]) => [lo, hi])),
    ...references.map((r) => r.y),
    ...(o.yInclude ?? []),
  ];
  const fixed = o.yRange;
  const axis = fixed
    ? {
        lo: fixed[0],
        hi: fixed[1],
        step: (fixed[1] - fixed[0]) / 4,
        ticks: [0, 1, 2, 3, 4].map((i) => fixed[0] + ((fixed[1] - fixed[0]) * i) / 4),
      }
    : fitAxis(ys, o.yClamp ? { clamp: o.yClamp } : {});
  const [y0, y1] = [axis.lo, axis.hi];
  const px = (x: number) => (MARGIN.left + ((x - x0) / (x1 - x0)) * plotW).toFixed(1);
  const py = (y: number) => (MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH).toFixed(1);
  const fmt = (y: number) => (o.yFormat ? o.yFormat(y, axis.step) : Number(y.toPrecision(3)).toString());
  const body: string[] = [
    `<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`,
  ];
  for (const y of axis.ticks)
    body.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 4}" y="${(Number(py(y)) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(y))}</text>`,
    );
  const step = Math.max(1, Math.ceil((x1 - x0) / 10));
  for (let x = x0; x <= x1; x += step)
    body.push(`<text x="${px(x)}" y="${MARGIN.top + plotH + 14}" text-anchor="middle">${x}</text>`);
  body.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 30}" text-anchor="middle">round</text>`);
  // The legend: the series in the order given, then the bands and reference lines.
  const seriesKeys: LegendEntry[] = [];
  const otherKeys: LegendEntry[] = [];
  // Bands first, so every line is drawn over them.
  for (const b of bands) {
    const color = b.color ?? '#1f77b4';
    const outline = [...b.points.map(([x, , hi]) => [x, hi]), ...[...b.points].reverse().map(([x, lo]) => [x, lo])];
    body.push(
      `<polygon data-band="${esc(b.name)}" points="${outline.map(([x, y]) => `${px(x!)},${py(y!)}`).join(' ')}" fill="${color}" fill-opacity="0.18" stroke="none"><title>${esc(b.name)}</title></polygon>`,
    );
    otherKeys.push({
      name: b.name,
      sample: (x, y) => `<rect x="${x}" y="${y - 5}" width="16" height="10" fill="${color}" fill-opacity="0.18"/>`,
    });
  }
  for (const r of references) {
    const color = r.color ?? '#555';
    const dash = ` stroke-dasharray="${r.dash ?? '6 4'}"`;
    body.push(
      `<line data-reference="${esc(r.name)}" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(r.y)}" y2="${py(r.y)}" stroke="${color}" stroke-width="1.5"${dash}><title>${esc(r.name)}: ${esc(fmt(r.y))}</title></line>`,
    );
    otherKeys.push({
      name: r.name,
      sample: (x, y) =>
        `<line x1="${x}" x2="${x + 16}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="1.5"${dash}/>`,
    });
  }
  // Thin lines under thick ones (sites under their mean); the legend keeps the order given.
  for (const s of [...series].sort((a, b) => (a.width ?? 2) - (b.width ?? 2))) {
    const sw = s.width ?? 2;
    const pts = s.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
    body.push(
      `<polyline data-series="${esc(s.name)}" points="${pts}" fill="none" stroke="${s.color}" stroke-width="${sw}"${dashOf(s)}><title>${esc(s.name)}</title></polyline>`,
    );
    if (s.dots ?? !s.dashed)
      for (const [x, y] of s.points)
        body.push(
          `<circle cx="${px(x)}" cy="${py(y)}" r="${(sw + 3) / 2}" fill="${s.color}"><title>${esc(s.name)}, round ${x}: ${esc(fmt(y))}</title></circle>`,
        );
  }
  for (const s of series) {
    const sw = s.width ?? 2;
    if (s.legend !== false)
      seriesKeys.push({
        name: s.name,
        sample: (x, y) =>
          `<line x1="${x}" x2="${x + 16}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="${sw}"${dashOf(s)}/>`,
      });
  }
  // The legend sits under the plot, so it never covers a line however many entries it has.
  const key = legend([...seriesKeys, ...otherKeys], width, MARGIN.top + plotH + MARGIN.bottom + 12);
  const height = MARGIN.top + plotH + MARGIN.bottom + key.rows * LEGEND_ROW + (key.rows ? 4 : 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}" font-family="sans-serif" font-size="11">`,
    ...body,
    ...key.markup,
    '</svg>',
  ].join('\n');
}
