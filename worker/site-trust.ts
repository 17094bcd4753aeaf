// What the site trusts, and what it does not: its own identity key, the roster it pinned, and the
// manifests it approved. Every task is tied to an approved manifest before anything is computed; a
// manifest is approved by a person (`accord approve`) or by the site's policy, never by the coordinator.
import { PolicyError, TrustError } from '../shared/errors/index.js';
import type { Logger } from '../shared/log/logger.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';
import { type Approval, signApproval } from '../shared/trust/approval.js';
import { fingerprint, type Identity } from '../shared/trust/identity.js';
import { parseManifest, releases, type SignedTerms } from '../shared/trust/manifest.js';
import type { Roster } from '../shared/trust/roster.js';
import type { ApprovalStore } from './approvals.js';
import { manifestRefusal, type SitePolicy } from './policy.js';
import { ReleaseLedger } from './release-ledger.js';

export interface SiteTrustOptions {
  site: string;
  identity: Identity;
  roster: Roster;
  policy: SitePolicy | undefined;
  store: ApprovalStore;
  log: Logger;
  /** A manifest was approved here (by the policy) or found approved (by a person): tell the coordinator. */
  onApproval: (approval: Approval, terms: SignedTerms) => Promise<void>;
}

/** Manifests this process has parsed, by hash (parsing is a pure function of the text, checked against the hash). */
const PARSED = new Map<string, SignedTerms>();

/** Manifests kept for a person to approve, at most. */
const MAX_PENDING = 32;

export class SiteTrust {
  private readonly parsed = new Map<string, SignedTerms>();
  /** Approvals already sent to the coordinator by this process. */
  private readonly sent = new Set<string>();
  /** Manifests waiting for a person: their approval is sent as soon as it appears (pollApprovals). */
  private readonly pending = new Map<string, SignedTerms>();

  /** What this site released under each approved manifest (release-ledger.ts). */
  readonly ledger: ReleaseLedger;

  constructor(private readonly o: SiteTrustOptions) {
    this.ledger = new ReleaseLedger(o.store.dir);
    const own = o.roster.keyOf(o.site);
    // A roster that does not list this site with this key is the wrong roster (or the wrong key).
    if (!own) throw new TrustError('ROSTER_MISMATCH', `the roster does not list this site (${o.site}); check --roster`);
    if (!own.equals(o.identity.publicKey))
      throw new TrustError(
        'ROSTER_MISMATCH',
        `the roster lists ${o.site} with key ${fingerprint(own)}, but this site's identity is ${fingerprint(o.identity.publicKey)}`,
      );
  }

  get identity(): Identity {
    return this.o.identity;
  }

  get roster(): Roster {
    return this.o.roster;
  }

  get policy(): SitePolicy | undefined {
    return this.o.policy;
  }

  /**
   * The approved terms a task runs under: the manifest it carries, checked (hash, experiment, roster,
   * not changed since this site approved the experiment) and approved, by the policy if it allows.
   */
  async termsFor(experimentId: string, spec: Pick<TaskSpec, 'manifestHash' | 'manifestJson'>): Promise<SignedTerms> {
    if (!spec.manifestHash || !spec.manifestJson)
      throw new TrustError('BAD_MANIFEST', 'the task carries no manifest; this site runs only experiments it approved');
    const terms = this.parse(spec.manifestJson, spec.manifestHash);
    this.checkBinding(experimentId, terms);
    let approval = this.o.store.approved(terms.hash);
    if (!approval) {
      // Terms that break the site's own policy are refused outright: no person is asked to approve them.
      const refusal = this.o.policy ? manifestRefusal(this.o.policy, terms.manifest) : undefined;
      if (refusal) throw new PolicyError(`refused by the site's policy: ${refusal}`);
      if (!this.o.policy?.autoApprove) {
        // Offers a person has not looked at yet are bounded: a coordinator cannot bury the real one.
        if (!this.pending.has(terms.hash) && this.pending.size >= MAX_PENDING)
          throw new TrustError(
            'NOT_APPROVED',
            `experiment ${experimentId}: ${MAX_PENDING} manifests already await approval here; approve or discard them first`,
          );
        const file = this.o.store.savePending(terms);
        this.pending.set(terms.hash, terms);
        const why = 'approval is manual';
        this.o.log.warn(
          { experiment: experimentId, manifest: terms.hash, releases: releases(terms.manifest) },
          `experiment awaits approval (${why})${file ? `: review it with accord approve ${file}` : ''}`,
        );
        throw new TrustError(
          'NOT_APPROVED',
          `experiment ${experimentId} (manifest ${terms.hash.slice(0, 16)}) is not approved by this site: ${why}${file ? `; accord approve ${file}` : ''}`,
          `experiment ${experimentId} (manifest ${terms.hash.slice(0, 16)}) is not approved by this site: ${why}`,
        );
      }
      approval = signApproval(this.o.identity, this.o.site, terms, 'policy');
      this.o.store.save(approval, terms);
      this.o.log.info(
        { experiment: experimentId, manifest: terms.hash, releases: releases(terms.manifest) },
        'experiment approved by the site policy',
      );
    }
    if (!this.sent.has(terms.hash)) {
      this.sent.add(terms.hash);
      await this.o.onApproval(approval, terms);
    }
    return terms;
  }

  /** Approvals sent again on a new session (the coordinator may have restarted or be another one). */
  resendApprovals(): void {
    this.sent.clear();
  }

  /**
   * Sends the approvals a person gave since (`accord approve` writes them beside the worker): the
   * coordinator selects the site from then on.
   */
  async pollApprovals(): Promise<void> {
    for (const [hash, terms] of this.pending) {
      const approval = this.o.store.approved(hash);
      if (!approval) continue;
      this.pending.delete(hash);
      this.o.log.info({ experiment: terms.manifest.experimentId, manifest: hash }, 'experiment approved by hand');
      this.sent.add(hash);
      await this.o.onApproval(approval, terms);
    }
  }

  /**
   * The terms of a secure-aggregation request: only a manifest this site already approved for that
   * experiment (the stage requests carry its hash, not its text).
   */
  approvedTerms(experimentId: string, manifestHash: string): SignedTerms {
    const terms = this.parsed.get(manifestHash);
    if (!terms || !this.o.store.approved(manifestHash))
      throw new TrustError(
        'NOT_APPROVED',
        `secure aggregation under manifest ${manifestHash.slice(0, 16) || '(none)'}, which this site has not approved`,
      );
    this.checkBinding(experimentId, terms);
    return terms;
  }

  private parse(json: string, hash: string): SignedTerms {
    let terms = this.parsed.get(hash) ?? PARSED.get(hash);
    if (!terms) {
      terms = parseManifest(json, hash);
      // A simulated pool's sites share one process: each manifest is parsed and validated once.
      if (PARSED.size >= 64) PARSED.clear();
      PARSED.set(hash, terms);
    }
    // Bounded, but approved terms stay: secure-aggregation requests name them by hash alone.
    if (this.parsed.size >= 64)
      for (const h of [...this.parsed.keys()]) if (!this.o.store.approved(h)) this.parsed.delete(h);
    this.parsed.set(hash, terms);
    return terms;
  }

  /** The manifest belongs to this experiment, under this site's roster, and is the one it approved. */
  private checkBinding(experimentId: string, terms: SignedTerms): void {
    if (terms.manifest.experimentId !== experimentId)
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `a task of experiment ${experimentId} carries the manifest of experiment ${terms.manifest.experimentId}`,
      );
    if (terms.manifest.roster.sha256 !== this.o.roster.hash)
      throw new TrustError(
        'ROSTER_MISMATCH',
        `experiment ${experimentId} runs among roster ${terms.manifest.roster.sha256.slice(0, 16)}, this site pinned ${this.o.roster.hash.slice(0, 16)}`,
      );
    const approved = this.o.store.approvedFor(experimentId);
    if (approved && approved !== terms.hash)
      throw new TrustError(
        'MANIFEST_CHANGED',
        `experiment ${experimentId} now comes with manifest ${terms.hash.slice(0, 16)}; this site approved ${approved.slice(0, 16)}`,
      );
  }
}
