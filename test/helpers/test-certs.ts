// Certificates for TLS tests, made with openssl for one test only: a CA, the coordinator's certificate
// (localhost, 127.0.0.1), a site's certificate (common name: the site) signed by that CA, and a rogue
// one for the same site signed by another CA.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCerts {
  dir: string;
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  siteCert: Buffer;
  siteKey: Buffer;
  /** A certificate for the same site from a CA the coordinator does not know. */
  rogueCert: Buffer;
  rogueKey: Buffer;
  /** The file of each, by the same names: ca.pem, server.pem, server.key, site.pem, site.key, rogue.pem, rogue.key. */
  file: (name: string) => string;
}

export function makeCerts(dir: string, site = 'cleveland'): TestCerts {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string, cn: string) =>
    run(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`].concat([
        '-days',
        '2',
        '-subj',
        `/CN=${cn}`,
      ]),
    );
  ca('ca', 'accord-test-ca');
  ca('other-ca', 'another-ca');
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const signed = (who: string, cn: string, by: string) => {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${cn}`]);
    run(
      ['x509', '-req', '-in', `${who}.csr`, '-CA', `${by}.pem`, '-CAkey', `${by}.key`, '-CAcreateserial'].concat([
        '-out',
        `${who}.pem`,
        '-days',
        '2',
        '-extfile',
        'san.cnf',
      ]),
    );
  };
  signed('server', 'localhost', 'ca');
  signed('site', site, 'ca');
  signed('rogue', site, 'other-ca');
  const file = (name: string) => path.join(dir, name);
  const f = (name: string) => fs.readFileSync(file(name));
  return {
    dir,
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    siteCert: f('site.pem'),
    siteKey: f('site.key'),
    rogueCert: f('rogue.pem'),
    rogueKey: f('rogue.key'),
    file,
  };
}
