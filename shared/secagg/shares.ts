// t-of-n Shamir shares through the audited `shamir-secret-sharing` library, and AES-256-GCM
// encryption of each share to its peer, bound to (experiment, round, sender, receiver).
import crypto from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { ProtocolError } from '../errors/index.js';

/** Splits a secret into `n` shares, any `t` of which rebuild it. */
export async function splitSecret(secret: Uint8Array, n: number, t: number): Promise<Uint8Array[]> {
  if (n < 2) throw new RangeError(`need at least 2 shares, got ${n}`);
  if (t < 2 || t > n) throw new RangeError(`threshold ${t} must be in 2..${n}`);
  return split(Uint8Array.from(secret), n, t); // the library wants a plain Uint8Array, not a Buffer
}

/**
 * Rebuilds a secret. The library returns a wrong secret silently when given fewer than t shares, so
 * the count is checked here: fewer than `t` distinct shares is an error, never a guess.
 */
export async function combineShares(shares: Uint8Array[], t: number, what: string): Promise<Uint8Array> {
  const distinct = new Map<number, Uint8Array>();
  for (const s of shares) distinct.set(s[s.length - 1]!, s);
  if (distinct.size < t)
    throw new ProtocolError(`${what}: ${distinct.size} distinct shares, ${t} needed`, 'TOO_FEW_SHARES');
  return combine([...distinct.values()].slice(0, Math.max(t, 2)).map((s) => Uint8Array.from(s)));
}

export function shareAad(experiment: string, round: number, sender: string, receiver: string): Buffer {
  return Buffer.from(`accord/secagg/share|${experiment}|${round}|${sender}->${receiver}`, 'utf8');
}

/** nonce (12) | ciphertext | tag (16) */
export function encryptShare(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

export function decryptShare(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array, what: string): Buffer {
  if (sealed.byteLength < 12 + 16) throw new ProtocolError(`${what}: sealed share too short`, 'BAD_SHARE');
  const nonce = sealed.subarray(0, 12);
  const tag = sealed.subarray(sealed.byteLength - 16);
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(sealed.subarray(12, sealed.byteLength - 16)), d.final()]);
  } catch {
    throw new ProtocolError(
      `${what}: share failed authentication (tampered, replayed, or addressed to someone else)`,
      'SHARE_AUTH_FAILED',
    );
  }
}
