// The site's budget per data set, over every experiment (not per experiment, which a coordinator can
// multiply by starting more): how many times it released column statistics, on how many distinct
// models it released metrics, and what its rows spent under record-level DP (RDP, composed over every
// round of every experiment that trained on them, capped by `maxRecordEpsilon`). Kept beside the
// approvals (budget.json), so a restarted worker remembers; each charge is a note in the audit log.
import path from 'node:path';
import { PolicyError } from '../shared/errors/index.js';
import { type AccountantState, RdpAccountant } from '../shared/privacy/rdp.js';
import { readLedger, writeLedger } from './ledger-file.js';
import type { SitePolicy } from './policy.js';

interface Spent {
  statistics: number;
  /** Digests of the models evaluated on this data set's test rows (an array in budget.json). */
  models: Set<string>;
  /** Record-level DP: the RDP of every DP-SGD round on these rows. */
  rdp?: AccountantState;
}

export type BudgetNote = (type: string, detail: Record<string, unknown>) => void;

export class SiteBudget {
  private readonly spent = new Map<string, Spent>();
  private readonly file: string | undefined;

  constructor(
    dir: string | undefined,
    private readonly limits: SitePolicy['budget'],
    private readonly maxRecordEpsilon: number | undefined,
    private readonly note: BudgetNote = () => {},
  ) {
    this.file = dir ? path.join(dir, 'budget.json') : undefined;
    // A damaged budget must not reset to zero: refuse until a person repairs it.
    const raw = this.file
      ? (readLedger(this.file, 'site budget') as Record<string, Spent & { models: string[] }> | undefined)
      : undefined;
    for (const [k, v] of Object.entries(raw ?? {})) this.spent.set(k, { ...v, models: new Set(v.models) });
  }

  private of(dataset: string): Spent {
    let s = this.spent.get(dataset);
    if (!s) {
      s = { statistics: 0, models: new Set() };
      this.spent.set(dataset, s);
    }
    return s;
  }

  private save(): void {
    if (!this.file) return;
    const json = Object.fromEntries([...this.spent].map(([k, v]) => [k, { ...v, models: [...v.models] }]));
    writeLedger(this.file, json);
  }

  /** One more release of column statistics from `dataset`, or BUDGET_SPENT. */
  chargeStatistics(dataset: string, experimentId: string): void {
    const s = this.of(dataset);
    if (s.statistics >= this.limits.statistics)
      throw new PolicyError(
        `refused by the site's policy: budget.statistics: the site released column statistics of this data set ${s.statistics} times, its budget`,
        'BUDGET_SPENT',
      );
    s.statistics++;
    this.save();
    this.note('budget', { dataset, experimentId, statistics: s.statistics, of: this.limits.statistics });
  }

  /** Metrics on `dataset`'s test rows for the model `digest`: free again for a model already counted. */
  chargeEvaluation(dataset: string, digest: string, experimentId: string): void {
    const { models } = this.of(dataset);
    if (models.has(digest)) return;
    if (models.size >= this.limits.evaluations)
      throw new PolicyError(
        `refused by the site's policy: budget.evaluations: the site released metrics on ${models.size} models of this data set, its budget`,
        'BUDGET_SPENT',
      );
    models.add(digest);
    this.save();
    if (models.size % 100 === 1 || models.size === this.limits.evaluations)
      this.note('budget', { dataset, experimentId, evaluations: models.size, of: this.limits.evaluations });
  }

  /**
   * Record-level DP: the epsilon of `dataset`'s rows after `steps` more steps at (q, z), over every
   * experiment; BUDGET_SPENT, before any training, when it would pass `maxRecordEpsilon`.
   */
  priceRecord(dataset: string, q: number, z: number, steps: number, delta: number): number {
    const next = RdpAccountant.from(this.of(dataset).rdp).compose(q, z, steps);
    const eps = next.epsilon(delta);
    if (this.maxRecordEpsilon !== undefined && eps > this.maxRecordEpsilon)
      throw new PolicyError(
        `refused by the site's policy: maxRecordEpsilon: this round would take the record-level epsilon of this data set, over all its experiments, to ${eps.toFixed(2)}, above ${this.maxRecordEpsilon}`,
        'BUDGET_SPENT',
      );
    return eps;
  }

  /** Charges the steps `priceRecord` priced, once training ran; returns the data set's epsilon. */
  chargeRecord(dataset: string, q: number, z: number, steps: number, delta: number, experimentId: string): number {
    const s = this.of(dataset);
    const next = RdpAccountant.from(s.rdp).compose(q, z, steps);
    s.rdp = next.state();
    this.save();
    const recordEpsilon = next.epsilon(delta);
    this.note('budget', { dataset, experimentId, recordEpsilon, cap: this.maxRecordEpsilon ?? null });
    return recordEpsilon;
  }
}
