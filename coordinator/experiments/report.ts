// The experiment report: the config used, every committed round, and the final figures.

import type { Approval } from '../../shared/trust/approval.js';
import { DifferentialPrivacy, type PrivacyGuarantee } from '../privacy/differential-privacy.js';
import { type BestRound, bestRound } from './best-round.js';
import { type FinalPersonalization, finalPersonalization } from './personal-final.js';
import {
  type ExperimentRecord,
  ExperimentRecords,
  type RoundRecord,
  type SiteAuditHead,
  type TrustRecords,
} from './records.js';
import type { AccuracyInterval, BinnedAucRecord } from './round-record.js';

export interface ExperimentReport {
  experiment: {
    id: string;
    name: string;
    status: string;
    createdAt: string;
    config: ExperimentRecord['config'];
    error?: string;
    stopped?: string;
  };
  rounds: RoundRecord[];
  final: {
    round: number;
    siteAccuracy: Record<string, number>;
    meanSiteAccuracy: number;
    accuracy: number;
    loss: number;
    /**
     * 95% Wilson interval of the accuracy of the last round's test rows, pooled over the sites that
     * evaluated (their counts of correct predictions summed): `correct` of `examples`.
     */
    accuracyInterval?: FinalAccuracyInterval;
    /** For binary labels: AUC of the pooled test rows from the sites' summed score histograms, with a 95% interval. */
    auc?: FinalAuc;
    /** Each site's 95% accuracy interval, and for binary labels its binned AUC with its interval. */
    siteAccuracyInterval?: Record<string, FinalAccuracyInterval>;
    siteAuc?: Record<string, FinalAuc>;
    /** Privacy spent by the whole experiment (differential privacy on). */
    epsilon?: number;
    delta?: number;
    /** Record-level DP (DP-SGD): each site's epsilon over its own rows, by its own ledger (latest report). */
    siteRecordEpsilon?: Record<string, number>;
    /**
     * The exported models: model/ is the last committed round's; model-best/ the best-scoring round's
     * when that is another round (experiments/best-round.ts).
     */
    models?: ExportedModels;
    /** Personalization: each site's personal model (experiments/report-personal.ts). */
    personalization?: FinalPersonalization;
  } | null;
  /** With differential privacy: what the epsilon means (unit, sampling, who adds noise, collusion). */
  privacy?: PrivacyGuarantee & { epsilon: number | null };
  backends: Record<string, string>;
  /** Why each site trains on its backend: "first choice", "requested", or each one above it and why not. */
  backendReasons?: Record<string, string>;
  bytes: { down: number; up: number };
  events: { at: number; message: string }[];
  /**
   * What the sites agreed to and what they vouch they sent: the manifest (its hash names the
   * experiment on the wire), the roster it names, every site's signed approval, and the signed head
   * of each site's audit chain. `accord verify REPORT` checks them offline.
   */
  trust?: {
    manifestHash: string;
    manifest: unknown;
    roster?: { sites: Record<string, string> };
    approvals: Approval[];
    auditHeads: Record<string, SiteAuditHead>;
  };
}

export interface FinalAccuracyInterval extends AccuracyInterval {
  level: 0.95;
  method: 'wilson';
}

export interface FinalAuc extends BinnedAucRecord {
  level: 0.95;
  method: typeof AUC_METHOD;
}

export const AUC_METHOD = 'binned Mann-Whitney, Hanley-McNeil SE';

const finalAccuracy = (a: AccuracyInterval): FinalAccuracyInterval => ({ ...a, level: 0.95, method: 'wilson' });
const finalAuc = (a: BinnedAucRecord): FinalAuc => {
  const { value, lower, upper, ...rest } = a;
  return { value, lower, upper, level: 0.95, method: AUC_METHOD, ...rest };
};

/** The intervals of a round's figures as report.json's `final` holds them (absent where the round has none). */
function finalIntervals(
  last: RoundRecord,
): Pick<NonNullable<ExperimentReport['final']>, 'accuracyInterval' | 'auc' | 'siteAccuracyInterval' | 'siteAuc'> {
  const sites = Object.entries(last.siteEval);
  const siteAccuracy = sites.filter(([, e]) => e.accuracyInterval);
  const siteAuc = sites.filter(([, e]) => e.aucInterval);
  return {
    ...(last.accuracyInterval ? { accuracyInterval: finalAccuracy(last.accuracyInterval) } : {}),
    ...(last.aucInterval ? { auc: finalAuc(last.aucInterval) } : {}),
    ...(siteAccuracy.length
      ? {
          siteAccuracyInterval: Object.fromEntries(
            siteAccuracy.map(([s, e]) => [s, finalAccuracy(e.accuracyInterval!)]),
          ),
        }
      : {}),
    ...(siteAuc.length ? { siteAuc: Object.fromEntries(siteAuc.map(([s, e]) => [s, finalAuc(e.aucInterval!)])) } : {}),
  };
}

/**
 * Which exported model is which, by folder: the coordinator's store keeps the last committed round's in
 * model/ and the best-scoring round's in model-best/; `accord simulate --export best` swaps them in
 * its output (model/ and model-last/).
 */
export interface ExportedModels {
  last: { round: number; dir: 'model' | 'model-last' };
  best?: BestRound & { dir: 'model' | 'model-best' };
}

function modelsOf(last: number, best: BestRound | undefined): ExportedModels {
  return {
    last: { round: last, dir: 'model' },
    ...(best ? { best: { ...best, dir: best.round === last ? 'model' : 'model-best' } } : {}),
  };
}

/** Each site's latest record-level epsilon (a site reports it in every round it trains in). */
function siteRecordEpsilon(rounds: RoundRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rounds)
    for (const [site, t] of Object.entries(r.train)) if (t.recordEpsilon !== undefined) out[site] = t.recordEpsilon;
  return out;
}

function personalizationOf(rec: ExperimentRecord, last: RoundRecord): { personalization?: FinalPersonalization } {
  const p = finalPersonalization(rec.config.personalization, last);
  return p ? { personalization: p } : {};
}

export function buildReport(
  rec: ExperimentRecord,
  rounds: RoundRecord[],
  events: { at: number; message: string }[],
  signed?: TrustRecords,
): ExperimentReport {
  const last = rounds[rounds.length - 1];
  const backends: Record<string, string> = {};
  const backendReasons: Record<string, string> = {};
  for (const r of rounds)
    for (const [site, t] of Object.entries(r.train)) {
      backends[site] = t.backend;
      if (t.backendReason) backendReasons[site] = t.backendReason;
    }
  const dp = DifferentialPrivacy.of(rec.config);
  return {
    experiment: {
      id: rec.id,
      name: rec.name,
      status: rec.status,
      createdAt: new Date(rec.createdAt).toISOString(),
      config: ExperimentRecords.effectiveConfig(rec),
      ...(rec.error ? { error: rec.error } : {}),
      ...(rec.stopped ? { stopped: rec.stopped } : {}),
    },
    rounds,
    final: last
      ? {
          round: last.round,
          siteAccuracy: last.siteAccuracy,
          meanSiteAccuracy: last.meanSiteAccuracy,
          accuracy: last.accuracy,
          loss: last.loss,
          ...finalIntervals(last),
          ...(last.privacy ? { epsilon: last.privacy.epsilon, delta: last.privacy.delta } : {}),
          ...(rec.config.train.dpSgd ? { siteRecordEpsilon: siteRecordEpsilon(rounds) } : {}),
          models: modelsOf(last.round, bestRound(rounds)),
          ...personalizationOf(rec, last),
        }
      : null,
    ...(dp
      ? { privacy: { ...dp.guarantee(rec.config.secagg.mode !== 'off'), epsilon: last?.privacy?.epsilon ?? null } }
      : {}),
    backends,
    ...(Object.keys(backendReasons).length ? { backendReasons } : {}),
    bytes: { down: rounds.reduce((a, r) => a + r.bytesDown, 0), up: rounds.reduce((a, r) => a + r.bytesUp, 0) },
    events,
    ...(rec.manifest && rec.manifestHash
      ? {
          trust: {
            manifestHash: rec.manifestHash,
            manifest: JSON.parse(rec.manifest) as unknown,
            ...(signed?.roster ? { roster: JSON.parse(signed.roster) as { sites: Record<string, string> } } : {}),
            approvals: signed?.approvals ?? [],
            auditHeads: signed?.auditHeads ?? {},
          },
        }
      : {}),
  };
}
