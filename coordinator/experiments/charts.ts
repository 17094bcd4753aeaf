// Line charts as inline SVG, drawn on the server: report.html and the status page stay single files with
// no script and nothing fetched. Pure: series in, markup out.
import { escapeHtml as esc } from '../../shared/html.js';

export interface ChartSeries {
  name: string;
  /** [x, y] pairs, x ascending (round numbers). Non-finite y values are skipped. */
  points: [number, number][];
  /** Draw dashed (a limit, e.g. the privacy budget). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  series: ChartSeries[];
  /** Fixed y range; default: the data's range, padded. */
  yRange?: [number, number];
  /** Format of the y tick labels. Default: 3 significant digits. */
  yFormat?: (y: number) => string;
  /** Default 640 x 260. */
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const MARGIN = { left: 56, right: 16, top: 28, bottom: 36 };

function range(values: number[], pad: number): [number, number] {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** `ticks` evenly spaced values from lo to hi inclusive. */
function ticks(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

export function lineChartSvg(o: LineChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 260;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const series = o.series.map((s) => ({ ...s, points: s.points.filter(([, y]) => Number.isFinite(y)) }));
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const [x0, x1] = xs.length
    ? [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)]
    : [0, 1];
  const [y0, y1] =
    o.yRange ??
    range(
      series.flatMap((s) => s.points.map(([, y]) => y)),
      0.05,
    );
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  const fmt = o.yFormat ?? ((y: number) => Number(y.toPrecision(3)).toString());
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}" font-family="sans-serif" font-size="11">`,
    `<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`,
  ];
  for (const y of ticks(y0, y1, 5))
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 4}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(y))}</text>`,
    );
  const step = Math.max(1, Math.ceil((x1 - x0) / 10));
  for (let x = x0; x <= x1; x += step)
    out.push(`<text x="${px(x).toFixed(1)}" y="${height - MARGIN.bottom + 14}" text-anchor="middle">${x}</text>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 4}" text-anchor="middle">round</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(
      `<polyline data-series="${esc(s.name)}" points="${pts}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    if (!s.dashed)
      for (const [x, y] of s.points)
        out.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"><title>${esc(s.name)}, round ${x}: ${esc(fmt(y))}</title></circle>`,
        );
    // The legend sits on the title row, right of the title, so it never covers a line.
    const lx = MARGIN.left + 200 + i * 150;
    out.push(
      `<line x1="${lx}" x2="${lx + 16}" y1="12" y2="12" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 20}" y="16">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
