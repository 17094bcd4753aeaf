// The intervals from the round record to report.json's `final` and into report.md and report.html;
// and the counts a site's evaluation carries (scoreProbabilities).
import { describe, expect, it } from 'vitest';
import type { ExperimentRecord, RoundRecord } from '../../coordinator/experiments/records.js';
import { buildReport } from '../../coordinator/experiments/report.js';
import { htmlReport } from '../../coordinator/experiments/report-html.js';
import { experimentMarkdown } from '../../coordinator/experiments/report-markdown.js';
import { roundRecordSchema } from '../../coordinator/experiments/round-record.js';
import type { TaskJobResult } from '../../coordinator/queues/jobs.js';
import { siteEvaluation } from '../../coordinator/rounds/site-evaluation.js';
import { scoreProbabilities } from '../../shared/models/train.js';
import { histogramMetrics, SCORE_BINS } from '../../shared/stats/score-histogram.js';
import { report } from '../helpers/report-fixture.js';

const cfg = report.experiment.config;

function site(name: string, examples: number, metrics: Record<string, number>): TaskJobResult {
  return { site: name, kind: 'evaluate', backend: 'cpu', examples, metrics, bytesDown: 0, bytesUp: 0, durationMs: 1 };
}

const evaluation = siteEvaluation(
  [
    site('alpha', 50, {
      accuracy: 0.8,
      loss: 0.4,
      auc: 0.9,
      correct: 40,
      ...histogramMetrics({ pos: [1, 2, 7, 15], neg: [12, 8, 4, 1] }),
    }),
    site('beta', 50, {
      accuracy: 0.82,
      loss: 0.5,
      auc: 0.85,
      correct: 41,
      ...histogramMetrics({ pos: [0, 3, 10, 12], neg: [9, 9, 5, 2] }),
    }),
  ],
  cfg,
);
// Through JSON and the schema, as a stored round is read back.
const last: RoundRecord = roundRecordSchema.parse(JSON.parse(JSON.stringify({ ...report.rounds[2]!, ...evaluation })));
const rec = { id: 'exp-1', name: cfg.name, status: 'completed', config: cfg, createdAt: 0 } as ExperimentRecord;
const built = buildReport(rec, [...report.rounds.slice(0, 2), last], []);

describe("report.json's final intervals", () => {
  it("carries the pooled accuracy interval and AUC with theirs, and each site's", () => {
    const f = built.final!;
    expect(f.accuracyInterval).toMatchObject({ level: 0.95, method: 'wilson', correct: 81, examples: 100 });
    // scipy.stats.binomtest(81, 100).proportion_ci(method='wilson')
    expect(f.accuracyInterval!.lower).toBeCloseTo(0.7222115462093562, 12);
    expect(f.accuracyInterval!.upper).toBeCloseTo(0.8748524849023126, 12);
    expect(f.auc).toMatchObject({ level: 0.95, method: 'binned Mann-Whitney, Hanley-McNeil SE', bins: 4 });
    expect(f.auc!.lower).toBeLessThan(f.auc!.value);
    expect(Object.keys(f.siteAccuracyInterval!)).toEqual(['alpha', 'beta']);
    expect(f.siteAuc!['beta']!.upper).toBeGreaterThan(f.siteAuc!['beta']!.value);
  });

  it('leaves them out for rounds from before them', () => {
    const old = buildReport(rec, report.rounds, []).final!;
    expect(old.accuracyInterval).toBeUndefined();
    expect(old.auc).toBeUndefined();
  });

  it('shows them in report.md and report.html', () => {
    const md = experimentMarkdown(built);
    expect(md).toContain("Final accuracy over the sites' pooled test rows 81.0% (95% CI 72.2–87.5%)");
    expect(md).toMatch(/AUC 0\.\d{3} \(95% CI 0\.\d{3}–0\.\d{3}\)/);
    // scipy.stats.binomtest(40, 50).proportion_ci(method='wilson'): 0.66963 to 0.88756.
    expect(md).toContain('| alpha | 50 | 80.0% (95% CI 67.0–88.8%) |');
    const html = htmlReport(built);
    expect(html).toContain('81.0% (95% CI 72.2–87.5%)');
    expect(html).toContain('data-band="95% interval"');
  });
});

describe('the counts of an evaluation', () => {
  it('has scoreProbabilities count correct rows and bin the scores by label', () => {
    const r = scoreProbabilities(new Float32Array([0.92, 0.2, 0.62, 0.4]), new Int32Array([1, 0, 0, 1]), 2);
    expect(r.correct).toBe(2);
    expect(r.scoreHistogram!.pos.length).toBe(SCORE_BINS);
    expect(r.scoreHistogram!.pos[18]).toBe(1);
    expect(r.scoreHistogram!.neg[12]).toBe(1);
    const multi = scoreProbabilities(new Float32Array([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]), new Int32Array([0, 1]), 3);
    expect(multi.correct).toBe(1);
    expect(multi.scoreHistogram).toBeUndefined();
  });
});
