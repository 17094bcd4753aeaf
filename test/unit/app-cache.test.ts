// The site's app cache (worker/apps/app-cache.ts): one AppRequest per digest, chunks checked in order,
// the bundle checked against the approved digest before anything is written, and a folder per digest
// that later tasks find without asking again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ENTRY, appDigest, encodeApp } from '../../shared/apps/bundle.js';
import { ProtocolError } from '../../shared/errors/index.js';
import type { AppChunk__Output, WorkerMessage } from '../../shared/protocol/load.js';
import { AppCache } from '../../worker/apps/app-cache.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-app-cache-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let cacheCount = 0;
/** A fresh, not yet existing cache folder. */
const freshDir = () => path.join(root, `cache-${cacheCount++}`);

const text = (s: string) => new Uint8Array(Buffer.from(s));

const APP = new Map<string, Uint8Array>([
  [APP_ENTRY, text('export function evaluate() { return { ok: 1 }; }\n')],
  ['lib/vocab.json', text(JSON.stringify(Array.from({ length: 200 }, (_, i) => `word${i}`)))],
]);
const DIGEST = appDigest(APP);
const BUNDLE = encodeApp(APP);

/** `bytes` in chunks of `size` bytes, as the coordinator sends them. */
function chunksOf(sha256: string, bytes: Buffer, size = 256): AppChunk__Output[] {
  const out: AppChunk__Output[] = [];
  for (let seq = 0, at = 0; at < bytes.length || seq === 0; seq++, at += size) {
    const data = bytes.subarray(at, at + size);
    out.push({ sha256, seq, last: at + size >= bytes.length, data: Buffer.from(data), error: '' });
  }
  return out;
}

/**
 * A cache whose `send` records each message and, one macrotask later, answers an AppRequest with the
 * chunks `answer` returns (all of BUNDLE by default).
 */
function fakeCache(
  answer: (sha256: string) => AppChunk__Output[] = (sha) => chunksOf(sha, BUNDLE),
  timeoutMs?: number,
) {
  const sent: WorkerMessage[] = [];
  const dir = freshDir();
  const cache: AppCache = new AppCache(
    dir,
    async (msg) => {
      sent.push(msg);
      const req = msg.appRequest;
      const sha256 = req?.sha256;
      if (sha256)
        setTimeout(() => {
          for (const c of answer(sha256)) cache.accept(c);
        }, 0);
    },
    timeoutMs,
  );
  return { cache, sent, dir };
}

/** The rejection of `p` (fails the test when `p` resolves). */
async function rejection(p: Promise<unknown>): Promise<ProtocolError> {
  try {
    await p;
  } catch (e) {
    return e as ProtocolError;
  }
  throw new Error('expected a rejection');
}

describe('AppCache', () => {
  it('asks once for an app two tasks need at the same time, then writes its folder', async () => {
    const { cache, sent, dir } = fakeCache();
    expect(chunksOf(DIGEST, BUNDLE).length).toBeGreaterThan(2);
    const [a, b] = await Promise.all([cache.folder('exp-1', DIGEST), cache.folder('exp-1', DIGEST)]);
    expect(sent).toEqual([{ appRequest: { experimentId: 'exp-1', sha256: DIGEST } }]);
    expect(a).toBe(path.join(dir, DIGEST));
    expect(b).toBe(a);
    expect(fs.readFileSync(path.join(a, APP_ENTRY), 'utf8')).toBe(Buffer.from(APP.get(APP_ENTRY)!).toString());
    expect(fs.readFileSync(path.join(a, 'lib', 'vocab.json'), 'utf8')).toBe(
      Buffer.from(APP.get('lib/vocab.json')!).toString(),
    );
  });

  it('serves a cached app without asking again', async () => {
    const { cache, sent } = fakeCache();
    const first = await cache.folder('exp-1', DIGEST);
    expect(sent).toHaveLength(1);
    expect(await cache.folder('exp-2', DIGEST)).toBe(first);
    expect(sent).toHaveLength(1);
    // A new cache over the same folder (a restarted worker) finds it on disk too.
    const sentAgain: WorkerMessage[] = [];
    const again = new AppCache(path.dirname(first), async (m) => {
      sentAgain.push(m);
    });
    expect(await again.folder('exp-3', DIGEST)).toBe(first);
    expect(sentAgain).toEqual([]);
  });

  it('refuses a bundle whose content does not match the digest, writing nothing', async () => {
    const other = new Map(APP);
    other.set(APP_ENTRY, text('export function evaluate() { return { evil: 1 }; }\n'));
    const { cache, sent, dir } = fakeCache((sha) => chunksOf(sha, encodeApp(other)));
    const e = await rejection(cache.folder('exp-1', DIGEST));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('BAD_APP');
    expect(e.message).toMatch(/not the approved/);
    expect(sent).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, DIGEST))).toBe(false);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it('asks again after a failed fetch', async () => {
    let tries = 0;
    const { cache, sent, dir } = fakeCache((sha) =>
      tries++ === 0 ? chunksOf(sha, Buffer.from('not json')) : chunksOf(sha, BUNDLE),
    );
    expect((await rejection(cache.folder('exp-1', DIGEST))).code).toBe('BAD_APP');
    expect(await cache.folder('exp-1', DIGEST)).toBe(path.join(dir, DIGEST));
    expect(sent).toHaveLength(2);
  });

  it('refuses a chunk out of sequence', async () => {
    const { cache, dir } = fakeCache((sha) => {
      const chunks = chunksOf(sha, BUNDLE);
      return [chunks[0]!, chunks[2]!, chunks[1]!, ...chunks.slice(3)];
    });
    const e = await rejection(cache.folder('exp-1', DIGEST));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('CHUNK_OUT_OF_SEQUENCE');
    expect(e.message).toMatch(/chunk 2 out of sequence/);
    expect(fs.existsSync(path.join(dir, DIGEST))).toBe(false);
  });

  it('refuses a repeated first chunk', async () => {
    const { cache } = fakeCache((sha) => {
      const chunks = chunksOf(sha, BUNDLE);
      return [chunks[0]!, chunks[0]!, ...chunks.slice(1)];
    });
    expect((await rejection(cache.folder('exp-1', DIGEST))).code).toBe('CHUNK_OUT_OF_SEQUENCE');
  });

  it("fails with UNKNOWN_APP and the coordinator's reason on an error chunk", async () => {
    const { cache, dir } = fakeCache((sha) => [
      { sha256: sha, seq: 0, last: true, data: Buffer.alloc(0), error: 'experiment exp-1 has no such app' },
    ]);
    const e = await rejection(cache.folder('exp-1', DIGEST));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('UNKNOWN_APP');
    expect(e.message).toContain('experiment exp-1 has no such app');
    expect(e.message).toContain(DIGEST.slice(0, 12));
    expect(fs.existsSync(path.join(dir, DIGEST))).toBe(false);
  });

  it('drops chunks of apps nobody asked for', async () => {
    const { cache, dir } = fakeCache();
    for (const c of chunksOf(DIGEST, BUNDLE)) cache.accept(c);
    expect(fs.existsSync(path.join(dir, DIGEST))).toBe(false);
  });

  it('clear() rejects the fetches in flight', async () => {
    const sent: WorkerMessage[] = [];
    const cache = new AppCache(freshDir(), async (m) => {
      sent.push(m);
    });
    const other = appDigest(new Map([[APP_ENTRY, text('export {}')]]));
    const pending = [cache.folder('exp-1', DIGEST), cache.folder('exp-1', other)];
    const results = Promise.allSettled(pending);
    // Half an app arrives, then the connection drops.
    cache.accept(chunksOf(DIGEST, BUNDLE)[0]!);
    cache.clear();
    const settled = await results;
    expect(sent).toHaveLength(2);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      const e = (s as PromiseRejectedResult).reason as ProtocolError;
      expect(e).toBeInstanceOf(ProtocolError);
      expect(e.code).toBe('UNKNOWN_APP');
      expect(e.message).toMatch(/connection dropped/);
    }
  });

  it('fails when the request cannot be sent, and on a malformed digest', async () => {
    const cache = new AppCache(freshDir(), async () => {
      throw new Error('stream closed');
    });
    expect((await rejection(cache.folder('exp-1', DIGEST))).message).toBe('stream closed');
    const e = await rejection(cache.folder('exp-1', '../etc'));
    expect(e.code).toBe('BAD_APP');
  });

  it('times out when the app does not arrive', async () => {
    const { cache } = fakeCache(() => [], 20);
    const e = await rejection(cache.folder('exp-1', DIGEST));
    expect(e.code).toBe('UNKNOWN_APP');
    expect(e.message).toMatch(/did not arrive within 20 ms/);
  });
});
