// The differential-privacy module the round steps call: its clip, noise and ledger.
import { describe, expect, it } from 'vitest';
import { DifferentialPrivacy } from '../../coordinator/privacy/differential-privacy.js';
import { createStrategy } from '../../coordinator/strategies/index.js';
import { parseExperiment } from '../../shared/config/load.js';
import { RdpAccountant } from '../../shared/privacy/rdp.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

const cfg = (dp?: object) => parseExperiment({ ...HEART_DISEASE.experiment, ...(dp ? { dp } : {}) });

describe('DifferentialPrivacy', () => {
  it('is off without dp settings', () => {
    expect(DifferentialPrivacy.of(cfg())).toBeUndefined();
  });

  it('clips on the server, and adds N(0, (zC)^2) to the sum through the accumulator hook', () => {
    const dp = DifferentialPrivacy.of(cfg({ noise: 2, clip: 0.5 }))!;
    expect(dp.clipFactor(2)).toBe(0.25);
    expect(dp.clipFactor(0.1)).toBe(1);
    const fedavg = createStrategy({ name: 'fedavg' });
    if (!fedavg.linear) throw new Error('fedavg is linear');
    const acc = fedavg.createAccumulator(100_000);
    dp.addCentralNoise(acc);
    const sd = Math.sqrt(acc.sum.reduce((a, b) => a + b * b, 0) / acc.sum.length);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
    expect(dp.siteNoiseStd(4)).toBeCloseTo(0.5); // four shares of N(0, 0.25) make N(0, 1)
  });

  it('the ledger charges what the accountant computes, with dropouts lowering the noise', () => {
    const dp = DifferentialPrivacy.of(cfg({ noise: 1, clip: 1, delta: 1e-5, maxEpsilon: 10 }))!;
    const full = dp.distributedRoundCost(0.5, 4, 4);
    const dropped = dp.distributedRoundCost(0.5, 3, 4);
    expect(full.samplingRate).toBe(1); // the seeded sample is public: no amplification
    expect(dropped.effectiveNoiseMultiplier).toBeCloseTo(Math.sqrt(0.75));
    let spent = dp.charge(undefined, full);
    spent = dp.charge(spent, dropped);
    const direct = new RdpAccountant().compose(1, 1).compose(1, Math.sqrt(0.75)).epsilon(1e-5);
    expect(dp.epsilon(spent)).toBeCloseTo(direct, 10);
    expect(dp.overBudget(spent, full, 3)).toBeUndefined();
    let s = spent;
    for (let i = 0; i < 3; i++) s = dp.charge(s, full);
    expect(dp.overBudget(s, full, 6)).toMatch(
      /privacy budget: round 6 would spend epsilon \d+\.\d{3} > dp.maxEpsilon 10/,
    );
  });

  it('the budget is checked again with the noise actually added: a round priced with every share can exceed it after a dropout', () => {
    // Issue 17: 4 sites, z = 1, maxEpsilon 8, one site dropping out each round.
    const dp = DifferentialPrivacy.of(cfg({ noise: 1, clip: 1, delta: 1e-5, maxEpsilon: 8 }))!;
    const full = dp.distributedRoundCost(1, 4, 4);
    const dropped = dp.distributedRoundCost(1, 3, 4);
    const spent = dp.charge(undefined, dropped); // round 1: 3 of 4 shares, epsilon 5.586
    expect(dp.epsilon(spent)).toBeLessThanOrEqual(8);
    // Round 2 priced with every share (7.755) runs; with the shares that arrived (8.421) it is refused.
    expect(dp.overBudget(spent, full, 2)).toBeUndefined();
    expect(dp.overBudgetAsAdded(spent, full, 2, 'at commit')).toBeUndefined();
    expect(dp.epsilon(dp.charge(spent, dropped))).toBeGreaterThan(8);
    expect(dp.overBudgetAsAdded(spent, dropped, 2, 'before unmasking')).toBe(
      'privacy budget: round 2 not committed (refused before unmasking): priced at epsilon 7.755 with every ' +
        "site's noise (z 1), actual epsilon 8.421 with the noise shares of only 3 of 4 sites (effective z 0.866) " +
        '> dp.maxEpsilon 8 (delta 0.00001)',
    );
    // No noise left at all is refused too; without maxEpsilon nothing is.
    expect(dp.overBudgetAsAdded(spent, dp.distributedRoundCost(1, 0, 4), 2, 'at commit')).toMatch(/not committed/);
    const unbounded = DifferentialPrivacy.of(cfg({ noise: 1, clip: 1 }))!;
    expect(unbounded.overBudgetAsAdded(spent, dropped, 2, 'at commit')).toBeUndefined();
  });
});
