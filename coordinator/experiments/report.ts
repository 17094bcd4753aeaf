// The experiment report: the config used, every committed round, and the final figures.

import type { Approval } from '../../shared/trust/approval.js';
import { DifferentialPrivacy, type PrivacyGuarantee } from '../privacy/differential-privacy.js';
import { type BestRound, bestRound } from './best-round.js';
import {
  type ExperimentRecord,
  ExperimentRecords,
  type RoundRecord,
  type SiteAuditHead,
  type TrustRecords,
} from './records.js';

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
          ...(last.privacy ? { epsilon: last.privacy.epsilon, delta: last.privacy.delta } : {}),
          ...(rec.config.train.dpSgd ? { siteRecordEpsilon: siteRecordEpsilon(rounds) } : {}),
          models: modelsOf(last.round, bestRound(rounds)),
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
