// The peers a site is asked to run secure aggregation with, checked before it shares anything: each is
// on the site's roster and signed its round keys; there are enough of them; and the neighbours and
// threshold asked for are those the approved manifest gives (and outvote the corrupt neighbours it assumes).

import { TrustError } from '../shared/errors/index.js';
import type { SecAggRequest__Output } from '../shared/protocol/load.js';
import { thresholdFor } from '../shared/secagg/graph.js';
import { roundGraph, splitViewBound } from '../shared/secagg/parameters.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { verifyRoundKeys } from '../shared/trust/round-keys.js';
import type { SiteTrust } from './site-trust.js';

/**
 * Before sharing anything: every peer is on the pinned roster and signed its round keys with its
 * identity key for this manifest, round and attempt; there are enough of them for the policy; and
 * the neighbours and threshold asked for are the ones the manifest gives for that many peers.
 */
export function checkPeers(req: SecAggRequest__Output, trust: SiteTrust, terms: SignedTerms, context: string): void {
  for (const p of req.peers) {
    const key = trust.roster.keyOf(p.site);
    if (!key)
      throw new TrustError(
        'UNKNOWN_PEER',
        `secure aggregation with ${p.site}, who is not on this site's roster; nothing shared`,
      );
    const signed =
      key.equals(Buffer.from(p.gPk)) &&
      verifyRoundKeys(
        key,
        { manifestHash: terms.hash, context, round: req.round, site: p.site, cPk: p.cPk, sPk: p.sPk },
        p.keySignature,
      );
    if (!signed)
      throw new TrustError(
        'BAD_PEER_SIGNATURE',
        `the round keys shown for ${p.site} are not signed by ${p.site}'s roster key for this manifest and round; nothing shared`,
      );
  }
  const n = req.peers.length;
  // The manifest's quorum (a round commits from no fewer sites) and the site's own floor: with fewer,
  // a few colluding peers that send zeros would leave this site's update nearly alone in the sum.
  const cl = terms.manifest.config.clients;
  const min = Math.max(3, cl.quorum ?? cl.min, trust.policy?.minSitesPerRound ?? 1);
  if (n < min)
    throw new TrustError(
      'OUTSIDE_MANIFEST',
      `secure aggregation among ${n} verified sites; the manifest and this site's policy need at least ${min}`,
    );
  const expected = roundGraph(terms.manifest.config.secagg, n);
  const asked = req.neighbours === 0 || req.neighbours >= n - 1 ? 'all' : req.neighbours;
  const want = expected.degree === 'all' || expected.degree >= n - 1 ? 'all' : expected.degree;
  if (asked !== want || req.threshold !== expected.threshold)
    throw new TrustError(
      'OUTSIDE_MANIFEST',
      `asked for ${asked} neighbours and threshold ${req.threshold}; the manifest gives ${want} and ${expected.threshold} for ${n} sites`,
    );
  // Even terms the site approved (a configured threshold) must outvote the corrupt neighbours they
  // assume: otherwise a split view of survivor sets could rebuild both of this site's secrets.
  const sa = terms.manifest.config.secagg;
  const k = want === 'all' ? n - 1 : want;
  const t = thresholdFor(k, expected.threshold);
  const c = splitViewBound(sa, n, k);
  if (2 * t <= k + c)
    throw new TrustError(
      'OUTSIDE_MANIFEST',
      `a threshold of ${t} for ${k} neighbours does not outvote ${c} corrupt neighbours (corruptFraction ${sa.corruptFraction}, colludingSites ${sa.colludingSites}); nothing shared`,
    );
}
