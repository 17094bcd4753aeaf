// Figures as people read them in tables and pages.

/** 0.8162 -> "81.6%"; missing or not finite -> "-". */
export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(1)}%`;
}

/** What a reported epsilon assumes, in the words printed beside it. */
export interface EpsilonTerms {
  epsilon: number;
  delta: number;
  /** q of the accountant. */
  samplingRate: number;
  noise: 'central' | 'distributed';
  colludingSites: number;
}

/**
 * An epsilon with its assumptions, e.g. "30.13 (site-level, delta 1e-5, q=1: public sample, central
 * noise)": a privacy figure is only true under the assumptions it was computed with.
 */
export function epsilonWithTerms(p: EpsilonTerms, digits = 2): string {
  const sample = p.samplingRate === 1 ? 'q=1: public sample' : `q=${p.samplingRate}`;
  const noise =
    p.noise === 'central'
      ? 'central noise'
      : `distributed noise, up to ${p.colludingSites} colluding site${p.colludingSites === 1 ? '' : 's'}`;
  return `${p.epsilon.toFixed(digits)} (site-level, delta ${p.delta.toExponential()}, ${sample}, ${noise})`;
}
