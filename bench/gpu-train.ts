// Local training speed on one TF.js backend, for bench/gpu.sh: samples per second of Accord's own
// training loop (trainLocal) for the FedAvg paper's 2NN and CNN on random Fashion-MNIST-shaped rows,
// after a warm-up pass (kernel compilation), beside plain TF.js model.fit on the same backend.
// Prints one JSON line: the backend that ran, its device (webgpu: Dawn's adapter) and the reason.
//   node --import tsx bench/gpu-train.ts [auto|tensorflow|webgpu|wasm|cpu]
// Environment: ROWS (default 2000), BATCH (default 50).
import * as tf from '@tensorflow/tfjs';
import { trainSchema } from '../shared/config/schema.js';
import { type BackendName, initBackend, releaseBackend } from '../shared/models/backend.js';
import { trainLocal } from '../shared/models/train.js';
import { buildModel } from '../shared/models/zoo.js';

const requested = (process.argv[2] ?? 'auto') as BackendName | 'auto';
const rows = Number(process.env['ROWS'] ?? 2000);
const batchSize = Number(process.env['BATCH'] ?? 50);
const classes = 10;
const features = 28 * 28;

function randomRows(n: number, seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = new Float32Array(n * features).map(() => next());
  const y = new Int32Array(n).map(() => Math.floor(next() * classes));
  return { x, y, n };
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const choice = await initBackend(requested).catch((e: Error) => {
  // Not available here: say why (for webgpu, Dawn's words) as the line, and stop.
  process.stdout.write(`${JSON.stringify({ requested, unavailable: e.message })}\n`);
  process.exit(0);
});
const cfg = trainSchema.parse({ epochs: 1, batchSize, learningRate: 0.05 });
const data = randomRows(rows, 1);
const warm = randomRows(Math.min(rows, 4 * batchSize), 2);
const results: Record<string, { samplesPerSec: number; fitSamplesPerSec: number }> = {};
for (const zoo of ['2nn', 'cnn'] as const) {
  const model = buildModel({ zoo }, features, classes, 1, [28, 28, 1]);
  await trainLocal(model, warm, cfg, classes, 1);
  const loopS = await timed(() => trainLocal(model, data, cfg, classes, 3));
  // Plain TF.js on the same backend, for comparison: compile + fit with the same batch size.
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor2d(data.x, [rows, features]);
  const y = tf.tensor1d(data.y, 'float32');
  const wx = x.slice(0, warm.n);
  const wy = y.slice(0, warm.n);
  await model.fit(wx, wy, { batchSize, epochs: 1, verbose: 0 });
  const fitS = await timed(() => model.fit(x, y, { batchSize, epochs: 1, verbose: 0 }));
  tf.dispose([x, y, wx, wy]);
  model.dispose();
  results[zoo] = {
    samplesPerSec: Math.round((rows / loopS) * 10) / 10,
    fitSamplesPerSec: Math.round((rows / fitS) * 10) / 10,
  };
}
// How many threads the wasm backend computes with (the goal is stated per core).
const threads =
  choice.backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : undefined;
process.stdout.write(
  `${JSON.stringify({ requested, backend: choice.backend, device: choice.device, reason: choice.reason, threads, rows, batchSize, results })}\n`,
);
// A Dawn device keeps the event loop alive; exit either way.
releaseBackend();
process.exit(0);
