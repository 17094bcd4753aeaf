// X25519 key pairs (node:crypto), key agreement and HKDF-SHA256 derivation of pairwise secrets.
import crypto from 'node:crypto';

// DER prefixes of raw 32-byte X25519 keys (RFC 8410): SPKI for public, PKCS#8 for private.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface KeyPair {
  publicKey: Buffer; // raw 32 bytes
  privateKey: Buffer; // raw 32 bytes
}

export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519');
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32),
  };
}

// Parsing DER into a KeyObject costs more than the agreement itself: keep one per key buffer.
const publicObjects = new WeakMap<Uint8Array, crypto.KeyObject>();
const privateObjects = new WeakMap<Uint8Array, crypto.KeyObject>();

function cachedKey(
  cache: WeakMap<Uint8Array, crypto.KeyObject>,
  raw: Uint8Array,
  what: 'public' | 'private',
  make: (der: Buffer) => crypto.KeyObject,
): crypto.KeyObject {
  let k = cache.get(raw);
  if (!k) {
    if (raw.byteLength !== 32) throw new RangeError(`X25519 ${what} keys are 32 bytes, got ${raw.byteLength}`);
    k = make(Buffer.concat([what === 'public' ? SPKI_PREFIX : PKCS8_PREFIX, raw]));
    cache.set(raw, k);
  }
  return k;
}

const publicKeyObject = (raw: Uint8Array) =>
  cachedKey(publicObjects, raw, 'public', (der) => crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }));
const privateKeyObject = (raw: Uint8Array) =>
  cachedKey(privateObjects, raw, 'private', (der) =>
    crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
  );

/** HKDF-SHA256(X25519(priv, pub), info) -> 32 bytes. `info` binds the purpose and the context. */
export function agree(privateKey: Uint8Array, publicKey: Uint8Array, info: string): Buffer {
  const shared = crypto.diffieHellman({
    privateKey: privateKeyObject(privateKey),
    publicKey: publicKeyObject(publicKey),
  });
  return Buffer.from(crypto.hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
}

/** Context string of a pair, the same from both ends. */
export function pairInfo(purpose: 'mask' | 'share', experiment: string, round: number, a: string, b: string): string {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return `accord/secagg/${purpose}|${experiment}|${round}|${lo}|${hi}`;
}

/** The public key of a raw private key: checks a reconstructed key against the advertised one. */
export function publicFromPrivate(privateKey: Uint8Array): Buffer {
  return crypto.createPublicKey(privateKeyObject(privateKey)).export({ format: 'der', type: 'spki' }).subarray(-32);
}
