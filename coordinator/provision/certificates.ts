// Provisioning a federation's identities (what NVFlare's provisioning does): a federation CA, one
// certificate for the coordinator and one per site whose common name is the site's name, and one token
// per site. Under mTLS the coordinator refuses a Hello whose site differs from its certificate's name.
// Certificates are ECDSA P-256, made with @peculiar/x509 over Node's WebCrypto.
//
// Two ways to provision. The lab way (`provision()` without caOnly) makes every key here, site keys
// included, and hands each site a kit. The real way keeps each site's secrets at the site: the operator
// makes only the CA, the coordinator's certificate and the tokens (`caOnly`); each site makes its own
// keys and a certificate request (`accord identity`, site-request.ts), and the operator signs the
// request (`signRequest()`) without ever holding the site's key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// @peculiar/x509 resolves its parts through tsyringe, which needs the reflect-metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import YAML from 'yaml';
import { ConfigError } from '../../shared/errors/index.js';
import { SITE_ID, SITE_RULE } from '../../shared/protocol/site-id.js';
import { generateIdentity, type Identity, saveIdentity } from '../../shared/trust/identity.js';
import { Roster } from '../../shared/trust/roster.js';

export const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const webcrypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

const DAY_MS = 86_400_000;

export interface ProvisionOptions {
  /** Directory the files are written to (created; files are mode 600 except certificates). */
  out: string;
  /** Site names: each gets a token, and unless caOnly a certificate, a key and an identity. */
  sites: string[];
  /** Names and addresses the coordinator is reached at (DNS names or IPs). localhost and 127.0.0.1 always. */
  hosts: string[];
  /** Validity of every certificate. Default 365 days. */
  days?: number;
  /**
   * Only the CA, the coordinator's certificate and the tokens: no site key is made here. Each site makes
   * its own (`accord identity`) and the operator signs its request (`signRequest`).
   */
  caOnly?: boolean;
}

export interface SiteKit {
  token: string;
  /** The site's TLS certificate and key; absent with caOnly. */
  cert?: string;
  key?: string;
  /** The site's Ed25519 identity; absent with caOnly. */
  identity?: Identity;
}

export interface Provisioned {
  ca: string;
  coordinator: { cert: string; key: string };
  sites: Record<string, SiteKit>;
  tokens: string;
  /** roster.yaml: every site's identity public key; absent with caOnly (built with `accord roster`). */
  roster?: string;
}

/** A private key as PKCS#8 PEM. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/** A fresh ECDSA P-256 key pair (extractable, so it can be written out). */
export const newKeys = () => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
const serial = () =>
  crypto
    .randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '1');
const isIp = (h: string) => /^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':');

interface Issuer {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

/** A leaf certificate for `cn`, signed by the CA: serverAuth for the coordinator, clientAuth for a site. */
async function issue(
  ca: Issuer,
  cn: string,
  publicKey: CryptoKey | x509.PublicKey,
  usage: x509.ExtendedKeyUsage,
  names: string[],
  notBefore: Date,
  notAfter: Date,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.key,
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
}

/** Makes the CA, the coordinator's certificate and one token per site, and unless caOnly every site's keys, in `out`. */
export async function provision(opts: ProvisionOptions): Promise<Provisioned> {
  const bad = opts.sites.filter((s) => !SITE_ID.test(s));
  if (bad.length) throw new ConfigError(`--sites: ${bad.join(', ')}: ${SITE_RULE}`);
  if (new Set(opts.sites).size !== opts.sites.length) throw new ConfigError('--sites: a site is named twice');
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (opts.days ?? 365) * DAY_MS);
  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Accord federation CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const issuer: Issuer = { cert: ca, key: caKeys.privateKey };
  const leaf = async (cn: string, usage: x509.ExtendedKeyUsage, names: string[]) => {
    const keys = await newKeys();
    const cert = await issue(issuer, cn, keys.publicKey, usage, names, notBefore, notAfter);
    return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
  };
  const hosts = [...new Set(['localhost', '127.0.0.1', ...opts.hosts])];
  const coordinator = await leaf(hosts.find((h) => !isIp(h)) ?? 'localhost', x509.ExtendedKeyUsage.serverAuth, hosts);
  const sites: Provisioned['sites'] = {};
  for (const site of opts.sites) {
    const token = crypto.randomBytes(24).toString('hex');
    sites[site] = opts.caOnly
      ? { token }
      : { ...(await leaf(site, x509.ExtendedKeyUsage.clientAuth, [site])), identity: generateIdentity(), token };
  }
  const out: Provisioned = {
    ca: ca.toString('pem'),
    coordinator,
    sites,
    tokens: YAML.stringify(Object.fromEntries(Object.entries(sites).map(([s, v]) => [s, v.token]))),
  };
  if (!opts.caOnly)
    out.roster = Roster.fromKeys(
      Object.fromEntries(Object.entries(sites).map(([s, v]) => [s, v.identity!.publicKey])),
    ).toYaml();
  write(opts.out, out, await privateKeyPem(caKeys.privateKey));
  return out;
}

/**
 * ca.pem (public), ca.key (keep offline), coordinator.pem/.key, tokens.yaml, and per site <site>/{ca.pem,token};
 * unless caOnly also <site>/{site.pem,site.key,identity.key,identity.key.pub} and roster.yaml.
 */
function write(dir: string, p: Provisioned, caKey: string): void {
  const secret = (f: string, text: string) => fs.writeFileSync(f, text, { mode: 0o600 });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'ca.pem'), p.ca);
  secret(path.join(dir, 'ca.key'), caKey);
  fs.writeFileSync(path.join(dir, 'coordinator.pem'), p.coordinator.cert);
  secret(path.join(dir, 'coordinator.key'), p.coordinator.key);
  secret(path.join(dir, 'tokens.yaml'), p.tokens);
  if (p.roster) fs.writeFileSync(path.join(dir, 'roster.yaml'), p.roster);
  for (const [site, s] of Object.entries(p.sites)) {
    const kit = path.join(dir, site);
    fs.mkdirSync(kit, { recursive: true });
    fs.writeFileSync(path.join(kit, 'ca.pem'), p.ca);
    secret(path.join(kit, 'token'), `${s.token}\n`);
    if (s.cert) fs.writeFileSync(path.join(kit, 'site.pem'), s.cert);
    if (s.key) secret(path.join(kit, 'site.key'), s.key);
    if (s.identity) saveIdentity(path.join(kit, 'identity.key'), s.identity);
  }
}

export interface SignOptions {
  /** Where `accord certs` wrote ca.pem and ca.key. */
  caDir: string;
  /** The site's certificate request (PEM), as `accord identity` writes site.csr. */
  csr: string;
  /** Names the request in errors (its file). */
  source: string;
  /** Validity of the certificate. Default 365 days, never past the CA's own end. */
  days?: number;
}

export interface Signed {
  site: string;
  /** The site's certificate (PEM), clientAuth, issued by the federation CA. */
  cert: string;
  notAfter: Date;
}

const CSR_PEM = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----/;

/**
 * Signs a site's certificate request with the federation CA, after checking the request's signature
 * (it was made with the key it carries) and that its common name is a site name. The certificate names
 * the site and nothing else the request asked for: its subject, extensions and usage are the CA's choice.
 */
export async function signRequest(opts: SignOptions): Promise<Signed> {
  const ca = await loadCa(opts.caDir);
  const src = opts.source;
  if (!CSR_PEM.test(opts.csr))
    throw new ConfigError(`${src}: not a PEM certificate request (expected -----BEGIN CERTIFICATE REQUEST-----)`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(opts.csr);
  } catch {
    throw new ConfigError(`${src}: not a readable certificate request (damaged PEM)`);
  }
  const cns = csr.subjectName.getField('CN');
  if (cns.length !== 1)
    throw new ConfigError(`${src}: the request names ${cns.length} common names; it must name exactly one, the site`);
  const site = cns[0]!;
  if (!SITE_ID.test(site))
    throw new ConfigError(`${src}: common name ${JSON.stringify(site)} is not a site name: ${SITE_RULE}`);
  checkKeyType(csr, src);
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid)
    throw new ConfigError(`${src}: the request's signature does not verify: it was altered or not made with its key`);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Math.min(Date.now() + (opts.days ?? 365) * DAY_MS, ca.cert.notAfter.getTime()));
  const cert = await issue(ca, site, csr.publicKey, x509.ExtendedKeyUsage.clientAuth, [site], notBefore, notAfter);
  // A ca.key that is not ca.pem's would sign certificates no coordinator accepts: say so here.
  if (!(await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true })))
    throw new ConfigError(`${path.join(opts.caDir, 'ca.key')}: not the key of ${path.join(opts.caDir, 'ca.pem')}`);
  return { site, cert: cert.toString('pem'), notAfter };
}

/** ECDSA (P-256, P-384, P-521) or RSA of at least 2048 bits: what TLS takes and is not weak. */
function checkKeyType(csr: x509.Pkcs10CertificateRequest, src: string): void {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new ConfigError(`${src}: the request's public key is not readable`);
  }
  const { modulusLength, namedCurve } = key.asymmetricKeyDetails ?? {};
  const ok =
    (key.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1', 'secp521r1'].includes(namedCurve ?? '')) ||
    (key.asymmetricKeyType === 'rsa' && (modulusLength ?? 0) >= 2048);
  if (!ok)
    throw new ConfigError(
      `${src}: the request's key is ${key.asymmetricKeyType}${namedCurve ? ` ${namedCurve}` : ''}${modulusLength ? ` ${modulusLength} bits` : ''}; expected ECDSA P-256/P-384/P-521 or RSA of 2048 bits or more (accord identity makes P-256)`,
    );
}

/** The CA as `accord certs` wrote it: CERTS/ca.pem and CERTS/ca.key (PKCS#8 ECDSA P-256). */
async function loadCa(dir: string): Promise<Issuer> {
  const read = (name: string) => {
    const file = path.join(dir, name);
    try {
      return { file, text: fs.readFileSync(file, 'utf8') };
    } catch (e) {
      throw new ConfigError(`--ca-dir: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  const pem = read('ca.pem');
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pem.text);
  } catch {
    throw new ConfigError(`${pem.file}: not a PEM certificate`);
  }
  const keyFile = read('ca.key');
  let key: CryptoKey;
  try {
    const der = crypto.createPrivateKey(keyFile.text).export({ format: 'der', type: 'pkcs8' });
    key = await webcrypto.subtle.importKey('pkcs8', der, { name: ALG.name, namedCurve: ALG.namedCurve }, false, [
      'sign',
    ]);
  } catch {
    throw new ConfigError(`${keyFile.file}: not an ECDSA P-256 private key (as accord certs writes ca.key)`);
  }
  if (Date.now() > cert.notAfter.getTime())
    throw new ConfigError(`${pem.file}: the CA expired on ${cert.notAfter.toISOString()}`);
  return { cert, key };
}
