// SecAgg+ neighbourhood size k and threshold t, derived (in the manner of Bell et al. 2020) from a
// stated fraction of corrupt clients, a dropout rate and a statistical security level, instead of a
// rule of thumb. A client's k neighbours are a uniformly random k-subset of the other n - 1 (the
// Harary graph is laid on a random permutation), so corrupt and surviving neighbours are
// hypergeometric. Pure math.
import { defaultDegree } from './graph.js';

export interface SecAggTargets {
  /** Fraction of clients that may be corrupt (colluding with the coordinator). */
  corruptFraction: number;
  /** Fraction of clients that may drop out during a round. */
  dropoutFraction: number;
  /** Privacy: the chance that any honest client's secrets can be rebuilt by corrupt neighbours is below 2^-securityBits. */
  securityBits: number;
  /** Correctness: the chance that a round fails for lack of surviving neighbours is below 2^-correctnessBits. */
  correctnessBits: number;
  /** Corrupt clients that must also be outvoted in the consistency check: t > (k + colluding) / 2. */
  colluding: number;
}

export interface SecAggParameters {
  k: number;
  t: number;
  /** log2 of the union bound on a privacy failure (some honest client with >= t corrupt neighbours). */
  privacyLog2: number;
  /** log2 of the union bound on a correctness failure (some client with < t surviving neighbours). */
  correctnessLog2: number;
  /** Corrupt clients assumed among the others (ceil(corruptFraction * (n - 1))). */
  corrupt: number;
  /** Dropouts assumed among the others (ceil(dropoutFraction * (n - 1))). */
  dropouts: number;
}

/** log Gamma (Lanczos, g = 7), accurate to about 1e-13 for x > 0. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] ?? 1;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] ?? 0) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const logChoose = (n: number, k: number) =>
  k < 0 || k > n ? -Infinity : logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/** log P[X >= t] for X ~ Hypergeometric(population N, K marked, k drawn). */
export function logHypergeometricTail(N: number, K: number, k: number, t: number): number {
  const terms: number[] = [];
  for (let x = Math.max(t, 0); x <= Math.min(k, K); x++)
    terms.push(logChoose(K, x) + logChoose(N - K, k - x) - logChoose(N, k));
  if (!terms.length) return -Infinity;
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((s, v) => s + Math.exp(v - m), 0));
}

/**
 * The most corrupt neighbours any of n clients has, except with probability 2^-securityBits (union
 * bound over the n clients; corrupt neighbours are hypergeometric).
 */
export function corruptNeighbourBound(others: number, corrupt: number, k: number, log2n: number, bits: number): number {
  for (let c = 0; c < Math.min(k, corrupt); c++)
    if (log2n + logHypergeometricTail(others, corrupt, k, c + 1) / Math.LN2 <= -bits) return c;
  return Math.min(k, corrupt);
}

/**
 * The smallest k (even, SecAgg+'s Harary graphs), and for it the smallest t, meeting both targets for
 * n clients; k = n - 1 (classic SecAgg) when no smaller one does, or always with `complete`.
 * Undefined when even that fails.
 */
export function deriveSecAggParameters(n: number, g: SecAggTargets, complete = false): SecAggParameters | undefined {
  const others = n - 1;
  const corrupt = Math.min(others, Math.ceil(g.corruptFraction * others));
  const dropouts = Math.min(others, Math.ceil(g.dropoutFraction * others));
  const log2n = Math.log2(Math.max(1, n));
  const candidates: number[] = [];
  if (!complete) for (let k = 2; k < others; k += 2) candidates.push(k);
  candidates.push(others);
  for (const k of candidates) {
    // The consistency check must outvote the corrupt neighbours a client may really have, not only the
    // stated colluders: with t = k/2 + 1, two disjoint honest halves of a neighbourhood, each joined by
    // 2 corrupt neighbours, would each rebuild one of a client's secrets (a split view). So t exceeds
    // (k + c)/2 for the c corrupt neighbours no client exceeds except with probability 2^-securityBits.
    const c = Math.max(g.colluding, corruptNeighbourBound(others, corrupt, k, log2n, g.securityBits));
    for (let t = Math.floor((k + c) / 2) + 1; t <= k; t++) {
      // Privacy: some honest client has t or more corrupt neighbours (union bound over n clients).
      const privacyLog2 = log2n + logHypergeometricTail(others, corrupt, k, t) / Math.LN2;
      if (privacyLog2 > -g.securityBits) continue;
      // Correctness: some client has fewer than t surviving neighbours, i.e. more than k - t dropped ones.
      const correctnessLog2 = log2n + logHypergeometricTail(others, dropouts, k, k - t + 1) / Math.LN2;
      if (correctnessLog2 > -g.correctnessBits) break; // a larger t only makes correctness worse
      // Impossible events have log -Infinity; -1000 keeps them finite for JSON records.
      return {
        k,
        t,
        privacyLog2: Math.max(privacyLog2, -1000),
        correctnessLog2: Math.max(correctnessLog2, -1000),
        corrupt,
        dropouts,
      };
    }
  }
  return undefined;
}

/** Secure-aggregation settings of an experiment that decide a round's graph (config `secagg`). */
export interface GraphSettings {
  mode: 'off' | 'secagg' | 'secaggplus';
  threshold?: number | undefined;
  neighbours?: number | 'all' | undefined;
  corruptFraction: number;
  dropoutFraction: number;
  securityBits: number;
  colludingSites: number;
}

/** A round's neighbours and threshold, and how they were chosen (reported with the round). */
export interface RoundGraph {
  degree: number | 'all';
  threshold: number;
  /** Derived from the targets (Bell et al. 2020), not configured. */
  derived: boolean;
  corruptFraction: number;
  dropoutFraction: number;
  securityBits: number;
  privacyLog2?: number;
  correctnessLog2?: number;
}

/**
 * Neighbours and threshold for a round of n clients: as configured, or (when not given) derived from
 * the stated corrupt fraction, dropout rate and security level; k >= n - 1 is classic SecAgg. The
 * coordinator asks for these and every site recomputes them from its approved manifest, refusing a
 * round that asks for anything else.
 */
export function roundGraph(sa: GraphSettings, n: number): RoundGraph {
  const targets = {
    corruptFraction: sa.corruptFraction,
    dropoutFraction: sa.dropoutFraction,
    securityBits: sa.securityBits,
  };
  const derive = sa.threshold === undefined && (sa.mode === 'secagg' || sa.neighbours === undefined);
  const d = derive
    ? deriveSecAggParameters(n, { ...targets, correctnessBits: 20, colluding: sa.colludingSites }, sa.mode === 'secagg')
    : undefined;
  if (d)
    return {
      degree: d.k >= n - 1 ? 'all' : d.k,
      threshold: d.t,
      derived: true,
      ...targets,
      privacyLog2: d.privacyLog2,
      correctnessLog2: d.correctnessLog2,
    };
  // Configured, or no k meets both targets for so few clients. Privacy comes first then: t still
  // outvotes the corrupt neighbours the stated fraction implies (ceil(fraction x others)), so a split
  // view stays impossible, at the cost of rounds that fail when too many neighbours drop out. With 4
  // sites and 5% corrupt that is t = k = 3: no dropout tolerated unless corruptFraction is 0.
  const degree = sa.neighbours ?? (sa.mode === 'secagg' ? 'all' : defaultDegree(n));
  const k = degree === 'all' ? n - 1 : degree;
  const corrupt = Math.min(k, Math.ceil(sa.corruptFraction * (n - 1)));
  const c = Math.max(sa.colludingSites, corrupt);
  return { degree, threshold: sa.threshold ?? Math.min(k, Math.floor((k + c) / 2) + 1), derived: false, ...targets };
}

/**
 * The corrupt neighbours a round's threshold must outvote: the stated colluders, or the most corrupt
 * neighbours any client has under the stated corrupt fraction except with probability 2^-securityBits,
 * whichever is more. A threshold t resists a split view of survivor sets only if 2t > k + c.
 */
export function splitViewBound(sa: GraphSettings, n: number, k: number): number {
  const others = n - 1;
  const corrupt = Math.min(others, Math.ceil(sa.corruptFraction * others));
  return Math.max(
    sa.colludingSites,
    corruptNeighbourBound(others, corrupt, k, Math.log2(Math.max(1, n)), sa.securityBits),
  );
}
