// The site's apps, cached by digest: an app a task needs is asked of the coordinator once (AppRequest),
// arrives in chunks (AppChunk), is checked against the digest the site approved before anything of it
// is written, and is kept in a folder named by that digest for every later task and experiment.
import fs from 'node:fs';
import path from 'node:path';
import { APP_ENTRY, APP_LIMITS, decodeApp, writeAppFolder } from '../../shared/apps/bundle.js';
import { ProtocolError } from '../../shared/errors/index.js';
import type { AppChunk__Output, WorkerMessage } from '../../shared/protocol/load.js';

interface Pending {
  chunks: Buffer[];
  bytes: number;
  resolve: (dir: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class AppCache {
  private readonly pending = new Map<string, Pending>();
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    /** The cache folder (created when needed): one sub-folder per digest. */
    private readonly dir: string,
    private readonly send: (msg: WorkerMessage) => Promise<void>,
    /** How long a fetch may take before the task fails (the round retries it). */
    private readonly timeoutMs = 120_000,
  ) {}

  /** The folder holding app `sha256` of `experimentId`: cached, or fetched from the coordinator. */
  folder(experimentId: string, sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return Promise.reject(new ProtocolError('bad app digest', 'BAD_APP'));
    const dir = path.join(this.dir, sha256);
    if (fs.existsSync(path.join(dir, APP_ENTRY))) return Promise.resolve(dir);
    let p = this.fetching.get(sha256);
    if (!p) {
      p = this.fetch(experimentId, sha256, dir).finally(() => this.fetching.delete(sha256));
      this.fetching.set(sha256, p);
    }
    return p;
  }

  private fetch(experimentId: string, sha256: string, dir: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(sha256);
        reject(
          new ProtocolError(`app ${sha256.slice(0, 12)} did not arrive within ${this.timeoutMs} ms`, 'UNKNOWN_APP'),
        );
      }, this.timeoutMs);
      this.pending.set(sha256, {
        chunks: [],
        bytes: 0,
        timer,
        reject,
        resolve: (bundleDir) => resolve(bundleDir),
      });
      this.send({ appRequest: { experimentId, sha256 } }).catch((e: unknown) => this.fail(sha256, e as Error));
    }).then(() => dir);
  }

  private fail(sha256: string, e: Error): void {
    const p = this.pending.get(sha256);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(sha256);
    p.reject(e);
  }

  /** One chunk from the coordinator; chunks of apps nobody asked for are dropped. */
  accept(chunk: AppChunk__Output): void {
    const p = this.pending.get(chunk.sha256);
    if (!p) return;
    if (chunk.error) {
      this.fail(
        chunk.sha256,
        new ProtocolError(
          `the coordinator cannot serve app ${chunk.sha256.slice(0, 12)}: ${chunk.error.slice(0, 300)}`,
          'UNKNOWN_APP',
        ),
      );
      return;
    }
    if (chunk.seq !== p.chunks.length) {
      this.fail(chunk.sha256, new ProtocolError(`app chunk ${chunk.seq} out of sequence`, 'CHUNK_OUT_OF_SEQUENCE'));
      return;
    }
    const data = Buffer.from(chunk.data);
    p.bytes += data.byteLength;
    if (p.bytes > 2 * APP_LIMITS.maxBytes) {
      this.fail(chunk.sha256, new ProtocolError(`app ${chunk.sha256.slice(0, 12)} is too large`, 'BAD_APP'));
      return;
    }
    p.chunks.push(data);
    if (!chunk.last) return;
    clearTimeout(p.timer);
    this.pending.delete(chunk.sha256);
    try {
      // Checked against the approved digest before one byte is written.
      const files = decodeApp(Buffer.concat(p.chunks), chunk.sha256);
      fs.mkdirSync(this.dir, { recursive: true });
      writeAppFolder(path.join(this.dir, chunk.sha256), files);
      p.resolve(path.join(this.dir, chunk.sha256));
    } catch (e) {
      p.reject(e as Error);
    }
  }

  /** The connection dropped: fetches in flight fail (their tasks are retried and fetch again). */
  clear(): void {
    for (const sha of [...this.pending.keys()])
      this.fail(sha, new ProtocolError('the connection dropped while an app arrived', 'UNKNOWN_APP'));
  }
}
