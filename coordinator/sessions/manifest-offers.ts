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

  /** Runs every second: reads only each experiment's status and hash, and a manifest only to send it. */
  async tick(): Promise<void> {
    const sessions = this.hub.list();
    if (!sessions.length) return;
    const live = new Set(sessions.map((s) => s.id));
    for (const id of this.offered.keys()) if (!live.has(id)) this.offered.delete(id);
    for (const id of await this.records.ids()) {
      const brief = await this.records.brief(id);
      const hash = brief?.manifestHash;
      if (brief?.status !== 'running' || !hash) continue;
      const due = sessions.filter((s) => !this.offered.get(s.id)?.has(hash));
      if (!due.length) continue;
      const approved = await this.records.approvedSites(id);
      const json = await this.records.manifestOf(id);
      if (!json) continue;
      for (const s of due) {
        const done = this.offered.get(s.id) ?? new Set<string>();
        this.offered.set(s.id, done);
        done.add(hash);
        if (approved.has(s.site)) continue;
        await s
          .send({ manifestOffer: { experimentId: id, manifestHash: hash, manifestJson: json } })
          .catch((e: unknown) => this.log.warn({ site: s.site, err: String(e) }, 'manifest offer not sent'));
      }
    }
  }
}
