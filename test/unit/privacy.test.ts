import { describe, expect, it } from 'vitest';
import { clipL2, l2Norm } from '../../shared/privacy/clip.js';
import { addGaussianNoise, effectiveNoiseMultiplier, perSiteNoiseStd } from '../../shared/privacy/noise.js';
import { DEFAULT_ORDERS, epsilonFromRdp, RdpAccountant, rdpSampledGaussian } from '../../shared/privacy/rdp.js';

/** Independent check: A_alpha = sum_k C(a,k) q^k (1-q)^(a-k) exp((k^2-k) / (2 sigma^2)), plain arithmetic. */
function directRdp(q: number, sigma: number, alpha: number): number {
  let a = 0;
  let binom = 1;
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) binom = (binom * (alpha - k + 1)) / k;
    a += binom * q ** k * (1 - q) ** (alpha - k) * Math.exp((k * k - k) / (2 * sigma * sigma));
  }
  return Math.log(a) / (alpha - 1);
}

describe('differential privacy', () => {
  it('clips the L2 norm and leaves short vectors alone', () => {
    const v = new Float32Array([3, 4]);
    expect(clipL2(v, 1)).toBeCloseTo(5);
    expect(l2Norm(v)).toBeCloseTo(1, 6);
    const w = new Float32Array([0.3, 0.4]);
    clipL2(w, 1);
    expect([...w]).toEqual([Float32Array.from([0.3])[0], Float32Array.from([0.4])[0]]);
  });

  it('Gaussian noise has the requested spread; split noise sums to the total', () => {
    const v = new Float32Array(200_000);
    addGaussianNoise(v, 2);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(1.97);
    expect(sd).toBeLessThan(2.03);
    expect(perSiteNoiseStd(2, 4)).toBe(1); // 4 clients x N(0, 1) = N(0, 4)
    expect(effectiveNoiseMultiplier(1, 3, 4)).toBeCloseTo(Math.sqrt(0.75));
    // With t colluding sites the shares are sized so that the other n - t alone carry N(0, total^2).
    expect(perSiteNoiseStd(2, 5, 1)).toBe(1); // 4 honest x N(0, 1) = N(0, 4) even if one site subtracts its share
    expect(effectiveNoiseMultiplier(1, 5, 5, 1)).toBe(1);
    expect(effectiveNoiseMultiplier(1, 3, 5, 1)).toBeCloseTo(Math.sqrt(2 / 4)); // two dropped, one may collude
    expect(effectiveNoiseMultiplier(1, 1, 5, 1)).toBe(0); // no honest share left: no privacy
    expect(() => perSiteNoiseStd(2, 3, 3)).toThrow(/cannot hide noise/);
  });

  it('RDP matches direct summation at integer orders', () => {
    for (const [q, sigma] of [
      [0.1, 1],
      [0.25, 1.5],
      [0.5, 2],
      [0.01, 0.8],
    ] as const) {
      for (const alpha of [2, 3, 5, 8, 12]) {
        expect(rdpSampledGaussian(q, sigma, alpha)).toBeCloseTo(directRdp(q, sigma, alpha), 8);
      }
    }
  });

  it('q = 1 gives the closed form alpha / (2 sigma^2), and fractional orders lie between their integer neighbours', () => {
    for (const a of DEFAULT_ORDERS) expect(rdpSampledGaussian(1, 1.3, a)).toBeCloseTo(a / (2 * 1.3 * 1.3), 12);
    const r2 = rdpSampledGaussian(0.1, 1, 2);
    const r25 = rdpSampledGaussian(0.1, 1, 2.5);
    const r3 = rdpSampledGaussian(0.1, 1, 3);
    expect(r25).toBeGreaterThan(r2);
    expect(r25).toBeLessThan(r3);
  });

  it('epsilon grows with rounds, shrinks with noise, and converts with the improved bound', () => {
    const acc = new RdpAccountant();
    const eps: number[] = [];
    for (let r = 0; r < 5; r++) eps.push(acc.compose(0.5, 1).epsilon(1e-5));
    for (let i = 1; i < eps.length; i++) expect(eps[i]).toBeGreaterThan(eps[i - 1]!);
    expect(new RdpAccountant().compose(0.5, 2, 5).epsilon(1e-5)).toBeLessThan(eps[4]!);
    // The Gaussian mechanism (q = 1, sigma = 1) once: RDP alpha/2; epsilon by Balle et al.'s conversion.
    const one = epsilonFromRdp(
      DEFAULT_ORDERS.map((a) => a / 2),
      DEFAULT_ORDERS,
      1e-5,
    );
    const expected = Math.min(
      ...DEFAULT_ORDERS.map((a) => a / 2 - (Math.log(1e-5) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a)),
    );
    expect(one.epsilon).toBeCloseTo(expected, 12);
    expect(one.epsilon).toBeGreaterThan(3.5);
    expect(one.epsilon).toBeLessThan(5);
    expect(acc.epsilonAfter(0.5, 1, 1e-5)).toBeGreaterThan(eps[4]!);
  });
});
