// The split-view attack on SecAgg+, run for real: a lying coordinator with two corrupt neighbours of a
// victim v shows half of v's honest neighbours a survivor set in which v survived (they reveal shares
// of v's self-mask seed) and the other half one in which v dropped (they reveal shares of v's mask
// key). With both secrets it strips every mask off v's masked input and reads v's quantised input.
// Under the old rule t = k/2 + 1 this works, undetected by every honest client; under the threshold
// the defaults now derive, t > (k + 2)/2, no split the coordinator can choose yields both secrets.
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors/index.js';
import { rng, seedOf, shuffleInPlace } from '../../shared/random.js';
import {
  type GraphParams,
  type PeerKeys,
  protocolContext,
  type RevealedShare,
  type SealedShare,
  SecAggClient,
  type SurvivorSignature,
  seedCommitment,
} from '../../shared/secagg/client.js';
import { graphSeedOf, neighbourGraph, thresholdFor } from '../../shared/secagg/graph.js';
import { agree, pairInfo, publicFromPrivate } from '../../shared/secagg/keys.js';
import { roundGraph } from '../../shared/secagg/parameters.js';
import { addMasks } from '../../shared/secagg/prg.js';
import { levelsFor, quantize } from '../../shared/secagg/quantize.js';
import { routeShares } from '../../shared/secagg/server.js';
import { combineShares } from '../../shared/secagg/shares.js';
import { generateSigningKeys, type SigningKeys, signSurvivors } from '../../shared/secagg/signatures.js';

const N = 40;
const ROUND = 3;
const CONTEXT = protocolContext('split-view', 0);
const LENGTH = 16; // a small input: the attack's cost is in the protocol, not the vector
const VICTIM = 's17';

interface Held {
  selfSeed: Uint8Array;
  maskKey: Uint8Array;
}

/** One round of SecAgg+ among N clients, run honestly up to (and including) the masked inputs. */
interface MaskedRound {
  sites: string[];
  clients: Map<string, SecAggClient>;
  identities: Map<string, SigningKeys>;
  peers: PeerKeys[];
  graph: GraphParams;
  neighbours: Map<string, string[]>;
  /** The Harary graph's ring, recomputed from the public graph seed (anyone can). */
  ring: string[];
  inputs: Map<string, Uint32Array>;
  /** What the coordinator received from each client in the masked-input stage. */
  masked: Map<string, Uint32Array>;
  /** Sent with the shares: what a rebuilt self-mask seed is checked against. */
  commitments: Map<string, Uint8Array>;
  /** Survivor-set signatures of clients not asked to unmask, by site and set, kept across tries. */
  signed: Map<string, Uint8Array>;
}

/** The ring graph.ts lays the Harary graph on (same permutation), checked against neighbourGraph. */
function ringOf(sites: string[], degree: number, seed: string, neighbours: Map<string, string[]>): string[] {
  const ring = shuffleInPlace([...sites].sort(), rng(seedOf('secagg-graph', seed)));
  ring.forEach((s, pos) => {
    const around = new Set<string>();
    for (let d = 1; d <= degree / 2; d++) {
      around.add(ring[(pos + d) % ring.length]!);
      around.add(ring[(pos - d + ring.length) % ring.length]!);
    }
    expect(neighbours.get(s)).toEqual([...around].sort());
  });
  return ring;
}

async function maskedRound(degree: number, threshold: number): Promise<MaskedRound> {
  const sites = [...Array(N)].map((_, i) => `s${String(i).padStart(2, '0')}`);
  // Every site signs survivor sets with its identity key; the corrupt ones hand theirs to the coordinator.
  const identities = new Map(sites.map((s) => [s, generateSigningKeys()]));
  const clients = new Map(sites.map((s) => [s, new SecAggClient(CONTEXT, ROUND, s, identities.get(s))]));
  const peers = sites.map((s) => ({ site: s, ...clients.get(s)!.advertise() }));
  const graph: GraphParams = { degree, threshold, graphSeed: graphSeedOf(peers) }; // the real, key-derived seed
  const sealed: SealedShare[] = [];
  for (const s of sites) sealed.push(...(await clients.get(s)!.shareKeys(peers, graph)));
  const routed = routeShares(sealed, sites);
  const inputs = new Map(
    sites.map((s, k) => [
      s,
      quantize(
        Float32Array.from({ length: LENGTH }, (_, i) => Math.sin(1 + i * (k + 2))),
        1,
        levelsFor(N),
        rng(100 + k),
      ),
    ]),
  );
  const masked = new Map(sites.map((s) => [s, clients.get(s)!.maskedInput(routed.get(s)!, sites, inputs.get(s)!)]));
  const neighbours = neighbourGraph(sites, degree, graph.graphSeed);
  return {
    sites,
    clients,
    identities,
    peers,
    graph,
    neighbours,
    ring: ringOf(sites, degree, graph.graphSeed, neighbours),
    inputs,
    masked,
    commitments: new Map(sites.map((s) => [s, clients.get(s)!.commitment()])),
    signed: new Map(),
  };
}

/** Position of `site` on the ring relative to v: -N/2 + 1 .. N/2, v at 0. */
function offset(r: MaskedRound, site: string): number {
  const d = (r.ring.indexOf(site) - r.ring.indexOf(VICTIM) + N) % N;
  return d > N / 2 ? d - N : d;
}

const siteAt = (r: MaskedRound, rel: number) => r.ring[(r.ring.indexOf(VICTIM) + rel + N) % N]!;

/**
 * The client as it stands after masked-input, copied, so the coordinator can try every split on the
 * same round and keep the best one (stronger than any real coordinator, which gets one try per round).
 */
function snapshot(c: SecAggClient): SecAggClient {
  const copy = Object.assign(Object.create(SecAggClient.prototype) as SecAggClient, c);
  Reflect.set(copy, 'revealed', new Map());
  return copy;
}

interface Outcome {
  /** Honest clients whose unmasking refused, with the code. */
  refused: Map<string, string>;
  selfSeedShares: number;
  maskKeyShares: number;
  /** Why v's input was not rebuilt (an error code), when it was not. */
  failure?: string;
  /** v's quantised input as the coordinator rebuilt it. */
  recovered?: Uint32Array;
}

/**
 * The coordinator's attack on v. `sawV(site)` is the split: true, the site is shown the survivor set
 * with v (A: reveals v's self-seed share); false, the one without v (B: reveals v's mask-key share).
 * v itself must be shown a set with v. Corrupt clients sign both sets and hand over every share they
 * hold. `unmasking` are the honest clients asked to unmask (v's neighbours hold v's shares).
 */
async function attack(
  r: MaskedRound,
  corrupt: string[],
  sawV: (site: string) => boolean,
  opts: { unmasking: string[]; fresh: boolean },
): Promise<Outcome> {
  const client = new Map(r.sites.map((s) => [s, opts.fresh ? snapshot(r.clients.get(s)!) : r.clients.get(s)!]));
  const withV = [...r.sites];
  const withoutV = r.sites.filter((s) => s !== VICTIM);
  const view = (s: string) => (s === VICTIM || sawV(s) ? withV : withoutV);
  const honest = r.sites.filter((s) => !corrupt.includes(s));
  // Consistency check: each honest client signs the one set it is shown; the corrupt ones sign both.
  const signatures = new Map<string[], SurvivorSignature[]>([
    [withV, []],
    [withoutV, []],
  ]);
  const unmasking = new Set(opts.unmasking);
  for (const s of honest) {
    // Ed25519 is deterministic: a client not asked to unmask signs its set as it did in an earlier try.
    const key = `${s}|${view(s) === withV ? 'with' : 'without'}`;
    let signature = unmasking.has(s) ? client.get(s)!.consistency(view(s)) : r.signed.get(key);
    if (!signature) {
      signature = snapshot(r.clients.get(s)!).consistency(view(s));
      r.signed.set(key, signature);
    }
    signatures.get(view(s))!.push({ site: s, signature });
  }
  for (const set of [withV, withoutV])
    for (const c of corrupt)
      signatures.get(set)!.push({ site: c, signature: signSurvivors(r.identities.get(c)!, CONTEXT, ROUND, set) });
  // Unmasking: each honest client is asked for what its own view calls for.
  const refused = new Map<string, string>();
  const revealed: RevealedShare[] = [];
  for (const s of opts.unmasking) {
    const set = view(s);
    try {
      revealed.push(...client.get(s)!.unmask(set === withV ? [] : [VICTIM], set, signatures.get(set)!));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      refused.set(s, e.code);
    }
  }
  const fromV = revealed.filter((x) => x.owner === VICTIM);
  const held = corrupt.map((c) => (Reflect.get(client.get(c)!, 'held') as Map<string, Held>).get(VICTIM)!);
  const selfSeedShares = [
    ...fromV.filter((x) => x.kind === 'self-seed').map((x) => x.share),
    ...held.map((h) => h.selfSeed),
  ];
  const maskKeyShares = [
    ...fromV.filter((x) => x.kind === 'mask-key').map((x) => x.share),
    ...held.map((h) => h.maskKey),
  ];
  const out: Outcome = { refused, selfSeedShares: selfSeedShares.length, maskKeyShares: maskKeyShares.length };
  // Rebuilding, as the server does (shares.ts combineShares, checked like server.ts checks).
  const around = r.neighbours.get(VICTIM)!;
  const t = thresholdFor(around.length, r.graph.threshold);
  let seed: Uint8Array;
  let sk: Uint8Array;
  try {
    seed = await combineShares(selfSeedShares, t, `self-mask seed of ${VICTIM}`);
    sk = await combineShares(maskKeyShares, t, `mask key of ${VICTIM}`);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { ...out, failure: e.code };
  }
  const seedOk = Buffer.from(seedCommitment(CONTEXT, ROUND, VICTIM, seed)).equals(
    Buffer.from(r.commitments.get(VICTIM)!),
  );
  const keys = new Map(r.peers.map((p) => [p.site, p]));
  if (!seedOk || !publicFromPrivate(sk).equals(Buffer.from(keys.get(VICTIM)!.sPk)))
    return { ...out, failure: 'BAD_RECONSTRUCTION' };
  // Strip v's self mask and its pairwise mask with each neighbour (v added +mask where v < j).
  const x = r.masked.get(VICTIM)!.slice();
  addMasks(x, [
    { seed, sign: -1 },
    ...around.map((j) => ({
      seed: agree(sk, keys.get(j)!.sPk, pairInfo('mask', CONTEXT, ROUND, VICTIM, j)),
      sign: VICTIM < j ? (-1 as const) : (1 as const),
    })),
  ]);
  return { ...out, recovered: x };
}

/** The two corrupt neighbours: three places either side of v on the ring. */
const corruptOf = (r: MaskedRound) => [siteAt(r, -3), siteAt(r, 3)];

/** The coordinator's ring split: the half of the ring up to v (v included) sees v survive, the rest sees v drop. */
const halves = (r: MaskedRound) => (s: string) => offset(r, s) <= 0;

describe('split view of a lying coordinator with 2 corrupt neighbours of the victim (SecAgg+, n = 40)', () => {
  it('with the old rule t = k/2 + 1 (k = 12, t = 7) it rebuilds both secrets and reads the victim input exactly', async () => {
    const r = await maskedRound(12, 7);
    const corrupt = corruptOf(r);
    const around = r.neighbours.get(VICTIM)!;
    expect(around).toHaveLength(12);
    for (const c of corrupt) expect(around).toContain(c);
    // The masked input alone hides v's input.
    expect(r.masked.get(VICTIM)).not.toEqual(r.inputs.get(VICTIM));
    const honest = r.sites.filter((s) => !corrupt.includes(s));
    const out = await attack(r, corrupt, halves(r), { unmasking: honest, fresh: false });
    // Every honest client's consistency check passes: each sees t of its neighbours sign its own set
    // (a client on either edge of a half has itself and k/2 neighbours on its side: k/2 + 1 = t).
    expect([...out.refused]).toEqual([]);
    expect(out.selfSeedShares).toBe(7); // 5 honest neighbours on v's half + 2 corrupt
    expect(out.maskKeyShares).toBe(7); // 5 honest neighbours on the other half + 2 corrupt
    expect(out.failure).toBeUndefined();
    expect(out.recovered).toEqual(r.inputs.get(VICTIM));
  });

  it('with the derived parameters (t > (k + 2)/2) no split of the coordinator rebuilds both secrets', async () => {
    const derived = roundGraph(
      {
        mode: 'secaggplus',
        corruptFraction: 0.05,
        dropoutFraction: 0.1,
        securityBits: 40,
        colludingSites: 0,
      },
      N,
    );
    expect(derived.derived).toBe(true);
    const k = derived.degree as number;
    const t = derived.threshold;
    expect([k, t]).toEqual([12, 8]);
    expect(t).toBeGreaterThan((k + 2) / 2);
    const r = await maskedRound(k, t);
    const corrupt = corruptOf(r);
    const around = r.neighbours.get(VICTIM)!;
    const honestAround = around.filter((s) => !corrupt.includes(s));
    expect(honestAround).toHaveLength(k - 2);

    // Whatever the coordinator shows whom, an honest neighbour unmasks once and never reveals both
    // shares of one peer: self-seed + mask-key shares of v are at most (k - 2) + 2 * 2 = k + 2 < 2t,
    // so some secret of v always stays below t.
    expect(k + 2).toBeLessThan(2 * t);

    // The split that worked under the old rule: both halves of the ring.
    const same = await attack(r, corrupt, halves(r), { unmasking: honestAround, fresh: true });
    expect([...same.refused]).toEqual([]);
    expect([same.selfSeedShares, same.maskKeyShares]).toEqual([7, 7]); // one short of t, twice
    expect(same.failure).toBe('TOO_FEW_SHARES');
    expect(same.recovered).toBeUndefined();

    // Every arc of the ring around v the coordinator may show the set with v (offsets -left..right),
    // the rest seeing v drop. Arcs reaching past offset 12 change no check in v's neighbourhood.
    let best = 0;
    let tried = 0;
    let caught = 0; // splits in which the consistency check itself stopped a neighbour of v
    for (let left = 0; left <= 12; left++)
      for (let right = 0; right <= 12; right++) {
        const sawV = (s: string) => offset(r, s) >= -left && offset(r, s) <= right;
        const out = await attack(r, corrupt, sawV, { unmasking: honestAround, fresh: true });
        tried++;
        expect(out.selfSeedShares + out.maskKeyShares).toBeLessThanOrEqual(k + 2);
        // Either an honest neighbour of v refused (CONSISTENCY_FAILED), or too few shares came out.
        const refusedHere = [...out.refused.values()];
        for (const code of refusedHere) expect(code).toBe('CONSISTENCY_FAILED');
        expect(refusedHere.length > 0 || out.selfSeedShares < t || out.maskKeyShares < t).toBe(true);
        expect(out.failure).toBe('TOO_FEW_SHARES');
        expect(out.recovered).toBeUndefined();
        if (refusedHere.length > 0) caught++;
        best = Math.max(best, Math.min(out.selfSeedShares, out.maskKeyShares));
      }
    expect(tried).toBe(169);
    expect(caught).toBeGreaterThan(0);
    expect(best).toBe(t - 1); // the best split leaves the coordinator one share short
  });
});
