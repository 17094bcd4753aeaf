// The README's "Running a federation for real", step by step, with the same commands and files: each
// hospital makes its own keys, the operator signs their requests and builds the roster, a coordinator
// with mutual TLS and the roster, four hospital workers with their identities, a person at each site
// approving the experiment, then report, verify and the sites' audit check. Only the Redis URL, the
// port, the coordinator's host name and the data files differ.
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

/** Waits (polling the file system) until `dir` holds a file, or fails after `ms`. */
async function firstFile(dir: string, ms: number): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    if (files[0]) return path.join(dir, files[0]);
    if (Date.now() > until) throw new Error(`nothing appeared in ${dir} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

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
    const hospital = (site: string) => path.join(dir, `hospital-${site}`);
    const examples = (to: string) => {
      fs.mkdirSync(path.join(to, 'examples'), { recursive: true });
      for (const f of ['heart-disease.yaml', 'site-policy.yaml'])
        fs.copyFileSync(path.join(PACKAGE_ROOT, 'examples', f), path.join(to, 'examples', f));
    };
    examples(dir);

    // 1. each hospital makes its own keys; only the request and the public key go to the operator
    for (const site of sites) {
      fs.mkdirSync(hospital(site));
      examples(hospital(site));
      const id = accord(['identity', '--site', site, '--out', 'site'], hospital(site));
      expect(id.status, id.stderr).toBe(0);
      fs.copyFileSync(path.join(hospital(site), 'site/site.csr'), path.join(dir, `${site}.csr`));
      fs.copyFileSync(path.join(hospital(site), 'site/identity.key.pub'), path.join(dir, `${site}.pub`));
    }
    // 2. the operator: CA, coordinator certificate and tokens; a certificate per request; the roster
    const certs = accord(
      ['certs', '--ca-only', '--sites', sites.join(','), '--host', 'localhost', '--out', 'certs'],
      dir,
    );
    expect(certs.status, certs.stderr).toBe(0);
    for (const site of sites) {
      const signed = accord(
        ['certs', 'sign', '--ca-dir', 'certs', '--csr', `${site}.csr`, '--out', `certs/${site}/site.pem`],
        dir,
      );
      expect(signed.status, signed.stderr).toBe(0);
    }
    const roster = accord(['roster', '--out', 'roster.yaml', ...sites.map((s) => `${s}=${s}.pub`)], dir);
    expect(roster.status, roster.stderr).toBe(0);
    // No private key ever reached the operator.
    for (const f of fs.readdirSync(dir)) expect(f.endsWith('.key') && f.startsWith('identity')).toBe(false);
    for (const site of sites) {
      fs.cpSync(path.join(dir, 'certs', site), path.join(hospital(site), 'certs', site), { recursive: true });
      fs.copyFileSync(path.join(dir, 'roster.yaml'), path.join(hospital(site), 'roster.yaml'));
    }
    // 3. the coordinator
    children.push(
      spawnAccord(
        'coordinator',
        [
          'coordinator',
          ...['--redis', redis.url, '--grpc', `0.0.0.0:${port}`, '--store', './accord-store'],
          ...['--tokens', 'certs/tokens.yaml', '--tls-cert', 'certs/coordinator.pem'],
          ...['--tls-key', 'certs/coordinator.key', '--tls-client-ca', 'certs/ca.pem', '--roster', 'roster.yaml'],
        ],
        dir,
        {},
        dir,
      ),
    );
    // 4. each hospital: check its file, then join with its certificate, identity, roster and policy
    for (const site of sites) {
      const data = HEART_DISEASE.sites[site];
      const check = accord(['check-data', '--config', 'examples/heart-disease.yaml', '--data', data], hospital(site));
      expect(check.status, check.stderr).toBe(0);
      children.push(
        spawnAccord(
          `worker-${site}`,
          [
            'worker',
            ...['--coordinator', `localhost:${port}`, '--site', site, '--data', data],
            ...['--token-file', `certs/${site}/token`, '--tls-ca', `certs/${site}/ca.pem`],
            ...['--tls-cert', `certs/${site}/site.pem`, '--tls-key', 'site/site.key'],
            ...['--identity', 'site/identity.key', '--roster', 'roster.yaml', '--policy', 'examples/site-policy.yaml'],
            ...['--approvals', 'site/approvals', '--audit', 'site/audit.jsonl'],
          ],
          dir,
          {},
          hospital(site),
        ),
      );
    }
    // 5. the researcher submits
    const submit = accord(['submit', 'examples/heart-disease.yaml', '--redis', redis.url], dir);
    expect(submit.status, submit.stderr).toBe(0);
    const id = submit.stdout.trim();
    // 6. a person at each hospital approves the manifest its worker was offered
    for (const site of sites) {
      const pending = await firstFile(path.join(hospital(site), 'site/approvals/pending'), 120_000);
      const approve = accord(
        [
          'approve',
          path.relative(hospital(site), pending),
          ...['--site', site, '--identity', 'site/identity.key', '--roster', 'roster.yaml'],
          ...['--approvals', 'site/approvals', '--yes'],
        ],
        hospital(site),
      );
      expect(approve.status, approve.stderr).toBe(0);
      expect(approve.stdout).toContain('will release');
    }
    // 7. follow, report, verify
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
      trust: { approvals: { site: string; how: string }[] };
    };
    expect(report.rounds).toHaveLength(20);
    expect(report.final.meanSiteAccuracy).toBeGreaterThan(0.75);
    expect(report.trust.approvals.map((a) => [a.site, a.how])).toEqual(sites.map((s) => [s, 'manual']));
    expect(fs.existsSync(path.join(dir, 'accord-store', id, 'model', 'model.json'))).toBe(true);
    const verify = accord(['verify', `accord-store/${id}/report.json`, '--roster', 'roster.yaml'], dir);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('approvals: 4 valid');
    for (const site of sites) {
      const audit = accord(['audit', 'verify', 'site/audit.jsonl'], hospital(site));
      expect(audit.status, audit.stderr).toBe(0);
    }
  });
});
