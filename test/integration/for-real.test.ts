// The README's "Running a federation for real", step by step, with the same commands and files: certs,
// a coordinator with mutual TLS, four hospital workers with their kits, submit, status and report. Only
// the Redis URL, the port, the coordinator's host name and the data files differ.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV, type Child, spawnAccord } from '../../simulation/processes.js';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';

const accord = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [...ACCORD_ARGV, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });

describe('Running a federation for real (README)', () => {
  const children: Child[] = [];
  let redis: PrivateRedis | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
  });

  it('trains as written', { timeout: 300_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-for-real-'));
    redis = await startPrivateRedis();
    const port = await freePort();
    const sites = ['cleveland', 'hungary', 'switzerland', 'va'] as const;
    fs.mkdirSync(path.join(dir, 'examples'));
    fs.copyFileSync(
      path.join(PACKAGE_ROOT, 'examples/heart-disease.yaml'),
      path.join(dir, 'examples/heart-disease.yaml'),
    );

    // 1. certs (the coordinator is reached as localhost here)
    const certs = accord(['certs', '--sites', sites.join(','), '--host', 'localhost', '--out', 'certs'], dir);
    expect(certs.status, certs.stderr).toBe(0);
    // 2. the coordinator
    children.push(
      spawnAccord(
        'coordinator',
        [
          'coordinator',
          ...['--redis', redis.url, '--grpc', `0.0.0.0:${port}`, '--store', './accord-store'],
          ...[
            '--tokens',
            'certs/tokens.yaml',
            '--tls-cert',
            'certs/coordinator.pem',
            '--tls-key',
            'certs/coordinator.key',
          ],
          ...['--tls-client-ca', 'certs/ca.pem'],
        ],
        dir,
        {},
        dir,
      ),
    );
    // 3. each hospital: check its file, then join with its kit
    for (const site of sites) {
      const data = HEART_DISEASE.sites[site];
      const check = accord(['check-data', '--config', 'examples/heart-disease.yaml', '--data', data], dir);
      expect(check.status, check.stderr).toBe(0);
      const kit = (f: string) => `certs/${site}/${f}`;
      children.push(
        spawnAccord(
          `worker-${site}`,
          [
            'worker',
            ...['--coordinator', `localhost:${port}`, '--site', site, '--data', data],
            ...[
              '--token-file',
              kit('token'),
              '--tls-ca',
              kit('ca.pem'),
              '--tls-cert',
              kit('site.pem'),
              '--tls-key',
              kit('site.key'),
            ],
          ],
          dir,
          {},
          dir,
        ),
      );
    }
    // 4. the researcher
    const submit = accord(['submit', 'examples/heart-disease.yaml', '--redis', redis.url], dir);
    expect(submit.status, submit.stderr).toBe(0);
    const id = submit.stdout.trim();
    const until = Date.now() + 240_000;
    let status = '';
    while (Date.now() < until) {
      const s = accord(['status', id, '--redis', redis.url, '--json'], dir);
      const listed =
        s.status === 0 ? (JSON.parse(s.stdout) as { experiments: { id: string; status: string }[] }).experiments : [];
      status = listed.find((e) => e.id === id)?.status ?? '';
      if (status === 'completed' || status === 'failed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('completed');
    const report = JSON.parse(accord(['report', id, '--redis', redis.url, '--json'], dir).stdout) as {
      rounds: unknown[];
      final: { meanSiteAccuracy: number };
    };
    expect(report.rounds).toHaveLength(20);
    expect(report.final.meanSiteAccuracy).toBeGreaterThan(0.75);
    expect(fs.existsSync(path.join(dir, 'accord-store', id, 'model', 'model.json'))).toBe(true);
  });
});
