import { describe, expect, it } from 'vitest';
import { rng } from '../../shared/random.js';
import { type SealedShare, SecAggClient } from '../../shared/secagg/client.js';
import { defaultDegree, graphSeedOf, neighbourGraph, thresholdFor } from '../../shared/secagg/graph.js';
import { addMasks, expandMask } from '../../shared/secagg/prg.js';
import { dequantizeSum, levelsFor, quantize } from '../../shared/secagg/quantize.js';
import { addMasked, routeShares, unmaskSum } from '../../shared/secagg/server.js';
import { combineShares, splitSecret } from '../../shared/secagg/shares.js';
import { generateSigningKeys, type SigningKeys, signSurvivors } from '../../shared/secagg/signatures.js';
import { laneOps } from '../../shared/secagg/simd.js';
import { runSecAgg } from '../helpers/secagg-run.js';
import { correlation } from '../helpers/stats.js';

function plainSum(inputs: Uint32Array[]): Uint32Array {
  const s = new Uint32Array(inputs[0]!.length);
  for (const x of inputs) for (let i = 0; i < s.length; i++) s[i] = s[i]! + x[i]!;
  return s;
}

describe('quantisation', () => {
  it('picks levels so that n clients cannot wrap mod 2^32', () => {
    for (const n of [1, 2, 3, 100, 1000]) expect(n * levelsFor(n)).toBeLessThan(2 ** 32);
    expect(levelsFor(4, 16)).toBe(65535);
    expect(() => levelsFor(2 ** 31, 1)).toThrow(/cannot hold/);
  });

  it('clips, rounds stochastically without bias, and dequantises sums', () => {
    const levels = levelsFor(3, 8); // coarse on purpose: 255 levels
    const v = new Float32Array(20000).fill(0.3);
    const q = quantize(v, 1, levels, rng(1));
    const back = dequantizeSum(q, 1, 1, levels);
    const mean = back.reduce((a, b) => a + b, 0) / back.length;
    expect(Math.abs(mean - 0.3)).toBeLessThan(1e-3); // unbiased
    expect(quantize(new Float32Array([5, -5]), 1, levels, rng(1))).toEqual(new Uint32Array([levels, 0])); // clipped
    const a = quantize(new Float32Array([0.5, -0.25]), 1, levelsFor(2), rng(2));
    const b = quantize(new Float32Array([0.25, -0.5]), 1, levelsFor(2), rng(3));
    const s = dequantizeSum(plainSum([a, b]), 2, 1, levelsFor(2));
    expect(s[0]).toBeCloseTo(0.75, 6);
    expect(s[1]).toBeCloseTo(-0.75, 6);
  });
});

describe('SecAgg+ graph and masks', () => {
  it('Harary graph: symmetric, k-regular, seeded; "all" is complete', () => {
    const sites = [...Array(20)].map((_, i) => `s${String(i).padStart(2, '0')}`);
    const g = neighbourGraph(sites, 6, 'seed-1');
    for (const [a, ns] of g) {
      expect(ns).toHaveLength(6);
      for (const b of ns) expect(g.get(b)).toContain(a);
    }
    expect(neighbourGraph(sites, 6, 'seed-1')).toEqual(g);
    expect(neighbourGraph(sites, 6, 'seed-2')).not.toEqual(g);
    expect(neighbourGraph(sites.slice(0, 5), 'all', 'x').get('s00')).toEqual(['s01', 's02', 's03', 's04']);
    expect(defaultDegree(100)).toBe(14);
    expect(thresholdFor(14, 0.6)).toBe(9);
    expect(thresholdFor(14, 5)).toBe(5);
  });

  it('expands the full 256-bit seed: seeds differing in the last byte give unrelated masks', () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    b[31] = 1;
    const ma = expandMask(a, 1000);
    const mb = expandMask(b, 1000);
    expect(ma.filter((x, i) => x === mb[i]).length).toBeLessThan(3);
    expect(expandMask(a, 1000)).toEqual(ma);
  });

  it('adding a mask slice by slice gives the same words as expanding it whole (across slice boundaries)', () => {
    const seed = new Uint8Array(32).fill(9);
    const n = (1 << 16) * 2 + 123;
    const base = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0);
    const whole = expandMask(seed, n);
    for (const sign of [1, -1] as const) {
      const acc = base.slice();
      addMasks(acc, [{ seed, sign }]);
      const want = base.map((v, i) => (sign === 1 ? v + whole[i]! : v - whole[i]!) >>> 0);
      expect(acc).toEqual(want);
    }
  });

  it('adds many masks in one pass, with WebAssembly SIMD and with the JS loop alike', () => {
    expect(laneOps()).not.toBeNull(); // Node 20 has WebAssembly SIMD: the fast path is the one tested
    const n = (1 << 16) + 7;
    const masks = [1, 2, 3, 4].map((k) => ({ seed: new Uint8Array(32).fill(k), sign: (k % 2 ? 1 : -1) as 1 | -1 }));
    const base = Uint32Array.from({ length: n }, (_, i) => (i * 40503) >>> 0);
    const want = base.slice();
    for (const m of masks) {
      const w = expandMask(m.seed, n);
      for (let i = 0; i < n; i++) want[i] = m.sign === 1 ? want[i]! + w[i]! : want[i]! - w[i]!;
    }
    const simd = base.slice();
    addMasks(simd, masks);
    const js = base.slice();
    addMasks(js, masks, { simd: false });
    expect(simd).toEqual(want);
    expect(js).toEqual(want);
    expect(() => addMasks(base.slice(), [{ seed: new Uint8Array(16), sign: 1 }])).toThrow(/32 bytes, got 16/);
  });
});

describe('Shamir shares', () => {
  it('refuses to rebuild from fewer than t shares instead of returning a wrong secret', async () => {
    const secret = new Uint8Array(32).fill(7);
    const shares = await splitSecret(secret, 5, 3);
    expect(Buffer.from(await combineShares(shares.slice(1, 4), 3, 'x')).equals(Buffer.from(secret))).toBe(true);
    await expect(combineShares(shares.slice(0, 2), 3, 'seed of A')).rejects.toThrow(
      /seed of A: 2 distinct shares, 3 needed/,
    );
    await expect(combineShares([shares[0]!, shares[0]!, shares[0]!], 3, 'x')).rejects.toThrow(/1 distinct shares/);
  });
});

describe('secure aggregation protocol', () => {
  const make = (sites: string[], len: number, seed: number) =>
    new Map(
      sites.map((s, k) => [
        s,
        quantize(
          Float32Array.from({ length: len }, (_, i) => Math.sin(i * (k + 1) + seed)),
          1,
          levelsFor(sites.length),
          rng(seed + k),
        ),
      ]),
    );

  for (const [name, degree] of [
    ['classic SecAgg', 'all'],
    ['SecAgg+ (4 neighbours)', 4],
  ] as const) {
    it(`${name}: exact sum despite a dropout after share-keys; masked inputs reveal nothing`, async () => {
      const sites = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      const inputs = make(sites, 5000, 1);
      const r = await runSecAgg(inputs, { degree, threshold: 0.6, graphSeed: 'g1' }, ['c']);
      const expected = plainSum(r.survivors.map((s) => inputs.get(s)!));
      expect(Buffer.from(r.sum.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      // Independent of the input, the correlation over n = 5000 values is about N(0, 1/n): 5 standard
      // deviations (0.071) is a bound a leak would exceed and chance would not (a fixed 0.05, 3.5 sigma,
      // failed once in CI with 0.052 over the 16 checks here).
      const bound = 5 / Math.sqrt(5000);
      for (const [s, y] of r.masked) {
        expect(Math.abs(correlation(y, inputs.get(s)!))).toBeLessThan(bound);
        for (const [, x] of inputs) expect(y.some((v, i) => v !== x[i])).toBe(true);
      }
    });
  }

  async function upToMasked(sites: string[], round = 1) {
    const clients = new Map(sites.map((s) => [s, new SecAggClient('exp', round, s)]));
    const peers = sites.map((s) => ({ site: s, ...clients.get(s)!.advertise() }));
    const sealed: SealedShare[] = [];
    for (const s of sites)
      sealed.push(
        ...(await clients.get(s)!.shareKeys(peers, { degree: 'all', threshold: 3, graphSeed: graphSeedOf(peers) })),
      );
    return { clients, peers, sealed, routed: routeShares(sealed, sites) };
  }

  it('a share that fails authentication, or is addressed to someone else, is refused', async () => {
    const { clients, routed } = await upToMasked(['a', 'b', 'c', 'd']);
    const forB = routed.get('b')!.map((s) => ({ ...s, sealed: Uint8Array.from(s.sealed) }));
    forB[0]!.sealed[20]! ^= 1;
    expect(() => clients.get('b')!.maskedInput(forB, ['a', 'b', 'c', 'd'], new Uint32Array(4))).toThrow(
      /failed authentication/,
    );
    const forC = routed.get('c')!;
    // A share for c handed to d, relabelled as d's: d cannot open it.
    const stolen = forC.filter((s) => s.from === 'a').map((s) => ({ ...s, to: 'd' }));
    const rest = routed.get('d')!.filter((s) => s.from !== 'a');
    expect(() => clients.get('d')!.maskedInput([...stolen, ...rest], ['a', 'b', 'c', 'd'], new Uint32Array(4))).toThrow(
      /failed authentication/,
    );
    expect(() => clients.get('a')!.maskedInput(routed.get('b')!, ['a', 'b', 'c', 'd'], new Uint32Array(4))).toThrow(
      /addressed to b/,
    );
  });

  it('a share replayed from an earlier round is refused', async () => {
    const r1 = await upToMasked(['a', 'b', 'c', 'd'], 1);
    const r2 = await upToMasked(['a', 'b', 'c', 'd'], 2);
    const replay = r2.routed.get('b')!.map((s) => r1.routed.get('b')!.find((o) => o.from === s.from)!);
    expect(() => r2.clients.get('b')!.maskedInput(replay, ['a', 'b', 'c', 'd'], new Uint32Array(4))).toThrow(
      /failed authentication/,
    );
  });

  /** Masks for `masking` and has each of `signers` sign `shown` (what the coordinator showed it). */
  function maskAndSign(c: Awaited<ReturnType<typeof upToMasked>>, all: string[], masking: string[], shown: string[]) {
    for (const s of masking) c.clients.get(s)!.maskedInput(c.routed.get(s)!, all, new Uint32Array(4));
    return shown.map((s) => ({ site: s, signature: c.clients.get(s)!.consistency(shown) }));
  }

  it('the graph seed is derived from every advertised key: a client refuses one the coordinator chose', async () => {
    const clients = ['a', 'b', 'c', 'd'].map((s) => new SecAggClient('exp', 1, s));
    const peers = clients.map((c) => ({ site: c.self, ...c.advertise() }));
    await expect(clients[0]!.shareKeys(peers, { degree: 'all', threshold: 3, graphSeed: 'chosen' })).rejects.toThrow(
      /the graph seed does not come from the advertised keys/,
    );
    // A threshold at half the neighbourhood is refused by the client itself, whatever it is told.
    await expect(
      clients[1]!.shareKeys(peers, { degree: 'all', threshold: 1, graphSeed: graphSeedOf(peers) }),
    ).rejects.toThrow(/not above half; refusing/);
  });

  it('a client refuses to reveal both shares of one peer', async () => {
    const all = ['a', 'b', 'c', 'd'];
    const c1 = await upToMasked(all);
    const sigs = maskAndSign(c1, all, ['a', 'c', 'd'], ['a', 'c', 'd']);
    expect(() => c1.clients.get('a')!.unmask(['b'], ['a', 'b', 'c', 'd'], sigs)).toThrow(
      /differs from the one I signed/,
    );
    expect(() => c1.clients.get('c')!.unmask(['c'], ['a', 'c', 'd'], sigs)).toThrow(
      /asked for both shares of c; refusing/,
    );
    // Across requests too: after revealing b's self-seed share, a request for b's key share is refused.
    const c2 = await upToMasked(all);
    const s2 = maskAndSign(c2, all, all, all);
    const first = c2.clients.get('a')!.unmask([], all, s2);
    expect(first.filter((s) => s.owner === 'b').map((s) => s.kind)).toEqual(['self-seed']);
    expect(() => c2.clients.get('a')!.unmask(['b'], ['a', 'c', 'd'], s2)).toThrow(
      /unmasking requested in stage unmasked/,
    );
  });

  it('consistency check: a coordinator that shows different survivor sets to different clients learns nothing', async () => {
    // Classic SecAgg, n = 10, t = 7 (t > (k + c) / 2 for k = 9 neighbours and c = 3 colluders). The
    // coordinator and the 3 colluders (x, y, z) want v's input: it tells group A that v dropped (to get
    // v's mask-key shares) and group B that v survived (to get v's self-seed shares).
    const all = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'v', 'x', 'y', 'z'];
    const clients = new Map(all.map((s) => [s, new SecAggClient('exp', 1, s)]));
    const peers = all.map((s) => ({ site: s, ...clients.get(s)!.advertise() }));
    const sealed: SealedShare[] = [];
    for (const s of all)
      sealed.push(
        ...(await clients.get(s)!.shareKeys(peers, { degree: 'all', threshold: 7, graphSeed: graphSeedOf(peers) })),
      );
    const routed = routeShares(sealed, all);
    for (const s of all) clients.get(s)!.maskedInput(routed.get(s)!, all, new Uint32Array(4));
    const groupA = ['a1', 'a2', 'a3'];
    const groupB = ['b1', 'b2', 'b3'];
    const colluders = ['x', 'y', 'z'];
    const withoutV = [...groupA, ...groupB, ...colluders];
    const withV = [...withoutV, 'v'];
    // Honest clients sign the one set each was shown; the colluders hand over their signing keys and sign both.
    const sign = (s: string, set: string[]) => ({ site: s, signature: clients.get(s)!.consistency(set) });
    const sigsA = groupA.map((s) => sign(s, withoutV));
    const sigsB = [...groupB, 'v'].map((s) => sign(s, withV));
    const colluderSigs = (set: string[]) =>
      colluders.map((s) => {
        const keys = Reflect.get(clients.get(s)!, 'g') as SigningKeys;
        return { site: s, signature: signSurvivors(keys, 'exp', 1, set) };
      });
    // Group A sees 3 + 3 = 6 signatures on its set, group B 4 + 3 = 7 on its own, but never both at t.
    for (const s of groupA)
      expect(() => clients.get(s)!.unmask(['v'], withoutV, [...sigsA, ...colluderSigs(withoutV)])).toThrow(
        /6 of its neighbours signed the survivor set it signed, 7 needed; revealing nothing/,
      );
    const revealedB = groupB.flatMap((s) => clients.get(s)!.unmask([], withV, [...sigsB, ...colluderSigs(withV)]));
    // B revealed v's self-seed shares, nobody revealed v's mask-key share: v's pairwise masks stay.
    expect(revealedB.filter((r) => r.owner === 'v').map((r) => r.kind)).toEqual([
      'self-seed',
      'self-seed',
      'self-seed',
    ]);
    // A signature over another set, or by another key, does not count.
    const forged = { site: 'b1', signature: signSurvivors(generateSigningKeys(), 'exp', 1, withoutV) };
    expect(() => clients.get('a1')!.unmask(['v'], withoutV, [...sigsA, forged])).toThrow(
      /unmasking requested in stage unmasked|revealing nothing/,
    );
  });

  it('a corrupted self-seed share is detected against the seed commitment, and recovered from with spare shares', async () => {
    const sites = ['a', 'b', 'c', 'd', 'e'];
    const graph0 = { degree: 'all' as const, threshold: 3 };
    const clients = new Map(sites.map((s) => [s, new SecAggClient('exp', 1, s)]));
    const peers = sites.map((s) => ({ site: s, ...clients.get(s)!.advertise() }));
    const graph = { ...graph0, graphSeed: graphSeedOf(peers) };
    const sealed: SealedShare[] = [];
    for (const s of sites) sealed.push(...(await clients.get(s)!.shareKeys(peers, graph)));
    const routed = routeShares(sealed, sites);
    const inputs = sites.map((_, i) => Uint32Array.from([i + 1, 10 * (i + 1)]));
    const sum = new Uint32Array(2);
    sites.forEach((s, i) => {
      addMasked(sum, clients.get(s)!.maskedInput(routed.get(s)!, sites, inputs[i]!));
    });
    const signatures = sites.map((s) => ({ site: s, signature: clients.get(s)!.consistency(sites) }));
    const revealed = sites.flatMap((s) => clients.get(s)!.unmask([], sites, signatures));
    const commitments = new Map(sites.map((s) => [s, clients.get(s)!.commitment()]));
    // One of the four shares of a's seed is corrupted by the site that revealed it.
    const bad = revealed.findIndex((r) => r.owner === 'a');
    const tampered = revealed.map((r, i) =>
      i === bad ? { ...r, share: Uint8Array.from(r.share, (v, j) => (j === 5 ? v ^ 1 : v)) } : r,
    );
    const args = { experiment: 'exp', round: 1, peers, graph, sharers: sites, survivors: sites, commitments };
    const out = await unmaskSum(Uint32Array.from(sum), { ...args, revealed: tampered });
    expect([...out]).toEqual([15, 150]); // 1+2+3+4+5, recovered by leaving the bad share out
    // With only t shares of a's seed there is nothing to fall back on: the round fails, naming a.
    const onlyT = tampered.filter(
      (r, i) => r.owner !== 'a' || i === bad || tampered.filter((x) => x.owner === 'a').indexOf(r) < 3,
    );
    await expect(unmaskSum(Uint32Array.from(sum), { ...args, revealed: onlyT })).rejects.toThrow(
      /self-mask seed rebuilt for a does not match its commitment/,
    );
  });

  it('fewer than t survivors: nothing is revealed and the sum cannot be unmasked', async () => {
    const sites = ['a', 'b', 'c', 'd', 'e'];
    const inputs = make(sites, 10, 3);
    await expect(runSecAgg(inputs, { degree: 'all', threshold: 4, graphSeed: 'g' }, ['b', 'c', 'd'])).rejects.toThrow(
      /fewer than 4 survivors|threshold is 4|2 of its neighbours signed the survivor set it signed, 4 needed/,
    );
  });
});
