// The site's trust from its options: an identity key and a pinned roster together (peers verified, only
// approved experiments run, approvals signed and sent), or neither (the site trusts the coordinator,
// refuses secure aggregation and approves nothing).
import { ConfigError } from '../shared/errors/index.js';
import type { Logger } from '../shared/log/logger.js';
import type { WorkerMessage } from '../shared/protocol/load.js';
import { releases } from '../shared/trust/manifest.js';
import { ApprovalStore } from './approvals.js';
import type { AuditLog } from './audit.js';
import type { WorkerOptions } from './options.js';
import { SiteTrust } from './site-trust.js';

export function siteTrustOf(
  opts: WorkerOptions,
  log: Logger,
  audit: AuditLog,
  send: (msg: WorkerMessage) => Promise<void>,
): SiteTrust | undefined {
  const { identity, roster } = opts;
  if (!identity && !roster) {
    log.warn(
      'no identity key and roster (--identity, --roster): this site trusts the coordinator; it refuses secure aggregation and approves nothing',
    );
    return undefined;
  }
  if (!identity || !roster)
    throw new ConfigError(
      '--identity and --roster go together: a site verifies peers with the roster and signs with its key',
    );
  return new SiteTrust({
    site: opts.site,
    identity,
    roster,
    policy: opts.policy,
    store: new ApprovalStore(opts.approvalsDir),
    log,
    onApproval: async (approval, terms) => {
      audit.note('approval', {
        experimentId: approval.experimentId,
        manifestHash: terms.hash,
        how: approval.how,
        releases: releases(terms.manifest),
      });
      await send({ approval });
    },
  });
}
