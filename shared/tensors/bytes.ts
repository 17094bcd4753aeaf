// float32 <-> little-endian bytes. The wire format is little-endian regardless of the host.

import os from 'node:os';
import { firstNonFiniteSimd } from '../wasm/finite.js';

const LITTLE = os.endianness() === 'LE';

/** Bytes of a float32 array as little-endian; a view without copying on little-endian hosts. */
export function f32ToBytes(values: Float32Array): Buffer {
  if (LITTLE) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const b = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i]!, i * 4);
  return b;
}

/**
 * A float32 view of little-endian bytes without copying when the host is little-endian and the bytes
 * are 4-byte aligned; otherwise a copy. The view shares memory with `bytes`.
 */
export function viewF32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new RangeError(`float32 payload of ${bytes.byteLength} bytes is not a multiple of 4`);
  if (LITTLE && bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return bytesToF32(bytes);
}

/** Reads little-endian float32 bytes; copies so the result is aligned and owns its memory. */
export function bytesToF32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new RangeError(`float32 payload of ${bytes.byteLength} bytes is not a multiple of 4`);
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  return out;
}

/**
 * Index of the first NaN or infinite value in little-endian float32 bytes, or -1. Works on any
 * alignment without copying: the exponent is all ones when bits 23-30 are set, i.e. the low 7 bits of
 * the 4th byte and the top bit of the 3rd.
 */
export function firstNonFiniteBytes(bytes: Uint8Array): number {
  // Every uploaded byte passes here: WebAssembly SIMD where available, about 3x the loop below.
  const fast = firstNonFiniteSimd(bytes);
  if (fast !== undefined) return fast;
  const n = bytes.byteLength >> 2;
  for (let i = 0, b = 0; i < n; i++, b += 4)
    if ((bytes[b + 3]! & 0x7f) === 0x7f && (bytes[b + 2]! & 0x80) === 0x80) return i;
  return -1;
}

/** Copies little-endian float32 bytes into `dst` starting at value `offset`. */
export function copyF32Bytes(dst: Float32Array, bytes: Uint8Array, offset: number): void {
  if (LITTLE) new Uint8Array(dst.buffer, dst.byteOffset + offset * 4, bytes.byteLength).set(bytes);
  else dst.set(bytesToF32(bytes), offset);
}

/** Index of the first NaN or infinite value, or -1. Tests the exponent bits: all ones means NaN or Inf. */
export function firstNonFinite(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const n = bits.length;
  for (let i = 0; i < n; i++) if ((bits[i]! & 0x7f800000) === 0x7f800000) return i;
  return -1;
}
