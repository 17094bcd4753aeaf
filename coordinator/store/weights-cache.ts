// Shares one copy of a round's global weights between all tasks sending it, so memory does not grow
// with the number of workers.
import fs from 'node:fs';
import { bytesToF32 } from '../../shared/tensors/bytes.js';
import type { FlatWeights, TensorShape } from '../../shared/tensors/weights.js';

export class WeightsCache {
  private readonly entries = new Map<string, { weights: FlatWeights; mtime: number }>();
  constructor(private readonly capacity = 2) {}

  load(file: string, specs: TensorShape[]): FlatWeights {
    const mtime = fs.statSync(file).mtimeMs;
    const hit = this.entries.get(file);
    if (hit && hit.mtime === mtime) return hit.weights;
    const weights = { specs, values: bytesToF32(fs.readFileSync(file)) };
    this.entries.set(file, { weights, mtime });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return weights;
  }
}
