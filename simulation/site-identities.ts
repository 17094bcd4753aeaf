// A simulated federation's trust set-up, as a consortium would make it: an identity key per site
// (made here, one file per site, as each site would make its own with `accord identity`), the roster
// of their public keys, and the site policy every simulated site applies, approving by policy.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { DataConfig } from '../shared/config/schema.js';
import { generateIdentity, type Identity, saveIdentity } from '../shared/trust/identity.js';
import { Roster } from '../shared/trust/roster.js';

export interface SiteIdentities {
  roster: Roster;
  rosterFile: string;
  identities: Map<string, Identity>;
  /** The site policy file every simulated site applies (the given one, approving by policy unless it says otherwise). */
  policyFile: string;
}

/** Makes the identities of `sites` under OUT/sites/, OUT/roster.yaml and OUT/site-policy.yaml. */
/**
 * The policy a simulated site applies unless the given one says otherwise: it approves by policy, and
 * since one person plays every party, takes the experiment's split and missing values and releases
 * unrounded metrics from any test size (results match the baselines computed with the same split).
 */
function simulatedPolicy(data: DataConfig): Record<string, unknown> {
  return {
    autoApprove: true,
    data: {
      split: 'experiment',
      ...(data.format === 'csv' ? { missing: data.missing, zeroMeansMissing: data.zeroMeansMissing } : {}),
    },
    metrics: { decimals: 6, minTestRows: 1 },
    // The researcher's own app on their own machine: sandboxed at each simulated site as at a hospital,
    // with the network cut where the machine allows it (not every laptop does: Ubuntu's AppArmor).
    apps: { allow: ['any'], requireNetworkIsolation: false, releaseMetrics: true },
  };
}

export function provisionSites(
  out: string,
  sites: string[],
  policy: string | undefined,
  files: boolean,
  data: DataConfig,
): SiteIdentities {
  const identities = new Map(sites.map((s) => [s, generateIdentity()]));
  if (files) for (const [site, id] of identities) saveIdentity(identityFile(out, site), id);
  const roster = Roster.fromKeys(Object.fromEntries([...identities].map(([s, id]) => [s, id.publicKey])));
  const rosterFile = path.join(out, 'roster.yaml');
  fs.writeFileSync(rosterFile, roster.toYaml());
  const given = policy === undefined ? {} : (YAML.parse(fs.readFileSync(policy, 'utf8')) ?? {});
  const policyFile = path.join(out, 'site-policy.yaml');
  fs.writeFileSync(policyFile, YAML.stringify({ ...simulatedPolicy(data), ...given }));
  return { roster, rosterFile, identities, policyFile };
}

export function identityFile(out: string, site: string): string {
  return path.join(out, 'sites', site, 'identity.key');
}

export function approvalsDir(out: string, site: string): string {
  return path.join(out, 'sites', site, 'approvals');
}

/** An identity as a pool file carries it: the PKCS#8 DER private key and the raw public key, base64. */
export function identityForPool(id: Identity): { privateKey: string; publicKey: string } {
  return {
    privateKey: id.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: id.publicKey.toString('base64'),
  };
}
