import { describe, expect, it } from 'vitest';
import { staleness, stalenessWeight } from '../../coordinator/strategies/staleness.js';
import { parseExperiment } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors/index.js';

describe('FedBuff staleness weighting', () => {
  it('weighs a fresh update fully and a stale one (1 + tau)^-a', () => {
    expect(stalenessWeight(0, 0.5)).toBe(1);
    expect(stalenessWeight(3, 0.5)).toBeCloseTo(0.5, 12);
    expect(stalenessWeight(8, 0.5)).toBeCloseTo(1 / 3, 12);
    expect(stalenessWeight(1, 1)).toBeCloseTo(0.5, 12);
    // a = 0: staleness ignored.
    expect(stalenessWeight(100, 0)).toBe(1);
  });

  it('never rises with staleness and stays in (0, 1]', () => {
    let last = Infinity;
    for (let tau = 0; tau < 50; tau++) {
      const w = stalenessWeight(tau, 0.5);
      expect(w).toBeLessThanOrEqual(last);
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(1);
      last = w;
    }
  });

  it('refuses a negative or non-finite staleness', () => {
    expect(() => stalenessWeight(-1, 0.5)).toThrow(RangeError);
    expect(() => stalenessWeight(Number.NaN, 0.5)).toThrow(RangeError);
  });

  it('counts versions between an update’s base and the model it is folded into', () => {
    // Version 5 is built on version 4: an update trained from 4 is fresh, from 2 is two versions stale.
    expect(staleness(5, 4)).toBe(0);
    expect(staleness(5, 2)).toBe(2);
    expect(staleness(1, 0)).toBe(0);
  });
});

describe('async mode config', () => {
  const data = { columns: ['a', 'y'], label: 'y', binarise: '> 0' };

  it('is absent (sync) unless asked for, and fills FedBuff defaults', () => {
    const sync = parseExperiment({ data });
    expect(sync.mode).toBeUndefined();
    expect(sync.async).toBeUndefined();
    const a = parseExperiment({ data, mode: 'async', clients: { min: 6 }, async: {} });
    expect(a.async).toEqual({ bufferSize: 5, stalenessExponent: 0.5 });
  });

  it('refuses secure aggregation, dp, robust strategies and a buffer larger than the concurrency', () => {
    const refused = [
      { data, mode: 'async', clients: { min: 6 }, secagg: { mode: 'secagg' } },
      { data, mode: 'async', clients: { min: 6 }, dp: { noiseMultiplier: 1, clip: 1 } },
      { data, mode: 'async', clients: { min: 6 }, strategy: { name: 'median' } },
      { data, mode: 'async', async: { concurrency: 3, bufferSize: 4 } },
      { data, async: { bufferSize: 2 } },
    ];
    for (const input of refused)
      expect(() => parseExperiment(input as never), JSON.stringify(input)).toThrow(ConfigError);
  });
});
