// Rényi-DP accountant for the subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019), the
// computation TF Privacy uses: integer orders by the binomial expansion, fractional orders by the
// two-sided series with erfc terms; conversion to (epsilon, delta) by Balle et al. 2020 (Prop. 12 /
// TF Privacy's compute_eps).

export const DEFAULT_ORDERS: readonly number[] = [
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...Array.from({ length: 59 }, (_, i) => i + 5),
  128,
  256,
];

function logAdd(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** log(exp(a) - exp(b)) for a >= b. */
function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  if (a < b) throw new RangeError('logSub: negative result');
  return a + Math.log1p(-Math.exp(b - a));
}

/** erfc with fractional error below 1.2e-7 (Numerical Recipes' Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** log(erfc(x)), accurate in the far tail where erfc underflows. */
function logErfc(x: number): number {
  if (x < 20) return Math.log(erfc(x));
  // Asymptotic expansion: erfc(x) ~ exp(-x^2) / (x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6))
  const x2 = x * x;
  return (
    -x2 -
    Math.log(x) -
    0.5 * Math.log(Math.PI) +
    Math.log(1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2))
  );
}

function logBinomInt(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    const logCoef = logBinomInt(alpha, i) + i * Math.log(q) + (alpha - i) * Math.log(1 - q);
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  let coef = 1; // generalised binomial coefficient C(alpha, i), built up term by term
  for (let i = 0; i < 10_000; i++) {
    if (i > 0) coef *= (alpha - (i - 1)) / i;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log(1 - q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log(1 - q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coef > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/** RDP of one step of the sampled Gaussian mechanism at order alpha (sampling rate q, noise multiplier sigma). */
export function rdpSampledGaussian(q: number, sigma: number, alpha: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`);
  if (!(sigma > 0)) return Infinity;
  if (q === 0) return 0;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (!Number.isFinite(alpha)) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** (epsilon, best order) from accumulated RDP values at each order. */
export function epsilonFromRdp(
  rdp: readonly number[],
  orders: readonly number[],
  delta: number,
): { epsilon: number; order: number } {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  let best = Infinity;
  let order = orders[0]!;
  orders.forEach((a, k) => {
    const r = rdp[k]!;
    if (r < 0) return;
    const eps = r - (Math.log(delta) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
    if (eps < best) {
      best = eps;
      order = a;
    }
  });
  return { epsilon: Math.max(0, best), order };
}

/** What the accountant carries from round to round (kept in each checkpoint). */
export interface AccountantState {
  rdp: number[];
  rounds: number;
}

/** Composes rounds (each with its own q and noise multiplier) and reports the spent (epsilon, delta). */
export class RdpAccountant {
  readonly rdp: number[];
  rounds = 0;
  constructor(
    readonly orders: readonly number[] = DEFAULT_ORDERS,
    rdp?: number[],
  ) {
    this.rdp = rdp ? [...rdp] : orders.map(() => 0);
  }

  static from(state: AccountantState | undefined, orders: readonly number[] = DEFAULT_ORDERS): RdpAccountant {
    const a = new RdpAccountant(orders, state?.rdp);
    a.rounds = state?.rounds ?? 0;
    return a;
  }

  /** The RDP one more round would add (without adding it). */
  step(q: number, sigma: number): number[] {
    return this.orders.map((a) => rdpSampledGaussian(q, sigma, a));
  }

  compose(q: number, sigma: number, times = 1): this {
    const s = this.step(q, sigma);
    s.forEach((v, k) => {
      this.rdp[k]! += v * times;
    });
    this.rounds += times;
    return this;
  }

  epsilon(delta: number): number {
    return epsilonFromRdp(this.rdp, this.orders, delta).epsilon;
  }

  /** Epsilon after one more round, for stopping before the budget is exceeded. */
  epsilonAfter(q: number, sigma: number, delta: number): number {
    const s = this.step(q, sigma);
    return epsilonFromRdp(
      this.rdp.map((r, k) => r + s[k]!),
      this.orders,
      delta,
    ).epsilon;
  }

  state(): AccountantState {
    return { rdp: [...this.rdp], rounds: this.rounds };
  }
}
