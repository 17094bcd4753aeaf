// A custom model and a custom app travel: a researcher submits an experiment whose model.json (or app
// folder: model, preprocessing, loss and metrics as code) only they hold, from their own folder; the
// coordinator and each hospital's worker run in folders of their own that never had it (it is deleted
// after submit), and the federation trains it to the accuracy the same experiment reaches in `accord
// simulate`. The sites build the model from the topology in the manifest they approve, by its hash; an
// app's code they fetch from the coordinator by its digest, which their policy lists, and run sandboxed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { appDigest, readAppFolder } from '../../shared/apps/bundle.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { canonicalHash } from '../../shared/trust/canonical.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV, type Child, spawnAccord } from '../../simulation/processes.js';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { networkIsolation } from '../../worker/sandbox/index.js';
import { waitUntil } from '../helpers/wait-log.js';

const SITES = Object.keys(HEART_DISEASE.sites) as (keyof typeof HEART_DISEASE.sites)[];
const ROUNDS = 3;

/** The researcher's own model, as a model.json or inside an app (with preprocessing, loss and metrics). */
type Kind = 'model.json' | 'app';

describe('a custom model or app only the submitter holds', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-custom-model-'));
  const children: Child[] = [];
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
    client?.disconnect();
    await redis?.stop();
    client = undefined;
    redis = undefined;
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** 13 inputs, a hidden layer of 8, one sigmoid output (not a zoo model). */
  const net = () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, activation: 'relu', inputShape: [13] }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });

  it.each<Kind>(['model.json', 'app'])(
    'trains its %s in a federation whose coordinator and workers run elsewhere, as well as in simulate',
    async (kind) => {
      const folder = (name: string) => {
        fs.mkdirSync(path.join(root, kind, name), { recursive: true });
        return path.join(root, kind, name);
      };
      const researcher = folder('researcher');
      const experiment = YAML.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'examples', 'heart-disease.yaml'), 'utf8'));
      let own: string;
      let topology: Record<string, unknown> | undefined;
      let digest = '';
      if (kind === 'model.json') {
        const m = net();
        topology = m.toJSON(undefined, false) as unknown as Record<string, unknown>;
        m.dispose();
        own = path.join(researcher, 'model.json');
        fs.writeFileSync(own, JSON.stringify({ modelTopology: topology }));
        Object.assign(experiment, { name: 'custom-model', model: { path: 'model.json' }, rounds: ROUNDS });
      } else {
        own = path.join(researcher, 'app');
        fs.cpSync(path.join(PACKAGE_ROOT, 'examples', 'apps', 'heart-mlp'), own, { recursive: true });
        digest = appDigest(readAppFolder(own));
        Object.assign(experiment, { name: 'custom-app', model: { app: './app' }, rounds: ROUNDS });
      }
      fs.writeFileSync(path.join(researcher, 'experiment.yaml'), YAML.stringify(experiment));

      // The same experiment in simulate, for the accuracy to reach.
      const sites = SITES.flatMap((s) => ['--site', `${s}=${HEART_DISEASE.sites[s]}`]);
      const simOut = folder('simulated');
      const sim = spawnSync(
        process.execPath,
        [...ACCORD_ARGV, 'simulate', '--config', 'experiment.yaml', ...sites, '--out', simOut],
        { cwd: researcher, encoding: 'utf8' },
      );
      expect(sim.status, sim.stderr).toBe(0);
      const simulated = JSON.parse(fs.readFileSync(path.join(simOut, 'report.json'), 'utf8'));

      // The federation: a coordinator and four workers, each in a folder of its own. With an app, each
      // site lists its digest in its policy (and splits its rows as the simulation does, to compare).
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
      const policy = {
        data: { split: 'experiment', zeroMeansMissing: ['chol'] },
        metrics: { decimals: 6, minTestRows: 1 },
        apps: { allow: [`sha256:${digest}`], requireNetworkIsolation: networkIsolation().kind === 'namespace' },
      };
      for (const s of SITES) {
        const dir = folder(`site-${s}`);
        const flags = ['--coordinator', `127.0.0.1:${port}`, '--site', s, '--data', HEART_DISEASE.sites[s]];
        if (kind === 'app') {
          fs.writeFileSync(path.join(dir, 'policy.yaml'), YAML.stringify(policy));
          flags.push('--policy', 'policy.yaml', '--approvals', 'approvals');
        }
        children.push(spawnAccord(`worker-${s}`, ['worker', ...flags], logs, { ACCORD_TOKEN: tokens[s] }, dir));
      }
      const submit = spawnSync(process.execPath, [...ACCORD_ARGV, 'submit', 'experiment.yaml', '--redis', redis.url], {
        cwd: researcher,
        encoding: 'utf8',
      });
      expect(submit.status, submit.stderr).toBe(0);
      const id = /exp-[a-z0-9-]+/.exec(submit.stdout)![0];
      // Only the submitter ever held the file or folder: it is gone before any site trains.
      fs.rmSync(own, { recursive: true });

      const records = new ExperimentRecords(client);
      await waitUntil(
        async () => ['completed', 'failed'].includes((await records.get(id))?.status ?? ''),
        300_000,
        'the experiment to end',
      );
      const rec = (await records.get(id))!;
      expect(rec.status, rec.error).toBe('completed');
      const report = JSON.parse(fs.readFileSync(path.join(coordDir, 'accord-store', id, 'report.json'), 'utf8'));
      expect(report.rounds).toHaveLength(ROUNDS);
      if (kind === 'model.json') {
        // The model went by value and by hash, never as a path.
        expect(rec.config.model).toEqual({ topology, sha256: canonicalHash(topology) });
        expect(report.trust.manifest.modelSha256).toBe(canonicalHash(topology));
        for (const s of SITES) expect(fs.readdirSync(path.join(root, kind, `site-${s}`))).not.toContain('model.json');
      } else {
        // The app went by digest; each site holds exactly the approved code, fetched from the coordinator.
        expect(rec.config.model).toMatchObject({ app: { sha256: digest } });
        for (const s of SITES) {
          const cached = path.join(root, kind, `site-${s}`, 'approvals', 'apps', digest);
          expect(appDigest(readAppFolder(cached)), s).toBe(digest);
          const log = fs.readFileSync(path.join(logs, `worker-${s}.log`), 'utf8');
          expect(log, s).toContain('app ran in the sandbox');
        }
      }
      // As well as in simulate (within a few points: the sites' processes and their order differ).
      expect(report.final.meanSiteAccuracy).toBeGreaterThan(0.7);
      expect(Math.abs(report.final.meanSiteAccuracy - simulated.final.meanSiteAccuracy)).toBeLessThan(0.06);
    },
    600_000,
  );
});
