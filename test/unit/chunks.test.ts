import { describe, expect, it } from 'vitest';
import { ChunkReceiver, chunkF32, MAX_CHUNK_BYTES } from '../../shared/protocol/chunks.js';
import { bytesToF32, copyF32Bytes, f32ToBytes, firstNonFiniteBytes } from '../../shared/tensors/bytes.js';
import { flatten, unflatten } from '../../shared/tensors/weights.js';

describe('tensor chunking', () => {
  it('splits into chunks of at most 1 MiB and reassembles exactly', () => {
    const v = Float32Array.from({ length: 700_000 }, (_, i) => Math.sin(i));
    const chunks = [...chunkF32(v)];
    expect(chunks.length).toBe(3);
    expect(chunks.every((c) => c.data.byteLength <= MAX_CHUNK_BYTES)).toBe(true);
    expect(chunks.map((c) => c.last)).toEqual([false, false, true]);
    const out = new Float32Array(v.length);
    const r = new ChunkReceiver(v.length, (b, off) => copyF32Bytes(out, b, off));
    for (const c of chunks) r.accept(c);
    expect(r.complete).toBe(true);
    expect(Buffer.from(out.buffer).equals(Buffer.from(v.buffer))).toBe(true);
  });

  it('round-trips float32 through little-endian bytes', () => {
    const v = new Float32Array([1.5, -2.25, 3e-8]);
    const b = f32ToBytes(v);
    expect(b.readFloatLE(4)).toBe(-2.25);
    expect(bytesToF32(b)).toEqual(v);
  });

  it('finds NaN and Inf in bytes at any alignment', () => {
    const v = new Float32Array([1, -0, 3.4e38, -Infinity, NaN, 2]);
    const b = Buffer.alloc(25);
    f32ToBytes(v).copy(b, 1);
    expect(firstNonFiniteBytes(b.subarray(1))).toBe(3);
    expect(firstNonFiniteBytes(f32ToBytes(new Float32Array([1, 2, -3.4e38])))).toBe(-1);
  });

  it('flattens and unflattens weights', () => {
    const specs = [
      { name: 'w0', shape: [2, 2] },
      { name: 'w1', shape: [2] },
    ];
    const flat = flatten(specs, [new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6])]);
    expect([...flat.values]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(unflatten(flat).map((p) => [...p])).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(() => flatten(specs, [new Float32Array(3), new Float32Array(2)])).toThrow(/shape says 4/);
  });

  const chunk = (seq: number, values: number[], last = false) => ({
    seq,
    last,
    data: f32ToBytes(new Float32Array(values)),
  });

  it('rejects chunks out of sequence', () => {
    const r = new ChunkReceiver(4, () => undefined);
    r.accept(chunk(0, [1, 2]));
    expect(() => r.accept(chunk(2, [3, 4], true))).toThrow(/out of sequence \(got 2, expected 1\)/);
  });

  it('rejects a chunk over 1 MiB', () => {
    const r = new ChunkReceiver(400_000, () => undefined);
    const big = { seq: 0, last: true, data: Buffer.alloc(MAX_CHUNK_BYTES + 4) };
    expect(() => r.accept(big)).toThrow(/exceeds the 1 MiB limit/);
  });

  it('rejects NaN and Inf, naming the index', () => {
    const r = new ChunkReceiver(4, () => undefined);
    expect(() => r.accept(chunk(0, [0, 1, NaN, 2], true))).toThrow(/value 2 is NaN/);
    const r2 = new ChunkReceiver(2, () => undefined);
    expect(() => r2.accept(chunk(0, [Infinity, 0], true))).toThrow(/NaN or Inf/);
  });

  it('rejects updates of the wrong length, too long or too short', () => {
    const r = new ChunkReceiver(3, () => undefined);
    expect(() => r.accept(chunk(0, [1, 2, 3, 4], true))).toThrow(/more than the model's 3 values/);
    const r2 = new ChunkReceiver(3, () => undefined);
    expect(() => r2.accept(chunk(0, [1, 2], true))).toThrow(/2 values, the model has 3/);
    const r3 = new ChunkReceiver(3, () => undefined);
    expect(() => r3.accept({ seq: 0, last: true, data: Buffer.alloc(5) })).toThrow(
      /not whole 32-bit values|not whole float32/,
    );
  });

  it('nothing reaches the sink from a rejected chunk', () => {
    const seen: number[] = [];
    const r = new ChunkReceiver(4, (b) => seen.push(...bytesToF32(b)));
    expect(() => r.accept(chunk(0, [1, NaN, 3, 4], true))).toThrow();
    expect(seen).toEqual([]);
  });
});
