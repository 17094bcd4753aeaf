// transferRatio: a 100 MB update from a worker to the coordinator through Accord's session (validated
// chunk by chunk and spooled to disk) against raw grpc-js streaming the same bytes to a handler that only
// counts them. Same process, same loopback, same chunk sizes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { TokenBook } from '../coordinator/sessions/auth.js';
import { SessionHub } from '../coordinator/sessions/hub.js';
import { WorkerRegistry } from '../coordinator/sessions/registry.js';
import { SpoolWriter } from '../coordinator/store/spool.js';
import { createLogger } from '../shared/log/logger.js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import {
  CHANNEL_OPTIONS,
  type CoordinatorMessage__Output,
  loadProtocol,
  type WorkerMessage,
} from '../shared/protocol/load.js';
import { redisOptions } from '../shared/redis-url.js';
import { median } from './median.js';
import { connectSender, sendUpdate, write } from './sender.js';
import { BENCH_SPEC } from './task-spec.js';

async function listen(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
}

/** Both paths start timing from a quiet heap: the global model just received must not be collected mid-run. */
async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 50));
}

/** Raw grpc-js: the same messages, a handler that only counts bytes. */
async function rawOnce(update: Float32Array): Promise<number> {
  const proto = loadProtocol();
  const server = new grpc.Server(CHANNEL_OPTIONS);
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  server.addService(proto.accord.v1.Federation.service, {
    Session: (call: grpc.ServerDuplexStream<WorkerMessage, CoordinatorMessage__Output>) => {
      let bytes = 0;
      call.on('data', (m: { updateChunk?: { data: Buffer; last: boolean } }) => {
        if (m.updateChunk) {
          bytes += m.updateChunk.data.byteLength;
          if (m.updateChunk.last) {
            void bytes;
            done();
          }
        }
      });
      call.on('end', () => call.end());
    },
  });
  const port = await listen(server);
  const client = new proto.accord.v1.Federation(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    CHANNEL_OPTIONS,
  );
  const stream = client.Session();
  stream.on('error', () => undefined); // cancelled at shutdown
  await settle();
  const t0 = process.hrtime.bigint();
  for (const c of chunkF32(update))
    await write(stream, { updateChunk: { taskId: 't', seq: c.seq, last: c.last, data: c.data } });
  await finished;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  stream.end();
  client.close();
  server.forceShutdown();
  return ms;
}

/** Accord: a real session receives the update for a real task, validates and spools it. */
async function accordOnce(update: Float32Array, redisUrl: string): Promise<number> {
  const proto = loadProtocol();
  const redis = new Redis(redisOptions(redisUrl));
  const hub = new SessionHub({
    instance: 'bench',
    tokens: TokenBook.fromMap({ bench: 'bench-token-123' }),
    registry: new WorkerRegistry(redis, 2000),
    heartbeatMs: 60_000,
    log: createLogger('bench', 'silent'),
  });
  const server = new grpc.Server(CHANNEL_OPTIONS);
  server.addService(proto.accord.v1.Federation.service, hub.handlers());
  const port = await listen(server);
  const sender = connectSender(`127.0.0.1:${port}`, 'bench', 'bench-token-123');
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bench-'));
  while (!hub.get('bench')) await new Promise((r) => setTimeout(r, 5));
  // A one-tensor "model" with as many values as the update; the global model goes down first (not timed).
  const global = { specs: [{ name: 'w0', shape: [update.length] }], values: new Float32Array(update.length) };
  const task = sender.nextTask();
  const outcome = hub.get('bench')!.runTask({
    kind: 'train',
    taskId: 'bench-task',
    experimentId: 'bench',
    round: 1,
    attempt: 1,
    spec: BENCH_SPEC,
    deadline: Date.now() + 600_000,
    weights: global,
    upload: () => new SpoolWriter(path.join(spoolDir, 'u.f32')),
  });
  const taskId = await task;
  await settle();
  const t0 = process.hrtime.bigint();
  await sendUpdate(sender.stream, taskId, 1, update);
  const result = await outcome;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (fs.statSync(result.spoolFile!).size !== update.byteLength) throw new Error('spooled update has the wrong size');
  sender.close();
  hub.closeAll('bench done');
  server.forceShutdown();
  redis.disconnect();
  fs.rmSync(spoolDir, { recursive: true, force: true });
  return ms;
}

export async function benchTransfer(redisUrl: string, bytes = 100 * 1024 * 1024, reps = 9) {
  const update = Float32Array.from({ length: bytes / 4 }, (_, i) => (i % 1000) / 1000);
  const raw: number[] = [];
  const acc: number[] = [];
  for (let r = 0; r < reps; r++) {
    raw.push(await rawOnce(update));
    acc.push(await accordOnce(update, redisUrl));
  }
  const rawMs = median(raw);
  const accordMs = median(acc);
  return {
    // Each Accord run beside the raw run just before it: the median of the paired ratios, so a slow
    // spell of the shared machine weighs on both sides of a pair rather than on one median.
    transferRatio: median(raw.map((r, i) => r / acc[i]!)),
    rawMs,
    accordMs,
    bytes,
    rawMBps: bytes / 1e6 / (rawMs / 1000),
    accordMBps: bytes / 1e6 / (accordMs / 1000),
  };
}
