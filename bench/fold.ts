// foldRatio: FedAvg's fold (the strategy accumulator, fed 1 MiB slices as chunks arrive) against a plain
// float32 loop `acc[i] += w * x[i]` over the same values, measured in the same run.
import { FedAvg } from '../coordinator/strategies/fedavg.js';
import { median } from './median.js';

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
    // The SIMD fold rounds w * x to float32 before adding; the plain loop adds in double precision.
    if (Math.abs(a.sum[params - 1]! - acc[params - 1]!) > 1e-6) throw new Error('fold and plain loop disagree');
  }
  const plainMs = median(plain);
  const foldMs = median(fold);
  return { foldRatio: plainMs / foldMs, foldMs, plainMs, params };
}

/**
 * foldGBps and copyGBps: steady-state throughput in GB/s of update data. `updates` updates of
 * `params` values each are folded into one warm accumulator (FedAvg's accumulator, fed 1 MiB slices
 * as chunks arrive), beside Buffer.copy of the same updates into one warm destination. A fold reads
 * the update and reads and writes the accumulator (three streams), a copy reads and writes (two): the
 * memory-bound limit of the fold is 2/3 of the copy's bandwidth.
 */
export function benchFoldBandwidth(params = 4 * 1024 * 1024, updates = 20, reps = 5) {
  const ups = Array.from({ length: updates }, (_, k) =>
    Float32Array.from({ length: params }, (_, i) => Math.sin(i + k)),
  );
  const slice = 256 * 1024;
  const acc = new FedAvg().createAccumulator(params);
  const dst = Buffer.alloc(params * 4, 1);
  const bytes = updates * params * 4;
  const foldS: number[] = [];
  const copyS: number[] = [];
  // One warm-up pass of each, then the timed repetitions.
  for (let r = 0; r <= reps; r++) {
    let t = process.hrtime.bigint();
    for (const u of ups) Buffer.from(u.buffer, u.byteOffset, u.byteLength).copy(dst);
    const copy = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    for (const u of ups) {
      for (let off = 0; off < params; off += slice) acc.fold(u.subarray(off, Math.min(params, off + slice)), off, 0.5);
      acc.addWeight(0.5);
    }
    const fold = Number(process.hrtime.bigint() - t) / 1e9;
    if (r > 0) {
      copyS.push(copy);
      foldS.push(fold);
    }
  }
  const foldGBps = bytes / median(foldS) / 1e9;
  const copyGBps = bytes / median(copyS) / 1e9;
  return { foldGBps, copyGBps, foldOverCopy: foldGBps / copyGBps, params, updates };
}
