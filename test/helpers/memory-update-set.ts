// An in-memory UpdateSet for strategy tests (the coordinator reads spooled files instead).
import type { UpdateSet } from '../../coordinator/strategies/strategy.js';

/** An in-memory UpdateSet (tests, benchmarks). */
export class MemoryUpdateSet implements UpdateSet {
  constructor(readonly updates: Float32Array[]) {}
  get count(): number {
    return this.updates.length;
  }
  get length(): number {
    return this.updates[0]?.length ?? 0;
  }
  *blocks(size = 64 * 1024): Iterable<{ offset: number; rows: Float32Array[] }> {
    for (let offset = 0; offset < this.length; offset += size)
      yield { offset, rows: this.updates.map((u) => u.subarray(offset, Math.min(this.length, offset + size))) };
  }
}
