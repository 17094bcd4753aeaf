// peakRssOverModel: the coordinator's peak RSS above its idle RSS while N workers each send a full-size
// update at once, in units of the model's size. The coordinator runs in its own process.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectSender, sendUpdate } from './sender.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function benchRss(redisUrl: string, workers = 20, modelBytes = 100 * 1024 * 1024) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', path.join(HERE, 'rss-host.ts'), redisUrl, String(workers), String(modelBytes)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = readline.createInterface({ input: child.stdout });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  const { port } = JSON.parse(await next()) as { port: number };
  const update = Float32Array.from({ length: modelBytes / 4 }, (_, i) => (i % 997) / 997);
  const senders = Array.from({ length: workers }, (_, i) =>
    connectSender(`127.0.0.1:${port}`, `site${i}`, `bench-token-${i}-123`),
  );
  const done = next();
  await Promise.all(senders.map(async (s) => sendUpdate(s.stream, await s.nextTask(), 1, update)));
  const r = JSON.parse(await done) as { idleRss: number; peakRss: number; ok: number; ms: number };
  for (const s of senders) s.close();
  if (r.ok !== workers) throw new Error(`only ${r.ok} of ${workers} updates arrived whole`);
  return {
    peakRssOverModel: (r.peakRss - r.idleRss) / modelBytes,
    idleRssMB: r.idleRss / 2 ** 20,
    peakRssMB: r.peakRss / 2 ** 20,
    modelMB: modelBytes / 2 ** 20,
    workers,
    ms: r.ms,
  };
}
