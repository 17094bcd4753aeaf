// Provisioning a federation's identities (what NVFlare's provisioning does): a federation CA, one
// certificate for the coordinator and one per site whose common name is the site's name, and one token
// per site. Under mTLS the coordinator refuses a Hello whose site differs from its certificate's name.
// Certificates are ECDSA P-256, made with @peculiar/x509 over Node's WebCrypto.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// @peculiar/x509 resolves its parts through tsyringe, which needs the reflect-metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import YAML from 'yaml';
import { ConfigError } from '../../shared/errors/index.js';
import { SITE_ID } from '../sessions/validate.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const webcrypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

export interface ProvisionOptions {
  /** Directory the files are written to (created; files are mode 600 except certificates). */
  out: string;
  /** Site names: each gets a certificate, a key and a token. */
  sites: string[];
  /** Names and addresses the coordinator is reached at (DNS names or IPs). localhost and 127.0.0.1 always. */
  hosts: string[];
  /** Validity of every certificate. Default 365 days. */
  days?: number;
}

export interface Provisioned {
  ca: string;
  coordinator: { cert: string; key: string };
  sites: Record<string, { cert: string; key: string; token: string }>;
  tokens: string;
}

async function pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

const newKeys = () => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
const serial = () =>
  crypto
    .randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '1');
const isIp = (h: string) => /^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':');

/** Makes the CA, the coordinator's and every site's certificate, and one token per site, in `out`. */
export async function provision(opts: ProvisionOptions): Promise<Provisioned> {
  const bad = opts.sites.filter((s) => !SITE_ID.test(s));
  if (bad.length) throw new ConfigError(`--sites: ${bad.join(', ')}: site names use letters, digits, _ . - (1-64)`);
  if (new Set(opts.sites).size !== opts.sites.length) throw new ConfigError('--sites: a site is named twice');
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (opts.days ?? 365) * 86_400_000);
  const caKeys = await newKeys();
  const caName = 'CN=Accord federation CA';
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const issue = async (cn: string, usage: x509.ExtendedKeyUsage, names: string[]) => {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        new x509.SubjectAlternativeNameExtension(
          names.map((n): x509.JsonGeneralName => ({ type: isIp(n) ? 'ip' : 'dns', value: n })),
        ),
      ],
    });
    return { cert: cert.toString('pem'), key: await pem(keys.privateKey) };
  };
  const hosts = [...new Set(['localhost', '127.0.0.1', ...opts.hosts])];
  const coordinator = await issue(hosts.find((h) => !isIp(h)) ?? 'localhost', x509.ExtendedKeyUsage.serverAuth, hosts);
  const sites: Provisioned['sites'] = {};
  for (const site of opts.sites)
    sites[site] = {
      ...(await issue(site, x509.ExtendedKeyUsage.clientAuth, [site])),
      token: crypto.randomBytes(24).toString('hex'),
    };
  const out: Provisioned = {
    ca: ca.toString('pem'),
    coordinator,
    sites,
    tokens: YAML.stringify(Object.fromEntries(Object.entries(sites).map(([s, v]) => [s, v.token]))),
  };
  write(opts.out, out, await pem(caKeys.privateKey));
  return out;
}

/** ca.pem (public), ca.key (keep offline), coordinator.pem/.key, tokens.yaml, and per site <site>/{ca.pem,site.pem,site.key,token}. */
function write(dir: string, p: Provisioned, caKey: string): void {
  const secret = (f: string, text: string) => fs.writeFileSync(f, text, { mode: 0o600 });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'ca.pem'), p.ca);
  secret(path.join(dir, 'ca.key'), caKey);
  fs.writeFileSync(path.join(dir, 'coordinator.pem'), p.coordinator.cert);
  secret(path.join(dir, 'coordinator.key'), p.coordinator.key);
  secret(path.join(dir, 'tokens.yaml'), p.tokens);
  for (const [site, s] of Object.entries(p.sites)) {
    const kit = path.join(dir, site);
    fs.mkdirSync(kit, { recursive: true });
    fs.writeFileSync(path.join(kit, 'ca.pem'), p.ca);
    fs.writeFileSync(path.join(kit, 'site.pem'), s.cert);
    secret(path.join(kit, 'site.key'), s.key);
    secret(path.join(kit, 'token'), `${s.token}\n`);
  }
}
