// `npm run bench`: each figure is a ratio against a baseline measured in the same run, because this
// machine is shared and noisy. Writes bench/results.json and prints the figures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../shared/models/backend.js';
import { startPrivateRedis } from '../simulation/redis-server.js';
import { benchFold } from './fold.js';
import { benchRss } from './rss.js';
import { benchSecAgg } from './secagg.js';
import { benchTransfer } from './transfer.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GOALS = {
  foldRatio: '>= 0.8',
  transferRatio: '>= 0.8',
  peakRssOverModel: '<= 4',
  'secagg.totalMs': '< 5000 (100 clients, 1 M parameters, SecAgg+, 10% dropout)',
  'secagg.commExpansion': '<= 1.2 (Bonawitz et al.: 1.73)',
  'secagg.scaling.exponent': '~1.1 (n log n), not 2',
};

const backend = await initBackend();
const redis = await startPrivateRedis();
try {
  process.stderr.write('fold: FedAvg accumulator vs plain float32 loop ...\n');
  const fold = benchFold();
  process.stderr.write('transfer: 100 MB update through an Accord session vs raw grpc-js ...\n');
  const transfer = await benchTransfer(redis.url);
  process.stderr.write('memory: 20 workers each sending a 100 MB update to one coordinator ...\n');
  const rss = await benchRss(redis.url);
  process.stderr.write(
    'secagg: 100 clients x 1 M parameters, SecAgg+, 10% dropping after share-keys; then 50..400 clients ...\n',
  );
  const secagg = await benchSecAgg();
  const results = {
    foldRatio: fold.foldRatio,
    transferRatio: transfer.transferRatio,
    peakRssOverModel: rss.peakRssOverModel,
    secagg: {
      totalMs: secagg.totalMs,
      roundMs: secagg.main.serverMs + secagg.main.slowestClientMs,
      commExpansion: secagg.commExpansion,
      scaling: secagg.scaling,
      detail: secagg.main,
      reference: secagg.reference,
    },
    goals: GOALS,
    details: { fold, transfer, rss },
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, tfjsBackend: backend.backend },
    at: new Date().toISOString(),
  };
  const file = path.join(HERE, 'results.json');
  // Merged into what is there: bench:fedavg's figures (an hour's run) share the file.
  const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  fs.writeFileSync(file, JSON.stringify({ ...previous, ...results }, null, 2));
  process.stdout.write(
    `${[
      `foldRatio        ${fold.foldRatio.toFixed(3)}  (goal ${GOALS.foldRatio}; fold ${fold.foldMs.toFixed(1)} ms vs plain loop ${fold.plainMs.toFixed(1)} ms, ${fold.params} params)`,
      `transferRatio    ${transfer.transferRatio.toFixed(3)}  (goal ${GOALS.transferRatio}; Accord ${transfer.accordMBps.toFixed(0)} MB/s vs raw grpc-js ${transfer.rawMBps.toFixed(0)} MB/s)`,
      `peakRssOverModel ${rss.peakRssOverModel.toFixed(3)}  (goal ${GOALS.peakRssOverModel}; idle ${rss.idleRssMB.toFixed(0)} MiB, peak ${rss.peakRssMB.toFixed(0)} MiB, ${rss.workers} x ${rss.modelMB} MiB updates)`,
      `secagg.totalMs   ${secagg.totalMs.toFixed(0)}  (goal < 5000; all protocol work of 100 clients and the server in one process; with clients on their own machines about ${(secagg.main.serverMs + secagg.main.slowestClientMs).toFixed(0)} ms; Bonawitz et al.: 62 s for 500 clients x 100 K)`,
      `secagg.commExpansion ${secagg.commExpansion.toFixed(4)}  (goal <= 1.2; Bonawitz et al.: 1.73)`,
      `secagg.scaling   ${secagg.scaling.runs.map((r) => `n=${r.clients}: ${r.totalMs.toFixed(0)} ms`).join(', ')} (100 K params); time grew ${secagg.scaling.measuredRatio.toFixed(1)}x for 8x clients (n log n: ${secagg.scaling.nLogNRatio.toFixed(1)}x, n^2: 64x); log-log slope ${secagg.scaling.exponent.toFixed(2)}`,
      `wrote ${path.relative(process.cwd(), file)}`,
    ].join('\n')}\n`,
  );
} finally {
  await redis.stop();
}
