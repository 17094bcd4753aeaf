// One worker process per site. Two workers started with one site name used to knock each other off in
// turn (each Hello replaced the other's session); now a Hello for a site whose session is alive, from
// another worker process (another worker instance id), is refused with SITE_IN_USE, on this coordinator
// or on any other sharing the Redis. The same worker process reconnecting (its stream broke, its
// coordinator restarted or died) replaces its old session, as before; so does an older worker that sends
// no id. A session is alive while open: one whose worker vanished without closing it is dropped after
// the liveness timeout, and the registry entry of a coordinator that died stops counting once that
// coordinator is no longer connected to Redis (or its entry went stale).
import { AuthError } from '../../shared/errors/index.js';
import type { WorkerEntry, WorkerRegistry } from './registry.js';
import type { Session } from './session.js';

export interface AdmissionOptions {
  registry: WorkerRegistry;
  /** A session silent this long is dropped (SessionHub's livenessTimeoutMs). */
  livenessTimeoutMs: number;
  /**
   * Whether a process of coordinator `instance` is connected to Redis (coordinator/liveness.ts); true
   * when unknown. Without it, another coordinator's entry counts until it goes stale.
   */
  holderAlive?: (instance: string) => Promise<boolean>;
}

/** The refusal: which session holds the site, and what to do. */
function siteInUse(site: string, holder: string, waitMs: number): AuthError {
  return new AuthError(
    `site "${site}" is already connected from another worker (${holder}); stop that worker first, or wait ${Math.ceil(waitMs / 1000)} s after it died`,
    'SITE_IN_USE',
  );
}

export class Admission {
  /** Sites whose Hello is being admitted now: the worker instance that sent it, and how many are. */
  private readonly pending = new Map<string, { workerInstance: string; count: number }>();

  constructor(private readonly opts: AdmissionOptions) {}

  /** Whether two worker instances are different processes (an empty one is an older worker: not known). */
  private static other(a: string, b: string): boolean {
    return a !== '' && b !== '' && a !== b;
  }

  /**
   * Throws SITE_IN_USE when this coordinator holds the site for another worker process that is alive,
   * or is admitting one; otherwise marks the site as being admitted (end with `done`).
   */
  begin(site: string, workerInstance: string, local: Session | undefined, now = Date.now()): void {
    const silentMs = local ? now - local.lastSeen : 0;
    if (local && Admission.other(local.hello.workerInstance, workerInstance) && silentMs <= this.opts.livenessTimeoutMs)
      throw siteInUse(site, `session ${local.id}`, this.opts.livenessTimeoutMs - silentMs);
    const admitting = this.pending.get(site);
    if (admitting && Admission.other(admitting.workerInstance, workerInstance))
      throw siteInUse(site, 'connecting now', this.opts.livenessTimeoutMs);
    if (admitting) admitting.count++;
    else this.pending.set(site, { workerInstance, count: 1 });
  }

  done(site: string): void {
    const admitting = this.pending.get(site);
    if (admitting && --admitting.count === 0) this.pending.delete(site);
  }

  /**
   * Registers the session's entry, or throws SITE_IN_USE when another worker process holds the site,
   * live, on another coordinator that is itself alive.
   */
  async claim(entry: WorkerEntry): Promise<void> {
    const held = await this.opts.registry.claim(entry);
    if (!held) return;
    // Its coordinator died (not connected to Redis): its entry no longer means anything.
    if (this.opts.holderAlive && !(await this.opts.holderAlive(held.instance))) {
      await this.opts.registry.upsert(entry);
      return;
    }
    throw siteInUse(
      entry.site,
      `session ${held.sessionId} on coordinator ${held.instance}`,
      this.opts.livenessTimeoutMs,
    );
  }
}
