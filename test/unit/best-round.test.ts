// The best-scoring round is kept beside the last and the report says which model is which.
import { describe, expect, it } from 'vitest';
import { bestRound } from '../../coordinator/experiments/best-round.js';
import type { ExperimentRecord, RoundRecord } from '../../coordinator/experiments/records.js';
import { buildReport } from '../../coordinator/experiments/report.js';
import { modelsLines } from '../../coordinator/experiments/report-markdown.js';
import { report } from '../helpers/report-fixture.js';

const at = (round: number, meanSiteAccuracy: number, evaluated = true, central?: number): RoundRecord => ({
  ...report.rounds[0]!,
  round,
  meanSiteAccuracy,
  evaluated,
  ...(central !== undefined ? { central: { accuracy: central, loss: 1, examples: 10 } } : {}),
});

describe('best round', () => {
  it('is the earliest of the highest mean site accuracies among evaluated rounds', () => {
    expect(bestRound([at(1, 0.7), at(2, 0.84), at(3, 0.84), at(4, 0.9, false), at(5, NaN)])).toEqual({
      round: 2,
      score: 0.84,
      metric: 'mean site accuracy',
    });
    expect(bestRound([at(1, NaN, false)])).toBeUndefined();
  });

  it("is scored by the coordinator's central evaluation when there is one", () => {
    expect(bestRound([at(1, 0.9, true, 0.6), at(2, 0.5, true, 0.8)])).toMatchObject({
      round: 2,
      metric: 'central accuracy',
    });
  });

  it('the report names model/ the last round and model-best/ the best when they differ', () => {
    const rec = {
      id: 'exp-1',
      name: 'x',
      status: 'completed',
      phase: 'completed',
      createdAt: 0,
      updatedAt: 0,
      round: 3,
      committed: 3,
      config: report.experiment.config,
    } as unknown as ExperimentRecord;
    const rounds = [at(1, 0.6), at(2, 0.9), at(3, 0.7)].map((r) => ({ ...r, privacy: undefined }));
    const r = buildReport(rec, rounds as RoundRecord[], []);
    expect(r.final?.models).toEqual({
      last: { round: 3, dir: 'model' },
      best: { round: 2, score: 0.9, metric: 'mean site accuracy', dir: 'model-best' },
    });
    expect(modelsLines(r).join('\n')).toMatch(
      /`model\/` is the last committed round's \(3\); `model-best\/` is round 2's, the best mean site accuracy \(90\.0%\)/,
    );
    const same = buildReport(
      rec,
      [at(1, 0.6), at(2, 0.7)].map((x) => ({ ...x, privacy: undefined })) as RoundRecord[],
      [],
    );
    expect(same.final?.models?.best?.dir).toBe('model');
    expect(modelsLines(same)).toEqual([]);
  });
});
