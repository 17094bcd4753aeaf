// foldRatio: FedAvg's fold (the strategy accumulator, fed 1 MiB slices as chunks arrive) against a plain
// float32 loop `acc[i] += w * x[i]` over the same values, measured in the same run.
import { FedAvg } from '../coordinator/strategies/fedavg.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function benchFold(
  params = 10_000_000,
  reps = 7,
): { foldRatio: number; foldMs: number; plainMs: number; params: number } {
  const x = Float32Array.from({ length: params }, (_, i) => Math.sin(i));
  const w = 0.37;
  const slice = 256 * 1024; // values per 1 MiB chunk
  const plain: number[] = [];
  const fold: number[] = [];
  for (let r = 0; r < reps; r++) {
    const acc = new Float32Array(params);
    let t = process.hrtime.bigint();
    for (let i = 0; i < params; i++) acc[i]! += w * x[i]!;
    plain.push(Number(process.hrtime.bigint() - t) / 1e6);

    const a = new FedAvg().createAccumulator(params);
    t = process.hrtime.bigint();
    for (let off = 0; off < params; off += slice) a.fold(x.subarray(off, Math.min(params, off + slice)), off, w);
    a.addWeight(w);
    fold.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (a.sum[params - 1] !== acc[params - 1]) throw new Error('fold and plain loop disagree');
  }
  const plainMs = median(plain);
  const foldMs = median(fold);
  return { foldRatio: plainMs / foldMs, foldMs, plainMs, params };
}
