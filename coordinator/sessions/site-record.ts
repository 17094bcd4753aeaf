// What a site sends about itself rather than for a task: its signed approval of an experiment's
// manifest and the signed head of its audit chain. Checked for shape and sender here; the signatures
// are for the sites' roster holders to check (the coordinator checks them too when it has a roster).
import { ProtocolError } from '../../shared/errors/index.js';
import type { WorkerMessage__Output } from '../../shared/protocol/load.js';
import { type Approval, approvalSchema } from '../../shared/trust/approval.js';

export type SiteRecord =
  | { kind: 'approval'; approval: Approval }
  /** The site refused an experiment's manifest when it was offered (its reason, public by construction). */
  | { kind: 'refusal'; experimentId: string; code: string; message: string }
  | {
      kind: 'audit-head';
      experimentId: string;
      head: { round: number; taskId: string; entries: number; hash: string; signature: string };
    };

const MAX_FIELD = 512;

function bounded(fields: Record<string, string>): void {
  for (const [k, v] of Object.entries(fields))
    if (v.length > MAX_FIELD) throw new ProtocolError(`${k} is longer than ${MAX_FIELD} characters`, 'TOO_LARGE');
}

export function validateApproval(site: string, raw: NonNullable<WorkerMessage__Output['approval']>): SiteRecord {
  const fields = {
    site: raw.site,
    experimentId: raw.experimentId,
    manifestHash: raw.manifestHash,
    how: raw.how,
    approvedAt: raw.approvedAt,
    publicKey: raw.publicKey,
    signature: raw.signature,
  };
  bounded(fields);
  if (raw.site !== site)
    throw new ProtocolError(`${site} sent an approval in the name of ${raw.site}`, 'FORGED_SENDER');
  const r = approvalSchema.safeParse(fields);
  if (!r.success) throw new ProtocolError(`approval: ${r.error.issues[0]?.message ?? 'malformed'}`, 'BAD_REQUEST');
  return { kind: 'approval', approval: r.data };
}

/** Task ids of the errors a site reports about a manifest offer rather than a task. */
export const OFFER_PREFIX = 'offer:';

export function offerRefusal(raw: { taskId: string; code: string; message: string }): SiteRecord {
  const experimentId = raw.taskId.slice(OFFER_PREFIX.length);
  bounded({ experimentId });
  if (!experimentId) throw new ProtocolError('a refusal of an offer names no experiment', 'BAD_REQUEST');
  return { kind: 'refusal', experimentId, code: raw.code, message: raw.message };
}

export function validateAuditHead(raw: NonNullable<WorkerMessage__Output['auditHead']>): SiteRecord {
  bounded({ experimentId: raw.experimentId, taskId: raw.taskId, hash: raw.hash, signature: raw.signature });
  const entries = Number(raw.entries);
  if (!/^[0-9a-f]{64}$/.test(raw.hash) || !Number.isSafeInteger(entries) || entries < 1 || !raw.experimentId)
    throw new ProtocolError('audit head: expected an experiment, an entry count and a SHA-256 hash', 'BAD_REQUEST');
  return {
    kind: 'audit-head',
    experimentId: raw.experimentId,
    head: { round: raw.round, taskId: raw.taskId, entries, hash: raw.hash, signature: raw.signature },
  };
}
