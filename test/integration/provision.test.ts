// Provisioning where each site makes its own secrets: a site runs `accord identity`, the operator runs
// `accord certs --ca-only`, signs the site's request (`accord certs sign`) and builds the roster from the
// sites' public keys (`accord roster`). The operator never holds a site's key, and the signed certificate
// connects a real worker over mutual TLS.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/server.js';
import { TokenBook } from '../../coordinator/sessions/auth.js';
import { createLogger } from '../../shared/log/logger.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { fingerprint, loadIdentity, publicKeyText } from '../../shared/trust/identity.js';
import { Roster } from '../../shared/trust/roster.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { AccordWorker } from '../../worker/client.js';
import { usePrivateRedis } from '../helpers/federation.js';
import { withTimeout } from '../helpers/wait-log.js';

function accord(args: string[]) {
  const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** A PEM's base64 body on one line, so a copy is found whatever its line breaks. */
const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

describe('provisioning with site-made keys', () => {
  const db = usePrivateRedis({ beforeAll, afterAll });
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-provision-'));
  const site = path.join(root, 'cleveland-site');
  const op = path.join(root, 'operator');
  const signed = path.join(op, 'cleveland', 'site.pem');

  it('a site makes its keys, the operator signs its request and builds the roster without ever holding them', () => {
    // At the site.
    const id = accord(['identity', '--site', 'cleveland', '--out', site]);
    expect(id.code, id.stderr).toBe(0);
    for (const f of ['identity.key', 'site.key']) expect(fs.statSync(path.join(site, f)).mode & 0o077).toBe(0);
    const identity = loadIdentity(path.join(site, 'identity.key'));
    expect(fs.readFileSync(path.join(site, 'identity.key.pub'), 'utf8').trim()).toBe(publicKeyText(identity.publicKey));
    expect(id.stdout).toContain(path.join(site, 'site.csr'));
    expect(id.stdout).toContain(path.join(site, 'identity.key.pub'));
    expect(id.stdout).toContain(`identity fingerprint: ${fingerprint(identity.publicKey)}`);

    // At the operator: the CA, the coordinator's certificate and the tokens only.
    const ca = accord(['certs', '--sites', 'cleveland,hungary', '--ca-only', '--out', op]);
    expect(ca.code, ca.stderr).toBe(0);
    expect(fs.existsSync(path.join(op, 'tokens.yaml'))).toBe(true);
    expect(fs.readFileSync(path.join(op, 'cleveland', 'token'), 'utf8').trim()).toMatch(/^[0-9a-f]{48}$/);
    expect(filesUnder(op).filter((f) => /site\.key|identity\.key|roster\.yaml/.test(f))).toEqual([]);

    const sign = accord(['certs', 'sign', '--ca-dir', op, '--csr', path.join(site, 'site.csr'), '--out', signed]);
    expect(sign.code, sign.stderr).toBe(0);
    const caCert = new crypto.X509Certificate(fs.readFileSync(path.join(op, 'ca.pem')));
    const cert = new crypto.X509Certificate(fs.readFileSync(signed));
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=cleveland');
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    // The certificate carries the site's own TLS key.
    const siteKey = crypto.createPrivateKey(fs.readFileSync(path.join(site, 'site.key')));
    expect(cert.checkPrivateKey(siteKey)).toBe(true);

    const rosterFile = path.join(op, 'roster.yaml');
    const r = accord(['roster', '--out', rosterFile, `cleveland=${path.join(site, 'identity.key.pub')}`]);
    expect(r.code, r.stderr).toBe(0);
    const roster = Roster.load(rosterFile);
    expect(roster.sites).toEqual(['cleveland']);
    expect(roster.keyOf('cleveland')?.equals(identity.publicKey)).toBe(true);
    expect(r.stdout).toContain(`roster hash: ${roster.hash}`);

    // Neither private key is in anything the operator has or printed.
    const secrets = ['identity.key', 'site.key'].map((f) => pemBody(fs.readFileSync(path.join(site, f), 'utf8')));
    const operatorText = [...filesUnder(op).map((f) => fs.readFileSync(f, 'utf8')), ca.stdout, sign.stdout, r.stdout];
    for (const text of [...operatorText, id.stdout])
      for (const secret of secrets) expect(pemBody(text)).not.toContain(secret);
  });

  it('refuses to overwrite an identity, a request with a bad name, and a bad roster entry: one line, exit 2', () => {
    const before = fs.readFileSync(path.join(site, 'identity.key'), 'utf8');
    const again = accord(['identity', '--site', 'cleveland', '--out', site]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain(`${path.join(site, 'identity.key')} exists`);
    expect(fs.readFileSync(path.join(site, 'identity.key'), 'utf8')).toBe(before);

    // A request whose common name is not a site name, made with openssl's own key and request.
    const bad = path.join(root, 'bad.csr');
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(path.join(root, 'bad.key'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const req = spawnSync('openssl', [
      'req',
      '-new',
      '-key',
      path.join(root, 'bad.key'),
      '-out',
      bad,
      '-subj',
      '/CN=cleveland clinic',
    ]);
    expect(req.status, req.stderr?.toString()).toBe(0);
    const out = path.join(root, 'bad.pem');
    const refused = accord(['certs', 'sign', '--ca-dir', op, '--csr', bad, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`${bad}: common name "cleveland clinic" is not a site name`);
    expect(fs.existsSync(out)).toBe(false);

    // A request altered after it was signed: its signature no longer verifies.
    const csr = fs.readFileSync(path.join(site, 'site.csr'), 'utf8');
    const der = Buffer.from(pemBody(csr), 'base64');
    const at = der.indexOf('cleveland');
    der.write('clevelanX', at);
    const altered = path.join(root, 'altered.csr');
    fs.writeFileSync(
      altered,
      `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`,
    );
    const tampered = accord(['certs', 'sign', '--ca-dir', op, '--csr', altered, '--out', out]);
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toMatch(/altered\.csr: the request's signature does not verify/);

    const pub = path.join(site, 'identity.key.pub');
    const roster = path.join(root, 'never.yaml');
    for (const [entries, message] of [
      [[`cleveland=${pub}`, `cleveland=${pub}`], 'site cleveland is named twice'],
      [[`cleveland=${pub}`, `hungary=${pub}`], `hungary: ${pub} is the same key as cleveland's`],
      [[`no/such=${pub}`], '"no/such" is not a site name'],
      [[`cleveland=${path.join(site, 'missing.pub')}`], 'missing.pub: ENOENT'],
      [[`cleveland=${path.join(site, 'identity.key')}`], 'is a private key'],
      [[`cleveland=${path.join(site, 'site.csr')}`], 'site.csr is not an identity public key'],
    ] as const) {
      const res = accord(['roster', '--out', roster, ...entries]);
      expect(res.code, entries.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toContain(message);
    }
    expect(fs.existsSync(roster)).toBe(false);
  });

  it('a worker connects over mTLS with the certificate signed from its request', async () => {
    const read = (...p: string[]) => fs.readFileSync(path.join(...p));
    const coordinator = new Coordinator({
      redisUrl: db.url,
      grpcAddress: '127.0.0.1:0',
      storeDir: fs.mkdtempSync(path.join(os.tmpdir(), 'accord-provision-store-')),
      tokens: TokenBook.fromFile(path.join(op, 'tokens.yaml')),
      instance: 'provision',
      selectPollMs: 100,
      log: createLogger('coordinator', 'silent'),
      tls: { cert: read(op, 'coordinator.pem'), key: read(op, 'coordinator.key'), clientCa: read(op, 'ca.pem') },
    });
    await coordinator.start();
    stops.push(() => coordinator.stop());
    const worker = new AccordWorker({
      coordinator: `localhost:${coordinator.port}`,
      site: 'cleveland',
      token: read(op, 'cleveland', 'token').toString().trim(),
      dataFile: HEART_DISEASE.sites.cleveland,
      // What the site has: ca.pem and site.pem from the operator, its own site.key.
      tls: { ca: read(op, 'ca.pem'), cert: read(signed), key: read(site, 'site.key') },
      log: createLogger('cleveland', 'silent'),
    });
    stops.push(() => worker.stop());
    void worker.run();
    await withTimeout(worker.ready, 60_000, 'the site to connect over mTLS');
  });
});
