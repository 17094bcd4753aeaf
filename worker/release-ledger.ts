// What the site has released under each approved manifest, round by round. An approval is not a
// licence to answer the same round again and again: retried attempts stay within the manifest's
// roundAttempts, and an update that carries randomness a repeat would average away (a masked update
// under secure aggregation, or one with noise the site adds itself) leaves at most once per round.
// Without this, a coordinator could rerun a round with and without a victim among deterministic peers
// and subtract the two sums. Kept in the approvals directory, so a restarted worker remembers.
import path from 'node:path';
import { TrustError } from '../shared/errors/index.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { readLedger, writeLedger } from './ledger-file.js';

export type Release = 'train' | 'evaluate' | 'update-once';

export class ReleaseLedger {
  /** `${manifestHash}/${kind}/${round}` -> attempts released */
  private readonly seen = new Map<string, number[]>();
  private readonly file: string | undefined;

  constructor(dir: string | undefined) {
    this.file = dir ? path.join(dir, 'releases.json') : undefined;
    // A damaged ledger must not open the gates: refuse every repeat until it is repaired.
    const raw = this.file
      ? (readLedger(this.file, 'release ledger') as Record<string, number[]> | undefined)
      : undefined;
    for (const [k, v] of Object.entries(raw ?? {})) if (Array.isArray(v)) this.seen.set(k, v.filter(Number.isInteger));
  }

  /**
   * Records that `kind` is released for (round, attempt) under `terms`, or throws when the terms do
   * not allow it. Asking again for the same attempt (a retried job) is allowed and changes nothing.
   */
  claim(terms: SignedTerms, kind: Release, round: number, attempt: number): void {
    const c = terms.manifest.config;
    // Async mode numbers dispatches, not attempts: each is a new task of a new version.
    if (c.mode === 'async') return;
    if (!(attempt >= 1 && attempt <= c.roundAttempts))
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `round ${round} attempt ${attempt}: the manifest allows ${c.roundAttempts} attempts per round`,
      );
    const key = `${terms.hash}/${kind}/${round}`;
    const before = this.seen.get(key) ?? [];
    if (before.includes(attempt)) return;
    if (kind === 'update-once' && before.length > 0)
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `round ${round}: this site already released its ${c.secagg.mode === 'off' ? 'noised' : 'masked'} update in attempt ${before[0]}; another attempt would let the two be compared`,
      );
    this.seen.set(key, [...before, attempt]);
    if (this.file) writeLedger(this.file, Object.fromEntries(this.seen));
  }
}
