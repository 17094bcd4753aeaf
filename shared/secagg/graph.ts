// SecAgg+ communication graph (Bell et al. 2020): a Harary graph H(k, n) on a random permutation of the
// clients, seeded publicly per round, so every party computes the same neighbours. k >= n - 1 gives the
// complete graph, i.e. classic SecAgg.
import crypto from 'node:crypto';
import { rng, seedOf, shuffleInPlace } from '../random.js';

/** The usual SecAgg+ degree: about 2 log2 n, even, at least 2, at most n - 1. */
export function defaultDegree(n: number): number {
  const k = 2 * Math.ceil(Math.log2(Math.max(2, n)));
  return Math.min(n - 1, Math.max(2, k + (k % 2)));
}

/**
 * The seed of a round's neighbour graph, derived from every advertised public key: nobody (the
 * coordinator included) can know or steer the graph before all clients have advertised fresh keys,
 * and every client recomputes it instead of taking the coordinator's word.
 */
export function graphSeedOf(
  peers: readonly { site: string; cPk: Uint8Array; sPk: Uint8Array; gPk: Uint8Array }[],
): string {
  const h = crypto.createHash('sha256').update('accord/secagg/graph-seed');
  for (const p of [...peers].sort((a, b) => a.site.localeCompare(b.site)))
    h.update(p.site).update('\0').update(p.cPk).update(p.sPk).update(p.gPk);
  return h.digest('hex');
}

/** Neighbours of every client (excluding itself), as sorted lists. */
export function neighbourGraph(
  clients: readonly string[],
  degree: number | 'all',
  seed: string | number,
): Map<string, string[]> {
  const sorted = [...clients].sort();
  const n = sorted.length;
  const out = new Map<string, string[]>();
  if (degree === 'all' || degree >= n - 1) {
    for (const c of sorted)
      out.set(
        c,
        sorted.filter((x) => x !== c),
      );
    return out;
  }
  const k = Math.max(2, degree + (degree % 2)); // even degree: k/2 on each side of the ring
  const ring = shuffleInPlace([...sorted], rng(seedOf('secagg-graph', seed)));
  ring.forEach((c, pos) => {
    const set = new Set<string>();
    for (let d = 1; d <= k / 2; d++) {
      set.add(ring[(pos + d) % n]!);
      set.add(ring[(pos - d + n) % n]!);
    }
    set.delete(c);
    out.set(c, [...set].sort());
  });
  return out;
}

/** Reconstruction threshold for a neighbourhood of size k: a count, or a fraction of k when < 1. */
export function thresholdFor(k: number, threshold: number): number {
  const t = threshold < 1 ? Math.ceil(threshold * k) : Math.floor(threshold);
  return Math.min(k, Math.max(1, t));
}
