// train: local training speed, samples per second of Accord's training loop for the 2NN and the CNN,
// beside plain TF.js model.fit on the same backend, for every backend this machine has (wasm always;
// tensorflow where tfjs-node is installed; webgpu where Dawn finds an adapter). Each backend runs in
// its own process (bench/gpu-train.ts): a TF.js backend is chosen once per process.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Speed {
  samplesPerSec: number;
  fitSamplesPerSec: number;
  /** Threads the backend computed with (wasm), where it says. */
  threads?: number;
}
export type TrainResults = Record<string, Record<string, Speed | { unavailable: string }>>;

export function benchTrain(backends = ['wasm', 'tensorflow', 'webgpu']): TrainResults {
  const out: TrainResults = { '2nn': {}, cnn: {} };
  for (const backend of backends) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(HERE, 'gpu-train.ts'), backend], {
      encoding: 'utf8',
      timeout: 15 * 60_000,
    });
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    let parsed: { unavailable?: string; threads?: number; results?: Record<string, Speed> };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      parsed = { unavailable: `the benchmark failed: ${r.stderr.trim().split('\n').at(-1) ?? r.status}` };
    }
    for (const model of ['2nn', 'cnn']) {
      const speed = parsed.results?.[model];
      out[model]![backend] = speed
        ? { ...speed, ...(parsed.threads !== undefined ? { threads: parsed.threads } : {}) }
        : { unavailable: parsed.unavailable ?? 'no result' };
    }
  }
  return out;
}
