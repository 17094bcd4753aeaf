// A custom model travels: a researcher submits an experiment whose model.json only they hold, from
// their own folder; the coordinator and each hospital's worker run in folders of their own that never
// had the file (it is deleted after submit), and the federation trains it to the accuracy the same
// experiment reaches in `accord simulate`. The sites build it from the topology in the manifest they
// approve, by its hash.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { canonicalHash } from '../../shared/trust/canonical.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV, type Child, spawnAccord } from '../../simulation/processes.js';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { waitUntil } from '../helpers/wait-log.js';

const SITES = Object.keys(HEART_DISEASE.sites) as (keyof typeof HEART_DISEASE.sites)[];
const ROUNDS = 5;

describe('a custom model only the submitter holds', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-custom-model-'));
  const children: Child[] = [];
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    client?.disconnect();
    await redis?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('trains in a federation whose coordinator and workers run elsewhere, as well as in simulate', async () => {
    const folder = (name: string) => {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      return path.join(root, name);
    };
    const researcher = folder('researcher');
    // The researcher's model: 13 inputs, a hidden layer of 8, one sigmoid output (not a zoo model).
    const net = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, activation: 'relu', inputShape: [13] }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const topology = net.toJSON(undefined, false) as unknown as Record<string, unknown>;
    net.dispose();
    fs.writeFileSync(path.join(researcher, 'model.json'), JSON.stringify({ modelTopology: topology }));
    const experiment = YAML.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'examples', 'heart-disease.yaml'), 'utf8'));
    Object.assign(experiment, { name: 'custom-model', model: { path: 'model.json' }, rounds: ROUNDS });
    fs.writeFileSync(path.join(researcher, 'experiment.yaml'), YAML.stringify(experiment));

    // The same experiment in simulate, for the accuracy to reach.
    const sites = SITES.flatMap((s) => ['--site', `${s}=${HEART_DISEASE.sites[s]}`]);
    const simOut = path.join(root, 'simulated');
    const sim = spawnSync(
      process.execPath,
      [...ACCORD_ARGV, 'simulate', '--config', 'experiment.yaml', ...sites, '--out', simOut],
      { cwd: researcher, encoding: 'utf8' },
    );
    expect(sim.status, sim.stderr).toBe(0);
    const simulated = JSON.parse(fs.readFileSync(path.join(simOut, 'report.json'), 'utf8'));

    // The federation: a coordinator and four workers, each in a folder of its own.
    redis = await startPrivateRedis();
    client = new Redis(redisOptions(redis.url));
    const tokens = Object.fromEntries(SITES.map((s) => [s, `tok-custom-${s}`]));
    const coordDir = folder('coordinator');
    fs.writeFileSync(path.join(coordDir, 'tokens.yaml'), YAML.stringify(tokens));
    const port = await freePort();
    const logs = folder('logs');
    children.push(
      spawnAccord(
        'coordinator',
        ['coordinator', '--redis', redis.url, '--grpc', `127.0.0.1:${port}`, '--tokens', 'tokens.yaml'],
        logs,
        {},
        coordDir,
      ),
    );
    for (const s of SITES)
      children.push(
        spawnAccord(
          `worker-${s}`,
          ['worker', '--coordinator', `127.0.0.1:${port}`, '--site', s, '--data', HEART_DISEASE.sites[s]],
          logs,
          { ACCORD_TOKEN: tokens[s] },
          folder(`site-${s}`),
        ),
      );
    const submit = spawnSync(process.execPath, [...ACCORD_ARGV, 'submit', 'experiment.yaml', '--redis', redis.url], {
      cwd: researcher,
      encoding: 'utf8',
    });
    expect(submit.status, submit.stderr).toBe(0);
    const id = /exp-[a-z0-9-]+/.exec(submit.stdout)![0];
    // Only the submitter ever held the file: it is gone before any site trains.
    fs.rmSync(path.join(researcher, 'model.json'));

    const records = new ExperimentRecords(client);
    await waitUntil(
      async () => ['completed', 'failed'].includes((await records.get(id))?.status ?? ''),
      300_000,
      'the experiment to end',
    );
    const rec = (await records.get(id))!;
    expect(rec.status, rec.error).toBe('completed');
    // The model went by value and by hash, never as a path.
    expect(rec.config.model).toEqual({ topology, sha256: canonicalHash(topology) });
    const report = JSON.parse(fs.readFileSync(path.join(coordDir, 'accord-store', id, 'report.json'), 'utf8'));
    expect(report.rounds).toHaveLength(ROUNDS);
    expect(report.trust.manifest.modelSha256).toBe(canonicalHash(topology));
    for (const s of SITES) expect(fs.readdirSync(path.join(root, `site-${s}`))).not.toContain('model.json');
    // As well as in simulate (the real sites split their rows with keys of their own, so within a few points).
    expect(report.final.meanSiteAccuracy).toBeGreaterThan(0.7);
    expect(Math.abs(report.final.meanSiteAccuracy - simulated.final.meanSiteAccuracy)).toBeLessThan(0.06);
  }, 600_000);
});
