// report.html and its charts: values land where they should on the axes, the page is self-contained
// (no script, nothing fetched), and text from configs and sites is escaped.
import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../../coordinator/experiments/charts.js';
import { htmlReport, reportCharts } from '../../coordinator/experiments/report-html.js';
import { report } from '../helpers/report-fixture.js';

/** [cx, cy] of the data points the chart drew for a series. */
function points(svg: string, name: string): number[][] {
  return [...svg.matchAll(new RegExp(`<circle cx="([\\d.]+)" cy="([\\d.]+)"[^>]*><title>${name},`, 'g'))].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

describe('lineChartSvg', () => {
  it('maps rounds left to right and values bottom to top on a fixed range', () => {
    const svg = lineChartSvg({
      title: 't',
      yRange: [0, 1],
      width: 400,
      height: 200,
      series: [
        {
          name: 'acc',
          points: [
            [1, 0],
            [2, 0.5],
            [3, 1],
            [4, Number.NaN],
          ],
        },
      ],
    });
    const p = points(svg, 'acc');
    expect(p).toHaveLength(3); // NaN skipped
    const [a, b, c] = p as [number[], number[], number[]];
    expect(a[0]).toBeLessThan(b[0]!);
    expect(b[0]).toBeLessThan(c[0]!);
    // Equal steps in value are equal steps on screen, and higher values are drawn higher.
    expect(a[1]! - b[1]!).toBeCloseTo(b[1]! - c[1]!, 5);
    expect(c[1]).toBeLessThan(a[1]!);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
  });
});

describe('htmlReport', () => {
  const html = htmlReport(report);

  it('has accuracy, loss and epsilon-against-budget charts', () => {
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('aria-label="Privacy: epsilon spent"');
    expect(html).toMatch(/data-series="budget \(8\)"[^>]*stroke-dasharray/);
    expect(points(reportCharts(report)[0]!, 'mean site accuracy')).toHaveLength(3);
    // Without DP, no epsilon chart.
    const noDp = { ...report, rounds: report.rounds.map(({ privacy: _, ...r }) => r) };
    expect(reportCharts(noDp)).toHaveLength(2);
  });

  it('shows participation per site per round, with the failure reason', () => {
    expect(html).toMatch(/<td>round 2<\/td><td class="ok">trained<\/td><td class="fail">DATA_INVALID: /);
  });

  it('is self-contained and escapes what configs and sites wrote', () => {
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('charts &lt;b&gt;');
  });
});
