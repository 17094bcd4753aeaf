// `npm run bench`: each figure is a ratio against a baseline measured in the same run, because this
// machine is shared and noisy. Writes bench/results.json and prints the figures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../shared/models/backend.js';
import { startPrivateRedis } from '../simulation/redis-server.js';
import { benchCliStart } from './cli-start.js';
import { benchFold, benchFoldBandwidth } from './fold.js';
import { benchRecovery, RECOVERY_PHASES } from './recovery.js';
import { benchRoundOverhead } from './round-overhead.js';
import { benchRss } from './rss.js';
import { benchScale } from './scale.js';
import { benchSecAgg } from './secagg.js';
import { benchTrain } from './train.js';
import { benchTransfer } from './transfer.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GOALS = {
  foldRatio: '>= 0.8',
  foldGBps: '>= 0.6 x copyGBps (90% of the memory-bound limit, 2/3 of a copy)',
  transferRatio: '>= 0.9',
  roundOverheadMs: '< 1000 (10 sites, 1 M parameters, training stubbed)',
  'train.cnn.wasm.samplesPerSec': '>= 100',
  'scale.overheadExponent': '<= 1 (overhead per round no faster than linear in the sites of the round)',
  peakRssOverModel: '<= 4',
  'secagg.totalMs': '< 5000 (100 clients, 1 M parameters, SecAgg+, 10% dropout)',
  'secagg.commExpansion': '<= 1.2 (Bonawitz et al.: 1.73)',
  'secagg.scaling.exponent': '~1.1 (n log n), not 2',
  cliStartMs: '< 2 x bareNodeMs (accord --help against node -e 0)',
  'recovery.medianMs': '< 5000 per phase (coordinator SIGKILL, restarted -> next committed round, median of 3)',
  'recovery.failoverMs': '< 5000 (of two coordinators the one holding the sites SIGKILLed -> next committed round)',
  'recovery.redisMs': '< 5000 (Redis SIGKILLed, back after 20 s with its append-only file -> next committed round)',
};

const backend = await initBackend();
const redis = await startPrivateRedis();
try {
  process.stderr.write('cli start: accord --help vs node -e 0 ...\n');
  const cliStart = benchCliStart();
  process.stderr.write(
    'recovery: coordinator SIGKILL in each phase, failover to a second coordinator, Redis down 20 s; 3 times each ...\n',
  );
  const recovery = await benchRecovery(3);
  process.stderr.write('fold: FedAvg accumulator vs plain float32 loop ...\n');
  const fold = benchFold();
  process.stderr.write('fold bandwidth: 20 updates into one warm accumulator vs Buffer.copy ...\n');
  const bandwidth = benchFoldBandwidth();
  process.stderr.write('round overhead: 10 sites, 1 M parameters, training stubbed ...\n');
  const overhead = await benchRoundOverhead();
  process.stderr.write('train: samples/s of the 2NN and the CNN per backend, beside model.fit ...\n');
  const train = benchTrain();
  const sizes = (process.env['ACCORD_BENCH_SCALE'] ?? '100,300,1000').split(',').map(Number);
  process.stderr.write(`scale: ${sizes.join(', ')} sites, with and without training ...\n`);
  const scale = await benchScale(sizes);
  process.stderr.write('transfer: 100 MB update through an Accord session vs raw grpc-js ...\n');
  const transfer = await benchTransfer(redis.url);
  process.stderr.write('memory: 20 workers each sending a 100 MB update to one coordinator ...\n');
  const rss = await benchRss(redis.url);
  process.stderr.write(
    'secagg: 100 clients x 1 M parameters, SecAgg+, 10% dropping after share-keys; then 50..400 clients ...\n',
  );
  const secagg = await benchSecAgg();
  const results = {
    ...(cliStart ? { cliStartMs: cliStart.cliStartMs, bareNodeMs: cliStart.bareNodeMs } : {}),
    recovery,
    foldRatio: fold.foldRatio,
    foldGBps: bandwidth.foldGBps,
    copyGBps: bandwidth.copyGBps,
    roundOverheadMs: overhead.roundOverheadMs,
    train,
    scale,
    transferRatio: transfer.transferRatio,
    peakRssOverModel: rss.peakRssOverModel,
    secagg: {
      totalMs: secagg.totalMs,
      roundMs: secagg.main.serverMs + secagg.main.slowestClientMs,
      commExpansion: secagg.commExpansion,
      scaling: secagg.scaling,
      thousand: secagg.thousand,
      detail: secagg.main,
      reference: secagg.reference,
    },
    goals: GOALS,
    details: { fold, bandwidth, overhead, transfer, rss },
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, tfjsBackend: backend.backend },
    at: new Date().toISOString(),
  };
  const file = path.join(HERE, 'results.json');
  // Merged into what is there: bench:fedavg's figures (an hour's run) share the file.
  const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  fs.writeFileSync(file, JSON.stringify({ ...previous, ...results }, null, 2));
  process.stdout.write(
    `${[
      ...(cliStart
        ? [
            `cliStartMs       ${cliStart.cliStartMs.toFixed(0)}  (goal < 2 x bare node ${cliStart.bareNodeMs.toFixed(0)} ms: ${cliStart.ratio.toFixed(2)}x)`,
          ]
        : ['cliStartMs       not measured: dist/ is not built (npm run build)']),
      `recovery         kill -> next commit: ${RECOVERY_PHASES.map((p) => `${p} ${recovery.medianMs[p].toFixed(0)} ms`).join(', ')}; failover ${recovery.failoverMs.toFixed(0)} ms; Redis back after ${recovery.redisDownMs / 1000} s -> ${recovery.redisMs.toFixed(0)} ms (goal < 5000 each, median of ${recovery.runsMs.training.length}; a round without a failure ${recovery.roundMs.toFixed(0)} ms, restart to listen ${recovery.listenMs.toFixed(0)} ms)`,
      `foldRatio        ${fold.foldRatio.toFixed(3)}  (goal ${GOALS.foldRatio}; fold ${fold.foldMs.toFixed(1)} ms vs plain loop ${fold.plainMs.toFixed(1)} ms, ${fold.params} params)`,
      `foldGBps         ${bandwidth.foldGBps.toFixed(2)}  (goal >= 0.6 x copyGBps ${bandwidth.copyGBps.toFixed(2)}: ${bandwidth.foldOverCopy.toFixed(2)}x; ${bandwidth.updates} updates of ${bandwidth.params} floats into a warm accumulator)`,
      `roundOverheadMs  ${overhead.roundOverheadMs.toFixed(0)}  (goal < 1000; ${overhead.sites} sites, ${overhead.params} params, training stubbed; aggregate ${overhead.aggregateMs.toFixed(0)} ms)`,
      ...Object.entries(train).map(
        ([model, byBackend]) =>
          `train.${model.padEnd(4)}        ${Object.entries(byBackend)
            .map(([b, s]) =>
              'unavailable' in s
                ? `${b}: unavailable`
                : `${b} ${s.samplesPerSec} samples/s (model.fit ${s.fitSamplesPerSec}${s.threads ? `; ${s.threads} thread(s)` : ''})`,
            )
            .join('; ')}`,
      ),
      `scale            ${scale.runs.map((r) => `${r.sites} sites: round ${r.roundMs.toFixed(0)} ms (overhead ${r.overheadMs.toFixed(0)}, training ${r.trainingMs.toFixed(0)}), coordinator ${r.coordinatorPeakRssMB.toFixed(0)} MiB, Redis ${r.redisBytesPerSite.toFixed(0)} B/site`).join('; ')}; overhead exponent ${scale.overheadExponent.toFixed(2)} (goal <= 1); coordinator +${scale.coordinatorKBPerSite.toFixed(0)} KiB per site`,
      `transferRatio    ${transfer.transferRatio.toFixed(3)}  (goal ${GOALS.transferRatio}; Accord ${transfer.accordMBps.toFixed(0)} MB/s vs raw grpc-js ${transfer.rawMBps.toFixed(0)} MB/s)`,
      `peakRssOverModel ${rss.peakRssOverModel.toFixed(3)}  (goal ${GOALS.peakRssOverModel}; idle ${rss.idleRssMB.toFixed(0)} MiB, peak ${rss.peakRssMB.toFixed(0)} MiB, ${rss.workers} x ${rss.modelMB} MiB updates)`,
      `secagg.totalMs   ${secagg.totalMs.toFixed(0)}  (goal < 5000; all protocol work of 100 clients and the server in one process; with clients on their own machines about ${(secagg.main.serverMs + secagg.main.slowestClientMs).toFixed(0)} ms; Bonawitz et al.: 62 s for 500 clients x 100 K)`,
      `secagg.thousand  ${secagg.thousand.totalMs.toFixed(0)} ms  (1,000 clients x 100 K params, SecAgg+ degree ${secagg.thousand.degree}, ${secagg.thousand.dropped} dropped; server ${secagg.thousand.serverMs.toFixed(0)} ms, slowest client ${secagg.thousand.slowestClientMs.toFixed(0)} ms; Bell et al.: O(log n) neighbours per client)`,
      `secagg.commExpansion ${secagg.commExpansion.toFixed(4)}  (goal <= 1.2; Bonawitz et al.: 1.73)`,
      `secagg.scaling   ${secagg.scaling.runs.map((r) => `n=${r.clients}: ${r.totalMs.toFixed(0)} ms`).join(', ')} (100 K params); time grew ${secagg.scaling.measuredRatio.toFixed(1)}x for 8x clients (n log n: ${secagg.scaling.nLogNRatio.toFixed(1)}x, n^2: 64x); log-log slope ${secagg.scaling.exponent.toFixed(2)}`,
      `wrote ${path.relative(process.cwd(), file)}`,
    ].join('\n')}\n`,
  );
} finally {
  await redis.stop();
}
