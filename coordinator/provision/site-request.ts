// What a site makes for itself before it joins a federation (`accord identity`): its Ed25519 identity
// key, its TLS key, and a certificate request for the operator to sign. The private keys are written
// here, mode 600, and never leave the site; the operator gets site.csr and identity.key.pub only.
import fs from 'node:fs';
import path from 'node:path';
// @peculiar/x509 resolves its parts through tsyringe, which needs the reflect-metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { ConfigError } from '../../shared/errors/index.js';
import { SITE_ID, SITE_RULE } from '../../shared/protocol/site-id.js';
import { fingerprint, generateIdentity, saveIdentity } from '../../shared/trust/identity.js';
// Importing it also sets the WebCrypto provider @peculiar/x509 uses.
import { ALG, newKeys, privateKeyPem } from './certificates.js';

export interface SiteRequestFiles {
  /** DIR/identity.key (private, mode 600) and DIR/identity.key.pub. */
  identityKey: string;
  identityPub: string;
  /** DIR/site.key (private, mode 600) and DIR/site.csr. */
  tlsKey: string;
  csr: string;
  /** Fingerprint of the identity public key (fingerprint()), for the operator to compare. */
  fingerprint: string;
}

/** The files a site request is made of, in `dir`. */
export function siteRequestFiles(dir: string): Omit<SiteRequestFiles, 'fingerprint'> {
  return {
    identityKey: path.join(dir, 'identity.key'),
    identityPub: path.join(dir, 'identity.key.pub'),
    tlsKey: path.join(dir, 'site.key'),
    csr: path.join(dir, 'site.csr'),
  };
}

/**
 * Makes a site's identity key, TLS key and certificate request (CN = the site) in `dir`. Refuses when
 * either key is there already: a site's identity is made once, and overwriting it would orphan the roster
 * entry and certificate made from it.
 */
export async function makeSiteRequest(site: string, dir: string): Promise<SiteRequestFiles> {
  if (!SITE_ID.test(site)) throw new ConfigError(`--site: ${JSON.stringify(site)}: ${SITE_RULE}`);
  const files = siteRequestFiles(dir);
  for (const f of [files.identityKey, files.tlsKey])
    if (fs.existsSync(f))
      throw new ConfigError(`${f} exists: refusing to overwrite a site's key (move it away to make a new identity)`);
  fs.mkdirSync(dir, { recursive: true });
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${site}`,
    keys,
    signingAlgorithm: ALG,
  });
  const identity = generateIdentity();
  // The TLS key first, exclusively (wx): a second run racing this one fails rather than overwrites.
  fs.writeFileSync(files.tlsKey, await privateKeyPem(keys.privateKey), { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(files.csr, csr.toString('pem'));
  saveIdentity(files.identityKey, identity);
  return { ...files, fingerprint: fingerprint(identity.publicKey) };
}
