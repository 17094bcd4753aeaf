// The coordinator's side of secure aggregation: route sealed shares, and remove the masks from the
// sum of masked inputs using the revealed shares. It never holds an individual unmasked input.
import { ProtocolError } from '../errors/index.js';
import { type GraphParams, type PeerKeys, type RevealedShare, type SealedShare, seedCommitment } from './client.js';
import { neighbourGraph, thresholdFor } from './graph.js';
import { agree, pairInfo, publicFromPrivate } from './keys.js';
import { addMask, addMasks, type MaskSeed } from './prg.js';
import { combineShares } from './shares.js';

/** Groups sealed shares by recipient, keeping only those between clients that completed share-keys. */
export function routeShares<S extends Pick<SealedShare, 'from' | 'to'>>(
  all: readonly S[],
  sharers: readonly string[],
): Map<string, S[]> {
  const ok = new Set(sharers);
  const out = new Map<string, S[]>(sharers.map((s) => [s, []]));
  for (const s of all) if (ok.has(s.from)) out.get(s.to)?.push(s);
  return out;
}

/** Adds one masked input (or a slice of it, into the matching slice of the sum) into the running sum (mod 2^32). */
export function addMasked(sum: Uint32Array, masked: Uint32Array): void {
  if (masked.length !== sum.length)
    throw new ProtocolError(`masked vector has ${masked.length} values, expected ${sum.length}`, 'WRONG_LENGTH');
  addMask(sum, masked, 1);
}

export interface UnmaskArgs {
  experiment: string;
  round: number;
  /** Clients whose keys were advertised (the graph is built over them). */
  peers: Omit<PeerKeys, 'gPk'>[];
  graph: GraphParams;
  /** Clients that completed share-keys. */
  sharers: string[];
  /** Clients whose masked input is in `maskedSum`. */
  survivors: string[];
  /** What each survivor revealed in the unmasking stage. */
  revealed: RevealedShare[];
  /** Each sharer's commitment to its self-mask seed (sent with its shares); rebuilt seeds must match it. */
  commitments: Map<string, Uint8Array>;
}

/**
 * Rebuilds `owner`'s self-mask seed and checks it against its commitment. With more than t shares, a
 * corrupted one is found by leaving shares out in turn; otherwise the round fails naming the owner.
 */
async function rebuildSeed(shares: Uint8Array[], t: number, owner: string, a: UnmaskArgs): Promise<Uint8Array> {
  const committed = a.commitments.get(owner);
  if (!committed) throw new ProtocolError(`no seed commitment from ${owner}`, 'BAD_RECONSTRUCTION');
  const matches = (seed: Uint8Array) =>
    Buffer.from(seedCommitment(a.experiment, a.round, owner, seed)).equals(Buffer.from(committed));
  const seed = await combineShares(shares, t, `self-mask seed of ${owner}`);
  if (matches(seed)) return seed;
  for (let skip = 0; skip < shares.length && shares.length > t; skip++) {
    const rest = shares.filter((_, i) => i !== skip);
    const retry = await combineShares(rest, t, `self-mask seed of ${owner}`);
    if (matches(retry)) return retry;
  }
  throw new ProtocolError(
    `the self-mask seed rebuilt for ${owner} does not match its commitment (corrupt shares)`,
    'BAD_RECONSTRUCTION',
  );
}

/** Removes self masks of survivors and pairwise masks involving dropped clients, in place; returns the sum. */
export async function unmaskSum(maskedSum: Uint32Array, a: UnmaskArgs): Promise<Uint32Array> {
  const graph = neighbourGraph(
    a.peers.map((p) => p.site),
    a.graph.degree,
    a.graph.graphSeed,
  );
  const keys = new Map(a.peers.map((p) => [p.site, p]));
  const survivors = new Set(a.survivors);
  const dropped = a.sharers.filter((s) => !survivors.has(s));
  const byOwner = (owner: string, kind: RevealedShare['kind']) =>
    a.revealed.filter((r) => r.owner === owner && r.kind === kind).map((r) => r.share);
  // Every seed is rebuilt (and checked) first; then all masks come off in one pass over the sum.
  const masks: MaskSeed[] = [];
  for (const i of a.survivors) {
    const t = thresholdFor(graph.get(i)!.length, a.graph.threshold);
    masks.push({ seed: await rebuildSeed(byOwner(i, 'self-seed'), t, i, a), sign: -1 });
  }
  for (const d of dropped) {
    const t = thresholdFor(graph.get(d)!.length, a.graph.threshold);
    const sk = await combineShares(byOwner(d, 'mask-key'), t, `mask key of ${d}`);
    if (!publicFromPrivate(sk).equals(Buffer.from(keys.get(d)!.sPk)))
      throw new ProtocolError(
        `the mask key rebuilt for ${d} does not match its advertised key (corrupt shares)`,
        'BAD_RECONSTRUCTION',
      );
    for (const j of graph.get(d)!) {
      if (!survivors.has(j)) continue;
      const seed = agree(sk, keys.get(j)!.sPk, pairInfo('mask', a.experiment, a.round, d, j));
      // Survivor j added +mask when j < d, -mask otherwise: take it back out.
      masks.push({ seed, sign: j < d ? -1 : 1 });
    }
  }
  addMasks(maskedSum, masks);
  return maskedSum;
}
