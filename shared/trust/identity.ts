// A site's long-term identity: an Ed25519 key pair made at the site (`accord identity`), whose private
// half never leaves it. Everything the site vouches for (its round keys, survivor sets, approvals, its
// audit chain head) is signed with it; peers and auditors check against the roster's public key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TrustError } from '../errors/index.js';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PUBLIC_PREFIX = 'ed25519:';

/** Same shape as the secure-aggregation signing keys, so an identity signs survivor sets directly. */
export interface Identity {
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  privateKey: crypto.KeyObject;
}

export function generateIdentity(): Identity {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return { publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32), privateKey };
}

/** The public key as roster files write it: `ed25519:<base64>`. */
export function publicKeyText(publicKey: Uint8Array): string {
  return `${PUBLIC_PREFIX}${Buffer.from(publicKey).toString('base64')}`;
}

/** A roster entry's public key; undefined when it is not `ed25519:` and 32 bytes of base64. */
export function parsePublicKey(text: string): Buffer | undefined {
  if (!text.startsWith(PUBLIC_PREFIX)) return undefined;
  const raw = Buffer.from(text.slice(PUBLIC_PREFIX.length), 'base64');
  return raw.byteLength === 32 && raw.toString('base64') === text.slice(PUBLIC_PREFIX.length) ? raw : undefined;
}

/** Short, stable name of a key for logs and listings (first 16 hex digits of its SHA-256). */
export function fingerprint(publicKey: Uint8Array): string {
  return crypto.createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

/** Writes the private key (PKCS#8 PEM, mode 600) and the public key beside it (`<file>.pub`). */
export function saveIdentity(file: string, id: Identity): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const pem = id.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  fs.writeFileSync(file, pem, { mode: 0o600 });
  fs.writeFileSync(`${file}.pub`, `${publicKeyText(id.publicKey)}\n`);
}

/** The identity in `file` (a PKCS#8 PEM Ed25519 key); an error names the file and the problem. */
export function loadIdentity(file: string): Identity {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TrustError('BAD_IDENTITY', `identity key ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(pem);
  } catch {
    throw new TrustError('BAD_IDENTITY', `identity key ${file}: not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new TrustError(
      'BAD_IDENTITY',
      `identity key ${file}: an ${privateKey.asymmetricKeyType} key; identities are Ed25519 (make one with accord identity)`,
    );
  const publicKey = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  return { publicKey, privateKey };
}

/**
 * Signs `payload` for one purpose: the domain is part of what is signed, so a signature made for one
 * purpose (an approval, say) is never valid for another (a round key).
 */
export function signAs(id: Identity, domain: string, payload: string | Uint8Array): Buffer {
  return crypto.sign(null, Buffer.concat([Buffer.from(`accord/${domain}\n`), Buffer.from(payload)]), id.privateKey);
}

export function verifyAs(
  publicKey: Uint8Array,
  domain: string,
  payload: string | Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.byteLength !== 32 || signature.byteLength !== 64) return false;
  const key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return crypto.verify(null, Buffer.concat([Buffer.from(`accord/${domain}\n`), Buffer.from(payload)]), key, signature);
}
