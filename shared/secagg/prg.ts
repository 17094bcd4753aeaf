// Mask expansion: a 256-bit seed keys AES-256-CTR (zero IV), whose keystream is read as uint32 words.
// The whole seed is used (Flower's PRG seeds numpy with 32 bits: flwrlabs/flower#7522).
import crypto from 'node:crypto';

const IV = Buffer.alloc(16);
let zeros = Buffer.alloc(0);

export function expandMask(seed: Uint8Array, length: number): Uint32Array {
  if (seed.byteLength !== 32) throw new RangeError(`mask seeds are 32 bytes, got ${seed.byteLength}`);
  const bytes = length * 4;
  if (zeros.byteLength < bytes) zeros = Buffer.alloc(bytes);
  const cipher = crypto.createCipheriv('aes-256-ctr', seed, IV);
  const stream = cipher.update(zeros.subarray(0, bytes));
  // createCipheriv output is a fresh Buffer; its offset may not be 4-aligned.
  if (stream.byteOffset % 4 === 0) return new Uint32Array(stream.buffer, stream.byteOffset, length);
  const out = new Uint32Array(length);
  new Uint8Array(out.buffer).set(stream);
  return out;
}

/**
 * acc += sign * mask (mod 2^32), in place. Uint32Array stores wrap modulo 2^32 by themselves.
 * Unrolled by four: about a third faster in V8, and this loop runs (1 + k) times per client.
 */
export function addMask(acc: Uint32Array, mask: Uint32Array, sign: 1 | -1): void {
  const n = acc.length;
  let i = 0;
  if (sign === 1) {
    for (; i + 3 < n; i += 4) {
      acc[i] = acc[i]! + mask[i]!;
      acc[i + 1] = acc[i + 1]! + mask[i + 1]!;
      acc[i + 2] = acc[i + 2]! + mask[i + 2]!;
      acc[i + 3] = acc[i + 3]! + mask[i + 3]!;
    }
    for (; i < n; i++) acc[i] = acc[i]! + mask[i]!;
  } else {
    for (; i + 3 < n; i += 4) {
      acc[i] = acc[i]! - mask[i]!;
      acc[i + 1] = acc[i + 1]! - mask[i + 1]!;
      acc[i + 2] = acc[i + 2]! - mask[i + 2]!;
      acc[i + 3] = acc[i + 3]! - mask[i + 3]!;
    }
    for (; i < n; i++) acc[i] = acc[i]! - mask[i]!;
  }
}

/** acc += seed's mask, without keeping the mask (one pass). */
export function addExpanded(acc: Uint32Array, seed: Uint8Array, sign: 1 | -1): void {
  addMask(acc, expandMask(seed, acc.length), sign);
}
