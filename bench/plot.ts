// Small SVG line charts (accuracy against rounds or against time); no browser or canvas needed.
export interface Series {
  name: string;
  points: number[];
  color: string;
}

/** Accuracy against rounds: the x-y chart with round numbers as x. */
export function lineChartSvg(title: string, series: Series[], yLabel: string, target?: number): string {
  const byRound = series.map((s) => ({
    name: s.name,
    color: s.color,
    points: s.points.map((v, i): [number, number] => [i + 1, v]),
  }));
  return xyChartSvg(title, byRound, 'round', yLabel, target);
}

export interface XySeries {
  name: string;
  points: [number, number][];
  color: string;
}

/** Lines over a shared numeric x axis (y from 0 to 1), for curves whose points are not one per round. */
export function xyChartSvg(title: string, series: XySeries[], xLabel: string, yLabel: string, target?: number): string {
  const W = 720;
  const H = 420;
  const m = { l: 60, r: 170, t: 40, b: 50 };
  const maxX = Math.max(1, ...series.flatMap((s) => s.points.map(([px]) => px)));
  const x = (v: number) => m.l + (v / maxX) * (W - m.l - m.r);
  const y = (v: number) => m.t + (1 - v) * (H - m.t - m.b);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="15">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= 1.0001; v += 0.1) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  // About ten ticks at a round step (1, 2 or 5 times a power of ten).
  const raw = maxX / 10;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const tick = [1, 2, 5, 10].map((f) => f * pow).find((t) => t >= raw) ?? raw;
  for (let v = 0; v <= maxX + 1e-9; v += tick)
    parts.push(`<text x="${x(v)}" y="${H - m.b + 18}" text-anchor="middle">${Number(v.toPrecision(6))}</text>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(
    `<text x="16" y="${(m.t + H - m.b) / 2}" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  if (target !== undefined)
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(target)}" y2="${y(target)}" stroke="#999" stroke-dasharray="4 4"/><text x="${W - m.r + 4}" y="${y(target) + 4}">target ${target}</text>`,
    );
  series.forEach((s, k) => {
    const d = s.points.map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(
      `<rect x="${W - m.r + 10}" y="${m.t + 20 * k}" width="12" height="3" fill="${s.color}"/><text x="${W - m.r + 28}" y="${m.t + 20 * k + 5}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
