// Two coordinators on one Redis run one experiment together. Workers are given both addresses; one
// coordinator is killed (SIGKILL) mid-experiment, its workers fail over to the other, which adopts the
// dead one's tasks queue and finishes the experiment. No instance is restarted under the same name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { submitExperiment } from '../../coordinator/queues/submit.js';
import { WorkerRegistry } from '../../coordinator/sessions/registry.js';
import { parseExperiment } from '../../shared/config/load.js';
import { redisOptions } from '../../shared/redis-url.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type Child, spawnAccord } from '../../simulation/processes.js';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { waitUntil } from '../helpers/wait-log.js';
import { spawnHeartWorker } from '../helpers/worker-process.js';

describe('two coordinators', () => {
  const children: Child[] = [];
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    client?.disconnect();
    await redis?.stop();
  });

  it('share an experiment; when one is killed, its sites fail over and the other finishes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-failover-'));
    redis = await startPrivateRedis();
    client = new Redis(redisOptions(redis.url));
    const tokens = { cleveland: 'token-cleveland-123', hungary: 'token-hungary-456' };
    fs.writeFileSync(path.join(dir, 'tokens.yaml'), YAML.stringify(tokens));
    const store = path.join(dir, 'store');
    const ports = [await freePort(), await freePort()];
    const coordinator = (i: number) =>
      spawnAccord(
        `coordinator-${i}`,
        [
          'coordinator',
          ...['--redis', redis!.url, '--grpc', `127.0.0.1:${ports[i]}`, '--store', store],
          ...['--tokens', path.join(dir, 'tokens.yaml'), '--instance', `c${i}`, '--lock-ms', '2000'],
        ],
        dir,
      );
    const [a, b] = [coordinator(0), coordinator(1)];
    children.push(a, b);
    // cleveland prefers c0, hungary c1: each coordinator holds one site's stream.
    const order = { cleveland: [0, 1], hungary: [1, 0] } as const;
    for (const site of ['cleveland', 'hungary'] as const)
      children.push(
        spawnHeartWorker(site, order[site].map((i) => `127.0.0.1:${ports[i]}`).join(','), tokens[site], dir),
      );
    const registry = new WorkerRegistry(client, 2000);
    await waitUntil(async () => (await registry.live()).length === 2, 90_000, 'both sites to connect');
    // The coordinator to kill is the one holding cleveland's stream (a site may have reached either first).
    const victim = (await registry.get('cleveland'))?.instance === 'c0' ? 0 : 1;

    const rounds = 6;
    const cfg = parseExperiment({
      ...HEART_DISEASE.experiment,
      rounds,
      clients: { min: 2, fraction: 1 },
      train: { epochs: 40, batchSize: 16, learningRate: 0.01 },
    });
    const id = await submitExperiment(client, redisOptions(redis.url), cfg);
    const records = new ExperimentRecords(client);
    await waitUntil(async () => ((await records.get(id))?.committed ?? 0) >= 1, 90_000, 'a committed round');
    const killed = [a, b][victim]!;
    killed.process.kill('SIGKILL');
    await killed.exited;
    await waitUntil(
      async () => ['completed', 'failed'].includes((await records.get(id))?.status ?? ''),
      120_000,
      'the experiment to finish on the surviving coordinator',
    );
    const rec = (await records.get(id))!;
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    expect((await records.rounds(id)).map((r) => r.round)).toEqual([...Array(rounds)].map((_, i) => i + 1));
    // cleveland now holds its session on the survivor.
    expect((await registry.get('cleveland'))?.instance).toBe(`c${1 - victim}`);
  });
});
