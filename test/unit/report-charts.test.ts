// The report's accuracy chart, baselines and participation: a line per site beside a thicker mean on
// an axis fitted to the data, a simulation's baselines as a table and reference lines, and runs of
// rounds with the same participation on one row.
import { describe, expect, it } from 'vitest';
import { accuracyChart, SITE_LINES_MAX } from '../../coordinator/experiments/accuracy-chart.js';
import { fitAxis, niceStep, percentTick } from '../../coordinator/experiments/chart-axis.js';
import { participationRuns } from '../../coordinator/experiments/participation.js';
import type { ExperimentReport } from '../../coordinator/experiments/report.js';
import type { Baselines, ReportWithBaselines } from '../../coordinator/experiments/report-baselines.js';
import { htmlReport } from '../../coordinator/experiments/report-html.js';
import { experimentMarkdown } from '../../coordinator/experiments/report-markdown.js';
import type { RoundRecord } from '../../coordinator/experiments/round-record.js';
import { markdownReport, type SimulationReport } from '../../simulation/report.js';
import { report } from '../helpers/report-fixture.js';

const base = report.rounds[0]!;

/** A round where `accuracy` maps each site to its own accuracy; the mean is theirs. */
function round(n: number, accuracy: Record<string, number>, failures: Record<string, string> = {}): RoundRecord {
  const accs = Object.values(accuracy);
  return {
    ...base,
    round: n,
    participants: Object.keys(accuracy).filter((s) => !(s in failures)),
    failures,
    siteAccuracy: accuracy,
    meanSiteAccuracy: accs.reduce((a, b) => a + b, 0) / accs.length,
  };
}

/** The demo's shape: 75% -> 84% -> 81.6% on average, three sites apart. */
const demo: ExperimentReport = {
  ...report,
  rounds: [
    round(1, { a: 0.7, b: 0.75, c: 0.8 }),
    round(2, { a: 0.8, b: 0.84, c: 0.88 }),
    round(3, { a: 0.78, b: 0.816, c: 0.852 }),
  ],
};

function sitesReport(n: number): ExperimentReport {
  const sites = Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const acc = (r: number) => Object.fromEntries(sites.map((s, i) => [s, 0.6 + r * 0.05 + i * 0.002]));
  return { ...report, rounds: [round(1, acc(1)), round(2, acc(2))] };
}

const baselines: Baselines = {
  pooled: { siteAccuracy: { a: 0.9, b: 0.88, c: 0.86 }, meanSiteAccuracy: 0.88, epochs: 3 },
  local: {
    a: { siteAccuracy: { a: 0.72, b: 0.6, c: 0.6 }, meanSiteAccuracy: 0.64, epochs: 3 },
    b: { siteAccuracy: { a: 0.6, b: 0.7, c: 0.6 }, meanSiteAccuracy: 0.6333, epochs: 3 },
    c: { siteAccuracy: { a: 0.6, b: 0.6, c: 0.74 }, meanSiteAccuracy: 0.6467, epochs: 3 },
  },
};

/** The y values of the tick labels, in percent. */
const tickLabels = (svg: string) => [...svg.matchAll(/text-anchor="end">([\d.]+)%</g)].map((m) => Number(m[1]));

describe('the y axis', () => {
  it('fits the data on round ticks, not always 0-100%', () => {
    const axis = fitAxis([0.75, 0.84, 0.816], { clamp: [0, 1] });
    expect(axis.lo).toBeGreaterThan(0.5);
    expect(axis.lo).toBeLessThanOrEqual(0.75);
    expect(axis.hi).toBeGreaterThanOrEqual(0.84);
    expect(axis.hi).toBeLessThanOrEqual(1);
    // Every tick a whole number of steps: 70%, 75%, 80%, ..., not 73.4%.
    for (const t of axis.ticks) expect(Math.abs(t / axis.step - Math.round(t / axis.step))).toBeLessThan(1e-9);
    expect(axis.ticks[0]).toBe(axis.lo);
    expect(axis.ticks.at(-1)).toBe(axis.hi);
  });

  it('stays inside its clamp, and spans a single value or none', () => {
    expect(fitAxis([0.99, 1], { clamp: [0, 1] }).hi).toBe(1);
    const one = fitAxis([0.5]);
    expect(one.lo).toBeLessThan(0.5);
    expect(one.hi).toBeGreaterThan(0.5);
    expect(fitAxis([])).toMatchObject({ lo: 0, hi: 1 });
  });

  it('steps are 1, 2 or 5 x 10^k, labelled with the decimals they need', () => {
    expect([niceStep(0.024), niceStep(0.3), niceStep(7), niceStep(0.00003)]).toEqual([0.05, 0.5, 10, 0.00005]);
    expect(percentTick(0.75, 0.05)).toBe('75%');
    expect(percentTick(0.755, 0.005)).toBe('75.5%');
  });
});

describe('the accuracy chart', () => {
  it('draws a line per site beside a thicker mean, with a legend, on a fitted axis', () => {
    const svg = accuracyChart(demo);
    for (const s of ['a', 'b', 'c']) {
      expect(svg.match(new RegExp(`<polyline data-series="${s}"`, 'g'))).toHaveLength(1);
      expect(svg).toContain(`>${s}</text>`); // in the legend
    }
    expect(svg.match(/<polyline/g)).toHaveLength(4); // three sites and the mean
    const width = (name: string) =>
      Number(svg.match(new RegExp(`data-series="${name}"[^>]*stroke-width="([\\d.]+)"`))![1]);
    expect(width('mean site accuracy')).toBeGreaterThan(width('a'));
    const ticks = tickLabels(svg);
    expect(Math.min(...ticks)).toBeGreaterThan(50);
    expect(Math.min(...ticks)).toBeLessThanOrEqual(70);
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(88);
  });

  it(`above ${SITE_LINES_MAX} sites draws the mean over a lowest-to-highest band instead of a line each`, () => {
    const few = accuracyChart(sitesReport(SITE_LINES_MAX));
    expect(few.match(/<polyline/g)).toHaveLength(SITE_LINES_MAX + 1);
    const many = accuracyChart(sitesReport(SITE_LINES_MAX + 1));
    expect(many.match(/<polyline/g)).toHaveLength(1);
    expect(many).toContain(`<polygon data-band="lowest to highest of ${SITE_LINES_MAX + 1} sites"`);
  });

  it('without per-site accuracies draws the mean alone', () => {
    expect(accuracyChart(report).match(/<polyline/g)).toHaveLength(1);
  });
});

describe('baselines in report.html', () => {
  const withBaselines: ReportWithBaselines = { ...demo, baselines };

  it('a table of federated, pooled and each site alone, and reference lines on the accuracy chart', () => {
    const html = htmlReport(withBaselines);
    expect(html).toContain('<h2>Baselines</h2>');
    expect(html).toContain(
      '<tr><th>pooled (centralised)</th><td>90.0%</td><td>88.0%</td><td>86.0%</td><td>88.0%</td></tr>',
    );
    for (const s of ['a', 'b', 'c']) expect(html).toContain(`<th>${s} alone</th>`);
    // Pooled at 88%, each site alone on its own test split at (72 + 70 + 74) / 3 = 72%.
    expect(html).toMatch(/<line data-reference="pooled \(centralised\) 88\.0%"/);
    expect(html).toMatch(/<line data-reference="each site alone 72\.0%"/);
    expect(htmlReport(demo)).not.toContain('Baselines');
  });

  it('with many sites, means instead of a column per site', () => {
    const many = sitesReport(13);
    const sites = Object.keys(many.rounds[0]!.siteAccuracy);
    const result = (acc: number) => ({
      siteAccuracy: Object.fromEntries(sites.map((s) => [s, acc])),
      meanSiteAccuracy: acc,
      epochs: 3,
    });
    const html = htmlReport({
      ...many,
      baselines: { pooled: result(0.9), local: Object.fromEntries(sites.map((s) => [s, result(0.6)])) },
    });
    expect(html).toContain('<tr><th>pooled (centralised)</th><td>90.0%</td></tr>');
    expect(html).toContain('<tr><th>each site alone, on its own test split (mean of 13)</th><td>60.0%</td></tr>');
  });
});

describe('participation', () => {
  const failed = { b: 'DATA_INVALID: line 2' };
  const rounds = [
    round(1, { a: 0.5, b: 0.5 }, failed),
    round(2, { a: 0.6, b: 0.6 }),
    round(3, { a: 0.7, b: 0.7 }),
    round(4, { a: 0.8, b: 0.8 }),
    round(5, { a: 0.8, b: 0.8 }, failed),
  ];
  const r: ExperimentReport = { ...report, rounds };

  it('collapses consecutive rounds with the same participation; a different round breaks the run', () => {
    expect(participationRuns(rounds).map((x) => [x.first, x.last])).toEqual([
      [1, 1],
      [2, 4],
      [5, 5],
    ]);
    // Another failure reason is other participation; so is a gap in the rounds.
    expect(participationRuns([...rounds.slice(0, 1), round(2, { a: 0.5, b: 0.5 }, { b: 'other' })])).toHaveLength(2);
    expect(participationRuns([rounds[1]!, { ...rounds[2]!, round: 7 }])).toHaveLength(2);
  });

  it('report.html: one row naming the range', () => {
    const html = htmlReport(r);
    expect(html).toContain(
      '<tr><td>rounds 2–4</td><td class="ok">trained</td><td class="ok">trained</td><td>60.0% → 80.0%</td></tr>',
    );
    expect(html).toMatch(/<tr><td>round 1<\/td><td class="ok">trained<\/td><td class="fail">DATA_INVALID/);
    expect(html).toMatch(/<tr><td>round 5<\/td>/);
    expect(html.match(/<tr><td>rounds? \d/g)).toHaveLength(3);
  });

  it('report.html with many sites: who trained and who failed instead of a column each', () => {
    const html = htmlReport(sitesReport(13));
    expect(html).toContain('<tr><th>rounds</th><th>trained</th><th>failed</th><th>mean site accuracy</th></tr>');
    expect(html).toMatch(/<tr><td>rounds 1–2<\/td><td class="ok">all 13 sites<\/td><td>-<\/td>/);
  });

  it('report.md: one row naming the range', () => {
    const md = experimentMarkdown(r);
    expect(md).toContain('| rounds 2–4 | all 2 sites | - | 60.0% → 80.0% |');
    expect(md).toContain('| round 1 | a | b: DATA_INVALID: line 2 | 50.0% |');
    expect(md.match(/^\| rounds? \d/gm)).toHaveLength(3);
  });
});

describe("a simulation's report.md", () => {
  const sim = (n: number): SimulationReport => {
    const r = sitesReport(n);
    const sites = Object.keys(r.rounds[0]!.siteAccuracy);
    const result = (acc: number) => ({
      siteAccuracy: Object.fromEntries(sites.map((s) => [s, acc])),
      meanSiteAccuracy: acc,
      epochs: 3,
    });
    return {
      ...r,
      final: null,
      simulation: { dataset: 'd', sites, redis: 'r', durationMs: 1, processes: 2 },
      baselines: { pooled: result(0.9), local: Object.fromEntries(sites.map((s) => [s, result(0.6)])) },
    };
  };

  it('with many sites, has the baselines as means and the participation collapsed', () => {
    const md = markdownReport(sim(13));
    expect(md).toContain('| pooled (centralised) | 90.0% |');
    expect(md).toContain('| each site alone, on its own test split (mean of 13) | 60.0% |');
    expect(md).toContain('| rounds 1–2 | all 13 sites | - |');
  });

  it('with few sites, keeps its table of each site alone and has the participation', () => {
    const md = markdownReport(sim(3));
    expect(md).toContain('| s00 alone | 60.0% | 60.0% | 60.0% | 60.0% |');
    expect(md).toContain('| rounds 1–2 | all 3 sites | - |');
  });
});
