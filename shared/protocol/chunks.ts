// Chunking of tensors for the wire: at most MAX_CHUNK_BYTES per message, numbered, last flagged.

import os from 'node:os';
import { ProtocolError } from '../errors/index.js';
import { bytesToF32, f32ToBytes, firstNonFinite, firstNonFiniteBytes } from '../tensors/bytes.js';

const LITTLE = os.endianness() === 'LE';

/** 1 MiB: the largest tensor payload one message may carry. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

export interface Chunk {
  seq: number;
  last: boolean;
  data: Buffer;
}

/** Splits a float32 vector into wire chunks (views, no copy). An empty vector yields one empty last chunk. */
export function* chunkF32(values: Float32Array, maxBytes = MAX_CHUNK_BYTES): Generator<Chunk> {
  const bytes = f32ToBytes(values);
  const step = Math.max(4, Math.floor(maxBytes / 4) * 4);
  let seq = 0;
  for (let off = 0; off < bytes.length || seq === 0; off += step) {
    const end = Math.min(bytes.length, off + step);
    yield { seq, last: end >= bytes.length, data: bytes.subarray(off, end) };
    seq++;
    if (end >= bytes.length) break;
  }
}

/**
 * Validates an incoming stream of chunks of a float32 vector of known length, handing each
 * decoded slice to `sink` as it arrives so nothing larger than one chunk is held here.
 */
export class ChunkReceiver {
  private nextSeq = 0;
  private received = 0;
  private done = false;

  constructor(
    private readonly expectedValues: number,
    /** Receives each validated chunk as little-endian float32 bytes and its offset in values. */
    private readonly sink: (bytes: Uint8Array, offset: number) => void,
    private readonly what = 'update',
    /** f32 values are checked for NaN/Inf; u32 (masked vectors) can hold any bit pattern. */
    private readonly kind: 'f32' | 'u32' = 'f32',
  ) {}

  get complete(): boolean {
    return this.done;
  }

  get bytesReceived(): number {
    return this.received * 4;
  }

  accept(chunk: { seq: number; last: boolean; data: Uint8Array }): void {
    if (this.done) throw new ProtocolError(`${this.what}: chunk ${chunk.seq} after the last chunk`, 'CHUNK_AFTER_LAST');
    if (chunk.seq !== this.nextSeq)
      throw new ProtocolError(
        `${this.what}: chunk out of sequence (got ${chunk.seq}, expected ${this.nextSeq})`,
        'CHUNK_OUT_OF_SEQUENCE',
      );
    if (chunk.data.byteLength > MAX_CHUNK_BYTES)
      throw new ProtocolError(
        `${this.what}: chunk of ${chunk.data.byteLength} bytes exceeds the 1 MiB limit`,
        'CHUNK_TOO_LARGE',
      );
    if (chunk.data.byteLength % 4 !== 0)
      throw new ProtocolError(
        `${this.what}: chunk of ${chunk.data.byteLength} bytes is not whole 32-bit values`,
        'WRONG_LENGTH',
      );
    const count = chunk.data.byteLength / 4;
    if (this.received + count > this.expectedValues)
      throw new ProtocolError(
        `${this.what}: more than the model's ${this.expectedValues} values (wrong shape)`,
        'WRONG_LENGTH',
      );
    // Checked on the bytes, without decoding or copying (the hot path of every upload).
    const bad =
      this.kind === 'u32' ? -1 : LITTLE ? firstNonFiniteBytes(chunk.data) : firstNonFinite(bytesToF32(chunk.data));
    if (bad >= 0) {
      const v = bytesToF32(chunk.data.subarray(bad * 4, bad * 4 + 4))[0];
      throw new ProtocolError(
        `${this.what}: value ${this.received + bad} is ${v} (NaN or Inf not allowed)`,
        'NON_FINITE',
      );
    }
    this.sink(chunk.data, this.received);
    this.received += count;
    this.nextSeq++;
    if (chunk.last) {
      if (this.received !== this.expectedValues)
        throw new ProtocolError(
          `${this.what}: ${this.received} values, the model has ${this.expectedValues} (wrong shape)`,
          'WRONG_LENGTH',
        );
      this.done = true;
    }
  }
}
