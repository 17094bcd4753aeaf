// Differential privacy in one place, as Flower's DP strategy wrappers do it: the clip sent to sites,
// server-side clipping, the Gaussian noise (added to the sum by the coordinator, or in shares by the
// sites under secure aggregation), and the budget ledger that `select` and `commit` consult.
// The unit of privacy is one site's whole update (site-level DP).
// Names: the noise multiplier z (config `dp.noise`), the clip C, the sampling rate q.
import type { ExperimentConfig } from '../../shared/config/schema';
import { clipFactor } from '../../shared/privacy/clip';
import { addGaussianNoise, effectiveNoiseMultiplier, perSiteNoiseStd } from '../../shared/privacy/noise';
import { type AccountantState, RdpAccountant } from '../../shared/privacy/rdp';
import type { FitAccumulator } from '../strategies/strategy';

type DpConfig = NonNullable<ExperimentConfig['dp']>;

/** What one round costs: its sampling rate and the noise that actually reached the sum. */
export interface RoundPrivacyCost {
  samplingRate: number;
  noiseMultiplier: number;
  /** z * sqrt(contributed / expected): under secure aggregation, sites that dropped took their noise shares with them. */
  effectiveNoiseMultiplier: number;
  /** Sites whose noise reached the sum, of those expected to add it. */
  contributed: number;
  expected: number;
}

export class DifferentialPrivacy {
  private constructor(private readonly dp: DpConfig) {}

  /** The experiment's differential privacy, or undefined when it is off. */
  static of(cfg: ExperimentConfig): DifferentialPrivacy | undefined {
    return cfg.dp ? new DifferentialPrivacy(cfg.dp) : undefined;
  }

  /** The L2 bound each site applies to its delta before it leaves (the sensitivity). */
  get clip(): number {
    return this.dp.clip;
  }

  get noiseMultiplier(): number {
    return this.dp.noise;
  }

  get delta(): number {
    return this.dp.delta;
  }

  /** Server-side clipping: the factor for an update of L2 norm `norm` (a site cannot opt out of clipping). */
  clipFactor(norm: number): number {
    return clipFactor(norm, this.dp.clip);
  }

  /** Central noise: the sum of clipped deltas gets N(0, (z C)^2) before the strategy reads it. */
  addCentralNoise(acc: FitAccumulator): void {
    if (this.dp.noise > 0) acc.perturb((sum) => addGaussianNoise(sum, this.dp.noise * this.dp.clip));
  }

  /** Under secure aggregation: the standard deviation each of `sites` adds, so that all shares make N(0, (z C)^2). */
  siteNoiseStd(sites: number): number {
    return this.dp.noise > 0 ? perSiteNoiseStd(this.dp.noise * this.dp.clip, sites) : 0;
  }

  /** The cost of a round sampled at `samplingRate` whose sum got the noise of `contributed` of `expected` sites. */
  roundCost(samplingRate: number, contributed: number, expected: number): RoundPrivacyCost {
    return {
      samplingRate,
      noiseMultiplier: this.dp.noise,
      effectiveNoiseMultiplier: effectiveNoiseMultiplier(this.dp.noise, contributed, expected),
      contributed,
      expected,
    };
  }

  /** Ledger: the accountant state after charging `cost` to what was `spent` before. */
  charge(spent: AccountantState | undefined, cost: RoundPrivacyCost): AccountantState {
    return RdpAccountant.from(spent).compose(cost.samplingRate, cost.effectiveNoiseMultiplier).state();
  }

  /** Ledger: epsilon (at dp.delta) of what was spent. */
  epsilon(spent: AccountantState | undefined): number {
    return RdpAccountant.from(spent).epsilon(this.dp.delta);
  }

  /** Why a round of this cost must not run (it would take epsilon above dp.maxEpsilon), or undefined. */
  overBudget(spent: AccountantState | undefined, cost: RoundPrivacyCost, round: number): string | undefined {
    if (this.dp.maxEpsilon === undefined) return undefined;
    const next = RdpAccountant.from(spent).epsilonAfter(
      cost.samplingRate,
      cost.effectiveNoiseMultiplier,
      this.dp.delta,
    );
    if (next <= this.dp.maxEpsilon) return undefined;
    return `privacy budget: round ${round} would spend epsilon ${next.toFixed(3)} > dp.maxEpsilon ${this.dp.maxEpsilon} (delta ${this.dp.delta})`;
  }
}
