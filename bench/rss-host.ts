// Child process of the memory benchmark: a coordinator's session layer (gRPC server, sessions, spool)
// that hands one train task to each of N connected workers and reports its own RSS.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { TokenBook } from '../coordinator/sessions/auth.js';
import { SessionHub } from '../coordinator/sessions/hub.js';
import { WorkerRegistry } from '../coordinator/sessions/registry.js';
import { SpoolWriter } from '../coordinator/store/spool.js';
import { WeightsCache } from '../coordinator/store/weights-cache.js';
import { createLogger } from '../shared/log/logger.js';
import { CHANNEL_OPTIONS, loadProtocol } from '../shared/protocol/load.js';
import { redisOptions } from '../shared/redis-url.js';
import { BENCH_SPEC } from './task-spec.js';

const [redisUrl, workersArg, bytesArg] = process.argv.slice(2);
const workers = Number(workersArg);
const modelBytes = Number(bytesArg);

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
const sampler = setInterval(sample, 5);

const redis = new Redis(redisOptions(redisUrl!));
const hub = new SessionHub({
  instance: 'bench',
  tokens: TokenBook.fromMap(
    Object.fromEntries(Array.from({ length: workers }, (_, i) => [`site${i}`, `bench-token-${i}-123`])),
  ),
  registry: new WorkerRegistry(redis, 60_000),
  heartbeatMs: 60_000,
  log: createLogger('bench', 'silent'),
});
const server = new grpc.Server(CHANNEL_OPTIONS);
server.addService(loadProtocol().accord.v1.Federation.service, hub.handlers());
const port = await new Promise<number>((res, rej) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
);
await new Promise((r) => setTimeout(r, 500));
global.gc?.();
const idleRss = process.memoryUsage.rss();
peak = idleRss;
process.stdout.write(`${JSON.stringify({ port })}\n`);

while (hub.list().length < workers) await new Promise((r) => setTimeout(r, 20));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-rss-'));
// The global model, as the coordinator holds it: one copy shared by every task (WeightsCache).
const modelFile = path.join(dir, 'global.bin');
fs.writeFileSync(modelFile, Buffer.alloc(modelBytes));
const weights = new WeightsCache().load(modelFile, [{ name: 'w0', shape: [modelBytes / 4] }]);
const t0 = Date.now();
const results = await Promise.all(
  hub.list().map((s, i) =>
    s.runTask({
      kind: 'train',
      taskId: `t${i}`,
      experimentId: 'bench',
      round: 1,
      attempt: 1,
      spec: BENCH_SPEC,
      deadline: Date.now() + 900_000,
      weights,
      upload: () => new SpoolWriter(path.join(dir, `u${i}.f32`)),
    }),
  ),
);
sample();
clearInterval(sampler);
const ok = results.filter((r) => r.spoolFile && fs.statSync(r.spoolFile).size === modelBytes).length;
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ idleRss, peakRss: peak, ok, ms: Date.now() - t0 })}\n`);
hub.closeAll('done');
server.forceShutdown();
redis.disconnect();
process.exit(0);
