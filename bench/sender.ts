// A minimal worker for benchmarks: connects with the real protocol, waits for a train task, and sends
// a prepared update with the same chunking and backpressure as the worker.
import * as grpc from '@grpc/grpc-js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import {
  CHANNEL_OPTIONS,
  type CoordinatorMessage__Output,
  loadProtocol,
  type WorkerMessage,
} from '../shared/protocol/load.js';

export type ClientStream = grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>;

export async function write(stream: ClientStream, msg: WorkerMessage): Promise<void> {
  if (!stream.write(msg)) await new Promise<void>((r) => stream.once('drain', r));
}

export async function sendUpdate(
  stream: ClientStream,
  taskId: string,
  round: number,
  update: Float32Array,
): Promise<void> {
  await write(stream, { metrics: { taskId, round, examples: 10, values: { loss: 1 } } });
  for (const c of chunkF32(update))
    await write(stream, { updateChunk: { taskId, seq: c.seq, last: c.last, data: c.data } });
}

export interface Sender {
  stream: ClientStream;
  /** Resolves with the task id once a train task and its whole model have arrived. */
  nextTask(): Promise<string>;
  close(): void;
}

export function connectSender(address: string, site: string, token: string): Sender {
  const proto = loadProtocol();
  const client = new proto.accord.v1.Federation(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const stream = client.Session();
  stream.on('error', () => undefined); // cancelled at shutdown
  let taskId = '';
  const waiters: ((id: string) => void)[] = [];
  stream.on('data', (m: CoordinatorMessage__Output) => {
    if (m.trainTask) taskId = m.trainTask.header!.taskId;
    if (m.modelChunk?.last) waiters.shift()?.(taskId);
  });
  const heartbeat = setInterval(() => void write(stream, { heartbeat: { unixMs: Date.now() } }), 1000);
  void write(stream, {
    hello: { siteId: site, token, datasets: [{ name: 'bench', examples: 10 }], backend: 'cpu', version: 'bench' },
  });
  return {
    stream,
    nextTask: () => new Promise((r) => waiters.push(r)),
    close: () => {
      clearInterval(heartbeat);
      stream.end();
      client.close();
    },
  };
}
