// Secure aggregation through the real coordinator, gRPC and TF.js workers (in this process, so the
// test can watch both sides): the coordinator only ever receives masked vectors, and the unmasked sum
// is exactly the sum of the surviving sites' quantised updates.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SpoolWriter } from '../../coordinator/store/spool';
import { createLogger } from '../../shared/log/logger';
import { SecAggClient } from '../../shared/secagg/client';
import { HEART_DISEASE } from '../../simulation/datasets';
import { AccordWorker } from '../../worker/client';
import { startFederation, type TestFederation } from '../helpers/federation';

const unmasked: Uint32Array[] = [];
vi.mock('../../shared/secagg/server', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../shared/secagg/server')>();
  return {
    ...real,
    unmaskSum: async (...args: Parameters<typeof real.unmaskSum>) => {
      const out = await real.unmaskSum(...args);
      unmasked.push(Uint32Array.from(out));
      return out;
    },
  };
});

const TOKENS = { cleveland: 'token-cleveland-123', hungary: 'token-hungary-456', switzerland: 'token-switzerland-7', va: 'token-va-000000' };

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const x = a[i]! - ma, y = b[i]! - mb; sab += x * y; saa += x * x; sbb += y * y; }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : 0;
}

describe('secure aggregation over the wire', () => {
  let fed: TestFederation;
  const workers: AccordWorker[] = [];

  beforeAll(async () => {
    fed = await startFederation(TOKENS);
    for (const site of Object.keys(TOKENS) as (keyof typeof TOKENS)[]) {
      const w = new AccordWorker({ coordinator: fed.address, site, token: TOKENS[site], dataFile: HEART_DISEASE.sites[site], log: createLogger(site, 'silent') });
      void w.run();
      await w.ready;
      workers.push(w);
    }
  });
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
    vi.restoreAllMocks();
  });

  it('the coordinator sees only masked vectors; the unmasked sum is the exact sum of quantised updates', async () => {
    // Everything the coordinator writes from the wire (updates and masked inputs) goes through the spool.
    const received = new Map<string, Buffer[]>();
    const realWrite = SpoolWriter.prototype.write;
    vi.spyOn(SpoolWriter.prototype, 'write').mockImplementation(function (this: SpoolWriter, bytes: Uint8Array, offset: number) {
      const list = received.get(this.file) ?? [];
      list[offset] = Buffer.from(bytes);
      received.set(this.file, list);
      return realWrite.call(this, bytes, offset);
    });
    // What each site masked (its quantised update), seen at the site.
    const quantised: { site: string; round: number; input: Uint32Array }[] = [];
    const realMasked = SecAggClient.prototype.maskedInput;
    vi.spyOn(SecAggClient.prototype, 'maskedInput').mockImplementation(function (this: SecAggClient, ...args: Parameters<typeof realMasked>) {
      quantised.push({ site: this.self, round: this.round, input: Uint32Array.from(args[2]) });
      return realMasked.apply(this, args);
    });

    // An MLP (961 parameters) so that correlations are measured over enough values to mean something.
    const id = await fed.submit({ rounds: 2, model: { zoo: 'mlp', hidden: [64] }, clients: { min: 4, fraction: 1 }, secagg: { mode: 'secaggplus', dropout: { after: 'share-keys', count: 1 } } });
    const rec = await fed.waitFor(id);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const rounds = await fed.records.rounds(id);
    expect(rounds).toHaveLength(2);

    // Nothing but masked inputs arrived: no plain float32 update file was spooled.
    const files = [...received.keys()];
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => /masked-[a-z]+\.u32$/.test(f))).toBe(true);

    for (const r of rounds) {
      expect(r.secure!.survivors).toBe(3);
      expect(r.secure!.dropped).toHaveLength(1);
      expect(r.participants).toHaveLength(3);
      const dropped = r.secure!.dropped[0]!;
      expect(r.failures[dropped]).toMatch(/simulated dropout/);
      const mine = quantised.filter((q) => q.round === r.round);
      expect(mine.map((q) => q.site).sort()).toEqual(Object.keys(TOKENS).filter((s) => s !== dropped).sort());
      const recvd = files
        .filter((f) => f.includes(`/r${r.round}-`))
        .map((f) => {
          const parts = received.get(f)!;
          return new Uint32Array(new Uint8Array(Buffer.concat(parts.filter(Boolean))).buffer);
        });
      expect(recvd).toHaveLength(3);
      for (const y of recvd) {
        for (const q of mine) {
          expect(y.length).toBe(q.input.length);
          expect(y.some((v, i) => v !== q.input[i])).toBe(true); // never an update itself
          expect(Math.abs(correlation(y, q.input))).toBeLessThan(0.2); // nor anything like one (|r| of random pairs here is ~0.03)
        }
      }
      // The unmasked sum equals the plain sum (mod 2^32) of the survivors' quantised updates, exactly.
      const expected = new Uint32Array(mine[0]!.input.length);
      for (const q of mine) for (let i = 0; i < expected.length; i++) expected[i] = expected[i]! + q.input[i]!;
      const got = unmasked[r.round - 1]!;
      expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    }
    // The model improved under secure aggregation.
    expect(rounds[1]!.meanSiteAccuracy).toBeGreaterThan(0.6);
  });
});
