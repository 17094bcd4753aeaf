// Accord on a Redis Cluster: three masters with a replica each, started here from the redis-server
// binary. A coordinator (`accord coordinator --redis-cluster ...`) and two worker processes run an
// experiment; after a committed round the master holding Accord's keys (and BullMQ's: one hash tag)
// is killed. Its replica takes over, and the experiment completes with every round committed once.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { connectedCoordinators } from '../../coordinator/liveness.js';
import { submitExperiment } from '../../coordinator/queues/submit.js';
import { WorkerRegistry } from '../../coordinator/sessions/registry.js';
import { parseExperiment } from '../../shared/config/load.js';
import { connectRedis } from '../../shared/redis-connection.js';
import { bullConnectionOf, CLUSTER_HASH_TAG, type RedisClient } from '../../shared/redis-target.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type Child, spawnAccord } from '../../simulation/processes.js';
import { freePort } from '../../simulation/redis-server.js';
import { type PrivateCluster, startPrivateCluster } from '../helpers/redis-cluster.js';
import { waitUntil } from '../helpers/wait-log.js';
import { federationFolder, spawnHeartWorker, TWO_SITE_TOKENS } from '../helpers/worker-process.js';

describe('Redis Cluster', () => {
  const children: Child[] = [];
  let cluster: PrivateCluster | undefined;
  let client: RedisClient | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    client?.disconnect();
    await cluster?.stop();
  });

  it('runs an experiment through a cluster and completes it when a master is killed', async () => {
    const t0 = Date.now();
    const { dir, tokensFile, store } = federationFolder('cluster-test');
    cluster = await startPrivateCluster({ masters: 3, replicasPerMaster: 1 });
    const clusterUp = Date.now() - t0;
    client = await connectRedis(cluster.target);
    expect(client.isCluster).toBe(true);

    const port = await freePort();
    const coordinator = spawnAccord(
      'coordinator',
      [
        'coordinator',
        ...['--redis-cluster', cluster.seeds, '--grpc', `127.0.0.1:${port}`],
        ...['--store', store, '--tokens', tokensFile, '--instance', 'c0'],
      ],
      dir,
    );
    children.push(coordinator);
    for (const site of ['cleveland', 'hungary'] as const)
      children.push(spawnHeartWorker(site, `127.0.0.1:${port}`, TWO_SITE_TOKENS[site], dir));
    const registry = new WorkerRegistry(client, 2000);
    await waitUntil(async () => (await registry.live()).length === 2, 90_000, 'both sites to connect');
    // Other coordinators see this one alive: its named connection is listed by a master.
    const listed = async () => [...((await connectedCoordinators(client!)) ?? [])].some((n) => n.includes(':c0:'));
    await waitUntil(listed, 30_000, 'the coordinator in CLIENT LIST of the masters');

    const rounds = 8;
    const cfg = parseExperiment({
      ...HEART_DISEASE.experiment,
      rounds,
      clients: { min: 2, fraction: 1 },
      // Rounds of a second or more, so the kill lands mid-experiment.
      train: { epochs: 20, batchSize: 16, learningRate: 0.01 },
    });
    const id = await submitExperiment(client, bullConnectionOf(client, cluster.target), cfg);
    const records = new ExperimentRecords(client);
    await waitUntil(async () => ((await records.get(id))?.committed ?? 0) >= 1, 90_000, 'a committed round');

    // Every key of Accord's and BullMQ's is in this slot: kill the master serving it.
    const victim = await cluster.masterOf(CLUSTER_HASH_TAG);
    await cluster.kill(victim);
    const killedAt = Date.now();
    const committedAtKill = (await records.get(id))!.committed;
    expect(committedAtKill).toBeLessThan(rounds);
    const successor = await cluster.waitFailover(CLUSTER_HASH_TAG, victim);
    expect(successor).not.toBe(victim);
    const failedOverMs = Date.now() - killedAt;

    await waitUntil(
      async () => ['completed', 'failed', 'cancelled'].includes((await records.get(id))?.status ?? ''),
      120_000,
      'the experiment to finish',
    );
    const rec = (await records.get(id))!;
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    expect(rec.committed).toBe(rounds);
    const done = await records.rounds(id);
    expect(done.map((r) => r.round)).toEqual([...Array(rounds)].map((_, i) => i + 1));
    expect(coordinator.process.exitCode).toBeNull();
    // ... and still alive after the failover (its connections moved to the promoted replica).
    await waitUntil(listed, 30_000, 'the coordinator in CLIENT LIST after the failover');

    // The command-line tools read the same records through the cluster.
    const report = spawnAccord('report', ['report', id, '--redis-cluster', cluster.seeds, '--json'], dir);
    expect(await report.exited).toBe(0);
    const json = fs.readFileSync(report.logFile, 'utf8');
    const parsed = JSON.parse(json.slice(json.indexOf('{'))) as { rounds: unknown[] };
    expect(parsed.rounds).toHaveLength(rounds);
    console.log(
      `redis-cluster: cluster up in ${clusterUp} ms; killed master ${victim} after round ${committedAtKill}; ` +
        `replica ${successor} took over ${failedOverMs} ms later; ${rounds} rounds in ${Date.now() - t0} ms`,
    );
  });
});
