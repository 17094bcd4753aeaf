// Offers each running experiment's manifest to every site connected here that has not approved it,
// once per session: a site approves by its policy (and answers with its signed approval) or keeps the
// manifest for a person (`accord approve`) and sends the approval when it is given. Rounds select only
// sites that approved, so a site waiting for a person holds nothing up but its own participation.
import type { Logger } from '../../shared/log/logger.js';
import type { ExperimentRecords } from '../experiments/records.js';
import type { SessionHub } from './hub.js';

export class ManifestOffers {
  /** session id -> manifest hashes offered on it */
  private readonly offered = new Map<string, Set<string>>();

  constructor(
    private readonly hub: SessionHub,
    private readonly records: ExperimentRecords,
    private readonly log: Logger,
  ) {}

  async tick(): Promise<void> {
    const sessions = this.hub.list();
    if (!sessions.length) return;
    const running = (await this.records.list()).filter((r) => r.status === 'running' && r.manifest && r.manifestHash);
    if (!running.length) return;
    const live = new Set(sessions.map((s) => s.id));
    for (const id of this.offered.keys()) if (!live.has(id)) this.offered.delete(id);
    for (const rec of running) {
      const approved = await this.records.approvedSites(rec.id);
      for (const s of sessions) {
        const done = this.offered.get(s.id) ?? new Set<string>();
        this.offered.set(s.id, done);
        if (approved.has(s.site) || done.has(rec.manifestHash!)) continue;
        done.add(rec.manifestHash!);
        await s
          .send({
            manifestOffer: { experimentId: rec.id, manifestHash: rec.manifestHash!, manifestJson: rec.manifest! },
          })
          .catch((e: unknown) => this.log.warn({ site: s.site, err: String(e) }, 'manifest offer not sent'));
      }
    }
  }
}
