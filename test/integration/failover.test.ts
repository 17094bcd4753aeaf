import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { submitExperiment } from '../../coordinator/queues/submit.js';
import { WorkerRegistry } from '../../coordinator/sessions/registry.js';
import { parseExperiment } from '../../shared/config/load.js';
import { redisOptions } from '../../shared/redis-url.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { spawnAccord } from '../../simulation/processes.js';
import { freePort } from '../../simulation/redis-server.js';
import { waitUntil } from '../helpers/wait-log.js';
import { spawnHeartWorker, TWO_SITE_TOKENS, useProcessFederation } from '../helpers/worker-process.js';

describe('two coordinators', () => {
  const fed = useProcessFederation(afterAll);
  const children = fed.children;

  it('share an experiment; when one is killed, its sites fail over and the other finishes it', async () => {
    const { redis, client, dir, tokensFile, store } = await fed.setUp('failover');
    const tokens = TWO_SITE_TOKENS;
    const ports = [await freePort(), await freePort()];
    const coordinator = (i: number) =>
      spawnAccord(
        `coordinator-${i}`,
        [
          'coordinator',
          ...['--redis', redis.url, '--grpc', `127.0.0.1:${ports[i]}`, '--store', store],
          ...['--tokens', tokensFile, '--instance', `c${i}`, '--lock-ms', '2000'],
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
