// The pathological partition of the personalization benchmarks: N labels per client, dealt round
// robin, every row to exactly one client, the same for a seed.
import { describe, expect, it } from 'vitest';
import { pathologicalPartition } from '../../shared/data/partition.js';

describe('pathological partition (N labels per client)', () => {
  it('gives each client exactly its labels, and every row to one client', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => i % 10);
    const parts = pathologicalPartition(labels, 20, 2, 7);
    expect(parts).toHaveLength(20);
    parts.forEach((rows, c) => {
      expect(new Set(rows.map((i) => labels[i]))).toEqual(new Set([(2 * c) % 10, (2 * c + 1) % 10]));
    });
    const all = parts.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // 20 clients x 2 labels over 10 labels: each label is held by 4 clients, 25 rows each.
    expect(parts.map((p) => p.length)).toEqual(Array(20).fill(50));
    expect(pathologicalPartition(labels, 20, 2, 7)).toEqual(parts);
    expect(() => pathologicalPartition(labels, 20, 11, 7)).toThrow(/labels per client/);
  });
});
