// A manifest the coordinator offers: approved (by the site's policy), kept for a person, or refused. A
// refusal is on record at the site with its full reason; only its public reason goes back, so the
// coordinator learns who refused and why and need not wait.
import { AccordError } from '../shared/errors/index.js';
import type { Logger } from '../shared/log/logger.js';
import type { CoordinatorMessage__Output, WorkerMessage } from '../shared/protocol/load.js';
import type { AuditLog } from './audit.js';
import type { SiteTrust } from './site-trust.js';

export type ManifestOffer = NonNullable<CoordinatorMessage__Output['manifestOffer']>;

export async function answerOffer(
  offer: ManifestOffer,
  trust: SiteTrust,
  audit: AuditLog,
  log: Logger,
  send: (msg: WorkerMessage) => Promise<void>,
): Promise<void> {
  try {
    await trust.termsFor(offer.experimentId, { manifestHash: offer.manifestHash, manifestJson: offer.manifestJson });
  } catch (e) {
    const code = e instanceof AccordError ? e.code : 'WORKER_ERROR';
    audit.note(code === 'NOT_APPROVED' ? 'awaiting-approval' : 'refusal', {
      experimentId: offer.experimentId.slice(0, 128),
      manifestHash: offer.manifestHash,
      code,
      reason: (e as Error).message,
    });
    if (code === 'NOT_APPROVED') return;
    log.warn({ experiment: offer.experimentId, code, err: String(e) }, 'manifest refused');
    const message = e instanceof AccordError ? e.publicMessage : "WORKER_ERROR (details are in the site's own log)";
    await send({ error: { taskId: `offer:${offer.experimentId}`, code, message } }).catch(() => undefined);
  }
}
