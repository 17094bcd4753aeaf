// The bounds on one site's influence over a plaintext round: its update's norm (a multiple of the
// round's median norm, and clients.maxUpdateNorm) and its share of the round's weight (water-filling).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { htmlReport } from '../../coordinator/experiments/report-html.js';
import { experimentMarkdown } from '../../coordinator/experiments/report-markdown.js';
import { describeBounded, describeBoundedRound } from '../../coordinator/experiments/round-record.js';
import { DifferentialPrivacy } from '../../coordinator/privacy/differential-privacy.js';
import { foldSpooled, type SpooledUpdate } from '../../coordinator/rounds/fold-spooled.js';
import { FedAvg } from '../../coordinator/strategies/fedavg.js';
import {
  capWeights,
  effectiveShare,
  lowerMedian,
  normScale,
  roundNormBound,
} from '../../coordinator/strategies/update-bounds.js';
import { parseExperiment } from '../../shared/config/load.js';
import { rng } from '../../shared/random.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { report } from '../helpers/report-fixture.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('the median-based norm bound', () => {
  it('the lower median: one site of two, or any minority, cannot raise it', () => {
    expect(lowerMedian([])).toBeNaN();
    expect(lowerMedian([5])).toBe(5);
    expect(lowerMedian([1, 1e30])).toBe(1);
    expect(lowerMedian([3, 1, 2])).toBe(2);
    expect(lowerMedian([4, 1, 1e30, 2])).toBe(2);
    expect(lowerMedian([1, 2, 3, 1e30, 1e31])).toBe(3);
  });

  it('is the multiple of the median; the absolute maxUpdateNorm holds when smaller', () => {
    const norms = [1, 2, 1e30];
    expect(roundNormBound(norms, { multiple: 3 })).toEqual({ bound: 6, rule: 'normBoundMultiple', median: 2 });
    expect(roundNormBound(norms, { multiple: 3, maxUpdateNorm: 10 })).toEqual({
      bound: 6,
      rule: 'normBoundMultiple',
      median: 2,
    });
    expect(roundNormBound(norms, { multiple: 3, maxUpdateNorm: 5 })).toEqual({
      bound: 5,
      rule: 'maxUpdateNorm',
      median: 2,
    });
    // Off: multiple 0, or nothing to derive it from (a median of 0).
    expect(roundNormBound(norms, { multiple: 0 })).toBeUndefined();
    expect(roundNormBound(norms, { multiple: 0, maxUpdateNorm: 5 })).toEqual({ bound: 5, rule: 'maxUpdateNorm' });
    expect(roundNormBound([0, 0, 7], { multiple: 3 })).toBeUndefined();
    expect(roundNormBound([], { multiple: 3 })).toBeUndefined();
  });

  it('scales an update above the bound down to it, and leaves the others', () => {
    expect(normScale(1e30, 6)).toBeCloseTo(6e-30, 40);
    expect(normScale(6, 6)).toBe(1);
    expect(normScale(2, 6)).toBe(1);
    expect(normScale(1e30, undefined)).toBe(1);
  });
});

describe('the water-filling weight cap', () => {
  it('caps the row-ceiling site to half of the round, the others unchanged', () => {
    const { weights, cap } = capWeights([10_000_000, 300, 200], 0.5);
    expect(weights).toEqual([500, 300, 200]);
    expect(cap).toBe(500);
    expect(weights[0]! / sum(weights)).toBe(0.5);
  });

  it('leaves weights within the share as they are', () => {
    expect(capWeights([300, 290, 120, 200], 0.5)).toEqual({ weights: [300, 290, 120, 200] });
    expect(capWeights([100, 100], 0.5)).toEqual({ weights: [100, 100] });
    expect(capWeights([], 0.5)).toEqual({ weights: [] });
    expect(capWeights([0, 0], 0.5)).toEqual({ weights: [0, 0] });
    expect(capWeights([7, 1], 1)).toEqual({ weights: [7, 1] });
  });

  it('with fewer than 1/maxWeightShare sites the cap is 1/sites: equal weights at most', () => {
    expect(effectiveShare(0.5, 1)).toBe(1);
    expect(effectiveShare(0.5, 2)).toBe(0.5);
    expect(effectiveShare(0.25, 3)).toBeCloseTo(1 / 3, 12);
    expect(effectiveShare(0.25, 8)).toBe(0.25);
    expect(capWeights([10_000_000], 0.5).weights).toEqual([10_000_000]);
    expect(capWeights([10_000_000, 300], 0.5).weights).toEqual([300, 300]);
    const three = capWeights([9, 3, 1], 0.25).weights; // 1/3 each at most
    for (const w of three) expect(w).toBeCloseTo(1, 12);
  });

  it('caps several large weights to one level (hand-computed)', () => {
    // Share 0.25: 1000 and 500 capped at c = 0.25 x (2c + 400) -> c = 200.
    const { weights, cap } = capWeights([1000, 500, 100, 100, 100, 100], 0.25);
    expect(cap).toBeCloseTo(200, 9);
    expect(weights.map((w) => Math.round(w * 1e9) / 1e9)).toEqual([200, 200, 100, 100, 100, 100]);
  });

  it('on random weights: no share above the cap, uncapped weights unchanged, one level, as high as it can be', () => {
    const r = rng(17);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(r() * 12);
      const share = [0.1, 0.25, 0.5, 0.9][trial % 4]!;
      const w = Array.from({ length: n }, () => (r() < 0.2 ? 1e7 * r() : 1 + 1000 * r()));
      const { weights, cap } = capWeights(w, share);
      const s = effectiveShare(share, n);
      const total = sum(weights);
      for (const x of weights) expect(x / total).toBeLessThanOrEqual(s * (1 + 1e-9));
      weights.forEach((x, i) => {
        if (cap === undefined || w[i]! <= cap) expect(x).toBe(w[i]);
        else expect(x).toBe(cap);
      });
      // Capping no more than needed: with anything capped, the capped sites hold exactly the share.
      if (cap !== undefined) expect(cap / total).toBeCloseTo(s, 9);
      else expect(Math.max(...w) / sum(w)).toBeLessThanOrEqual(s * (1 + 1e-9));
    }
  });
});

describe('folding spooled updates with the bounds', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bounds-'));
  const spool = (name: string, values: number[]) => {
    const file = path.join(dir, `${name}.f32`);
    fs.writeFileSync(file, new Uint8Array(new Float32Array(values).buffer));
    return file;
  };
  const updates: SpooledUpdate[] = [
    { site: 'a', spoolFile: spool('a', [3, 4]), examples: 100 }, // norm 5
    { site: 'b', spoolFile: spool('b', [0, 2]), examples: 100 }, // norm 2
    { site: 'rogue', spoolFile: spool('rogue', [6e29, 8e29]), examples: 10_000_000 }, // norm 1e30
  ];

  it('scales the huge update to 3 x the median norm and caps its weight, naming both', () => {
    const acc = new FedAvg().createAccumulator(2);
    const bounded = foldSpooled(acc, updates, { normBoundMultiple: 3, maxWeightShare: 0.5 });
    // The rogue weighs 200 (half of the round), its update folded at norm 15 = 3 x median 5: [9, 12].
    expect(acc.totalWeight).toBe(400);
    expect(acc.sum[0]).toBeCloseTo(100 * 3 + 100 * 0 + 200 * 9, 3);
    expect(acc.sum[1]).toBeCloseTo(100 * 4 + 100 * 2 + 200 * 12, 3);
    expect(bounded).toEqual([
      { what: 'weight', site: 'rogue', examples: 10_000_000, weight: 200, share: 0.5 },
      {
        what: 'update',
        site: 'rogue',
        norm: expect.closeTo(1e30, -23), // float32 values
        bound: 15,
        rule: 'normBoundMultiple',
        median: 5,
        multiple: 3,
      },
    ]);
    expect(describeBounded('round 2', bounded[1]!)).toBe(
      "round 2: update of rogue bounded (norm 1e+30 -> 15, 3 x the round's median norm 5)",
    );
    expect(describeBoundedRound('round 2', bounded)).toBe(
      "round 2: weight of rogue capped (10000000 -> 200 examples, at most 50% of the round's weight); " +
        "update of rogue bounded (norm 1e+30 -> 15, 3 x the round's median norm 5)",
    );
  });

  it('the smaller bound wins; both off folds as sent', () => {
    const acc = new FedAvg().createAccumulator(2);
    const bounded = foldSpooled(acc, updates, { normBoundMultiple: 3, maxUpdateNorm: 4, maxWeightShare: 1 });
    expect(bounded.map((b) => (b.what === 'update' ? [b.site, b.bound, b.rule] : b.site))).toEqual([
      ['a', 4, 'maxUpdateNorm'],
      ['rogue', 4, 'maxUpdateNorm'],
    ]);
    const off = new FedAvg().createAccumulator(2);
    expect(foldSpooled(off, updates, { normBoundMultiple: 0, maxWeightShare: 1 })).toEqual([]);
    expect(off.sum[1]).toBeGreaterThan(1e36);
  });

  it('under differential privacy the clip bounds each update: no relative bound, no weight cap', () => {
    const cfg = parseExperiment({ ...HEART_DISEASE.experiment, dp: { noise: 0, clip: 1 } });
    const acc = new FedAvg().createAccumulator(2);
    const bounded = foldSpooled(acc, updates, {
      normBoundMultiple: 3,
      maxWeightShare: 0.5,
      dp: DifferentialPrivacy.of(cfg),
    });
    expect(bounded).toEqual([]);
    expect(acc.totalWeight).toBe(3);
    // Each delta clipped to norm 1: a [0.6, 0.8], b [0, 1], rogue [0.6, 0.8].
    expect(acc.sum[0]).toBeCloseTo(1.2, 5);
    expect(acc.sum[1]).toBeCloseTo(2.6, 5);
  });

  it('the config defaults: multiple 5, share 0.5; 0 and 1 turn them off', () => {
    // No clients section at all (the whole section's default), and one without these two fields.
    expect(parseExperiment(HEART_DISEASE.experiment).clients).toMatchObject({
      normBoundMultiple: 5,
      maxWeightShare: 0.5,
    });
    const some = parseExperiment({ ...HEART_DISEASE.experiment, clients: { min: 4 } });
    expect(some.clients).toMatchObject({ min: 4, normBoundMultiple: 5, maxWeightShare: 0.5 });
    const off = parseExperiment({
      ...HEART_DISEASE.experiment,
      clients: { min: 2, normBoundMultiple: 0, maxWeightShare: 1 },
    });
    expect(off.clients).toMatchObject({ normBoundMultiple: 0, maxWeightShare: 1 });
    expect(() => parseExperiment({ ...HEART_DISEASE.experiment, clients: { maxWeightShare: 0 } })).toThrow(
      /maxWeightShare/,
    );
    expect(() => parseExperiment({ ...HEART_DISEASE.experiment, clients: { normBoundMultiple: -1 } })).toThrow(
      /normBoundMultiple/,
    );
  });
});

describe('the report names what was bounded', () => {
  const bounded = {
    ...report,
    rounds: report.rounds.map((r) =>
      r.round === 2
        ? {
            ...r,
            bounded: [
              {
                what: 'update' as const,
                site: 'site-3<b>',
                norm: 1.2e31,
                bound: 4.1,
                rule: 'normBoundMultiple' as const,
                median: 1.37,
                multiple: 3,
              },
              { what: 'weight' as const, site: 'rogue', examples: 10_000_000, weight: 386, share: 0.5 },
            ],
          }
        : r,
    ),
  };

  it('report.md: a line per round with a bound, none without', () => {
    const md = experimentMarkdown(bounded);
    expect(md).toContain('## Bounded updates and weights');
    expect(md).toContain(
      "- round 2: update of site-3<b> bounded (norm 1.2e+31 -> 4.1, 3 x the round's median norm 1.37); " +
        "weight of rogue capped (10000000 -> 386 examples, at most 50% of the round's weight)",
    );
    expect(md.match(/^- round \d+:/gm)).toHaveLength(1);
    expect(experimentMarkdown(report)).not.toContain('Bounded');
  });

  it('report.html: the same lines, escaped', () => {
    const html = htmlReport(bounded);
    expect(html).toContain('<h2>Bounded updates and weights</h2>');
    expect(html).toContain('round 2: update of site-3&lt;b&gt; bounded (norm 1.2e+31 -&gt; 4.1');
    expect(html).not.toContain('site-3<b>');
    expect(htmlReport(report)).not.toContain('Bounded');
  });
});
