// Differential privacy in one place, as Flower's DP strategy wrappers do it: the clip sent to sites,
// server-side clipping, the Gaussian noise (added to the sum by the coordinator, or in shares by the
// sites under secure aggregation), and the budget ledger that `select` and `commit` consult.
// The unit of privacy is one site's whole update (site-level DP).
// Names: the noise multiplier z (config `dp.noise`), the clip C, the sampling rate q used by the
// accountant, the colluding sites t the distributed noise tolerates.
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { clipFactor } from '../../shared/privacy/clip.js';
import { addGaussianNoise, effectiveNoiseMultiplier, perSiteNoiseStd } from '../../shared/privacy/noise.js';
import { type AccountantState, RdpAccountant } from '../../shared/privacy/rdp.js';
import type { FitAccumulator } from '../strategies/strategy.js';

type DpConfig = NonNullable<ExperimentConfig['dp']>;

/** What one round costs: the sampling rate the accountant uses and the noise that reached the sum. */
export interface RoundPrivacyCost {
  /**
   * q of the accountant: 1. The round's sample is drawn from the experiment seed and written into the
   * round record, so anyone with the config can recompute it: no amplification by subsampling.
   */
  samplingRate: number;
  /** The share of live sites the round sampled (informational; not used by the accountant). */
  sampledFraction: number;
  noiseMultiplier: number;
  /**
   * The multiplier that reached the sum: z, or under secure aggregation z * sqrt((contributed - t) /
   * (expected - t)) with t colluding sites (dropouts took their shares with them).
   */
  effectiveNoiseMultiplier: number;
  /** Sites whose noise reached the sum, of those expected to add it. */
  contributed: number;
  expected: number;
}

/** What the reported epsilon means, stated in report.json and report.md beside it. */
export interface PrivacyGuarantee {
  unit: 'site';
  statement: string;
  notCovered: string;
  sampling: string;
  noise: 'central' | 'distributed';
  noiseStatement: string;
  colludingSites: number;
  delta: number;
}

export class DifferentialPrivacy {
  private constructor(
    private readonly dp: DpConfig,
    /** Sites that may collude with the coordinator (secagg.colludingSites). */
    private readonly colluding: number,
  ) {}

  /** The experiment's differential privacy, or undefined when it is off. */
  static of(cfg: ExperimentConfig): DifferentialPrivacy | undefined {
    return cfg.dp ? new DifferentialPrivacy(cfg.dp, cfg.secagg.colludingSites) : undefined;
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

  /** Sites that may collude with the coordinator (distributed noise only). */
  get colludingSites(): number {
    return this.colluding;
  }

  /**
   * Under secure aggregation: the standard deviation each of `sites` adds, so that the shares of all
   * but the colluding sites make N(0, (z C)^2).
   */
  siteNoiseStd(sites: number): number {
    return this.dp.noise > 0 ? perSiteNoiseStd(this.dp.noise * this.dp.clip, sites, this.colluding) : 0;
  }

  /** The cost of a round whose sum got the coordinator's noise (central DP). */
  centralRoundCost(sampledFraction: number, sites: number): RoundPrivacyCost {
    return {
      samplingRate: 1,
      sampledFraction,
      noiseMultiplier: this.dp.noise,
      effectiveNoiseMultiplier: this.dp.noise,
      contributed: sites,
      expected: sites,
    };
  }

  /** The cost of a round whose sum got the noise shares of `contributed` of `expected` sites (secure aggregation). */
  distributedRoundCost(sampledFraction: number, contributed: number, expected: number): RoundPrivacyCost {
    const z = effectiveNoiseMultiplier(this.dp.noise, contributed, expected, this.colluding);
    return {
      samplingRate: 1,
      sampledFraction,
      noiseMultiplier: this.dp.noise,
      effectiveNoiseMultiplier: z,
      contributed,
      expected,
    };
  }

  /** What the epsilon of an experiment run with `secure` aggregation means. */
  guarantee(secure: boolean): PrivacyGuarantee {
    const t = this.colluding;
    return {
      unit: 'site',
      statement:
        `site-level (epsilon, delta = ${this.dp.delta.toExponential()}): adding or removing one site's whole update changes the ` +
        'distribution of the released models by at most the reported epsilon',
      notCovered:
        "each site's training loss, evaluation metrics and example counts are sent without noise, and column statistics for federated scaling are protected by secure aggregation or small-cell suppression, not by noise; the unit is a site, not one patient's record",
      sampling:
        'a fixed-size sample drawn from the experiment seed and recorded in each round, so it is public: no amplification by subsampling (q = 1)',
      noise: secure ? 'distributed' : 'central',
      noiseStatement: secure
        ? `each site adds its share of the noise under secure aggregation; holds if at most ${t} site(s) collude with the coordinator`
        : 'the coordinator adds the noise to the sum: holds against everyone who sees the models, if the coordinator is trusted to add it',
      colludingSites: secure ? t : 0,
      delta: this.dp.delta,
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

  /**
   * Why a round of this cost must not run (it would take epsilon above dp.maxEpsilon), or undefined.
   * `select` asks this before a round with the price of every sampled site adding its noise share;
   * the noise actually added is checked by `overBudgetAsAdded`.
   */
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

  /**
   * Why a round whose noise is known must not be committed, or undefined: the same budget as
   * `overBudget`, priced this time with the noise that actually reached the sum (`cost` as the round
   * step measured it: under secure aggregation the effective multiplier of the sites whose masked
   * inputs arrived). A round priced with every site's share can still exceed the budget here when
   * sites drop out after sharing keys. The reason names both epsilons: the price and the actual one.
   */
  overBudgetAsAdded(
    spent: AccountantState | undefined,
    cost: RoundPrivacyCost,
    round: number,
    when: 'before unmasking' | 'at commit',
  ): string | undefined {
    const max = this.dp.maxEpsilon;
    if (max === undefined) return undefined;
    const acc = RdpAccountant.from(spent);
    const actual = acc.epsilonAfter(cost.samplingRate, cost.effectiveNoiseMultiplier, this.dp.delta);
    // Written so that an epsilon that is not a number (no noise left at all) is refused as well.
    if (actual <= max) return undefined;
    const priced = acc.epsilonAfter(cost.samplingRate, cost.noiseMultiplier, this.dp.delta);
    const added =
      cost.effectiveNoiseMultiplier < cost.noiseMultiplier
        ? `the noise shares of only ${cost.contributed} of ${cost.expected} sites (effective z ${cost.effectiveNoiseMultiplier.toFixed(3)})`
        : `the noise added (z ${cost.noiseMultiplier})`;
    return (
      `privacy budget: round ${round} not committed (refused ${when}): priced at epsilon ${priced.toFixed(3)} ` +
      `with every site's noise (z ${cost.noiseMultiplier}), actual epsilon ${actual.toFixed(3)} with ${added} ` +
      `> dp.maxEpsilon ${max} (delta ${this.dp.delta})`
    );
  }
}
