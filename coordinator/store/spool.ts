// Spool of arriving updates: each upload streams to its own file chunk by chunk, so the coordinator's
// memory does not grow with the number of workers or the model size. A file is renamed into place
// only when the whole update arrived and validated, so a failed upload never reaches the sum.
import fs from 'node:fs';
import path from 'node:path';

export class SpoolWriter {
  private fd: number;
  private readonly partial: string;
  private closed = false;
  private pending = new Set<Promise<void>>();
  private failure: Error | undefined;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.partial = `${file}.part`;
    this.fd = fs.openSync(this.partial, 'w');
  }

  /**
   * Writes little-endian float32 bytes at a value offset. Positional and asynchronous, so disk writes
   * overlap with receiving the next chunk; the bytes stay referenced until written.
   */
  write(bytes: Uint8Array, offset: number): void {
    const p = new Promise<void>((resolve) => {
      fs.write(this.fd, bytes, 0, bytes.byteLength, offset * 4, (err) => {
        if (err) this.failure ??= err;
        this.pending.delete(p);
        resolve();
      });
    });
    this.pending.add(p);
  }

  /** Waits for every write, then renames the file into place. */
  async commit(): Promise<string> {
    while (this.pending.size) await Promise.all([...this.pending]);
    if (this.failure) {
      this.abortNow();
      throw this.failure;
    }
    this.close();
    fs.renameSync(this.partial, this.file);
    return this.file;
  }

  abort(): void {
    if (this.pending.size) void Promise.all([...this.pending]).then(() => this.abortNow());
    else this.abortNow();
  }

  private abortNow(): void {
    this.close();
    fs.rmSync(this.partial, { force: true });
  }

  private close(): void {
    if (!this.closed) {
      fs.closeSync(this.fd);
      this.closed = true;
    }
  }
}

/** Reads a spooled float32 file in slices of at most `sliceValues` values. */
export function* readSpool(file: string, sliceValues = 256 * 1024): Generator<{ slice: Float32Array; offset: number }> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(sliceValues * 4);
    let offset = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, offset * 4);
      if (n <= 0) break;
      const slice = new Float32Array(n / 4);
      new Uint8Array(slice.buffer).set(buf.subarray(0, n));
      yield { slice, offset };
      offset += n / 4;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a spooled uint32 file (a masked vector) in slices. */
export function* readSpoolU32(
  file: string,
  sliceValues = 256 * 1024,
): Generator<{ slice: Uint32Array; offset: number }> {
  for (const { slice, offset } of readSpool(file, sliceValues))
    yield { slice: new Uint32Array(slice.buffer, slice.byteOffset, slice.length), offset };
}
