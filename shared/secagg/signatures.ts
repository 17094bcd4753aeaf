// Ed25519 signatures (node:crypto) for the consistency check of Bonawitz et al. 2017: every surviving
// client signs the survivor set it was shown, and reveals nothing unless t clients signed that same set.
import crypto from 'node:crypto';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKeys {
  /** Raw 32-byte Ed25519 public key, advertised with the client's other keys. */
  publicKey: Buffer;
  privateKey: crypto.KeyObject;
}

export function generateSigningKeys(): SigningKeys {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return { publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32), privateKey };
}

/** What a client signs: the round's context and the survivor set, in one canonical order. */
function survivorMessage(context: string, round: number, survivors: readonly string[]): Buffer {
  return Buffer.from(`accord/secagg/survivors\n${context}\n${round}\n${[...survivors].sort().join('\n')}`, 'utf8');
}

export function signSurvivors(keys: SigningKeys, context: string, round: number, survivors: readonly string[]): Buffer {
  return crypto.sign(null, survivorMessage(context, round, survivors), keys.privateKey);
}

export function verifySurvivors(
  publicKey: Uint8Array,
  signature: Uint8Array,
  context: string,
  round: number,
  survivors: readonly string[],
): boolean {
  if (publicKey.byteLength !== 32 || signature.byteLength !== 64) return false;
  const key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return crypto.verify(null, survivorMessage(context, round, survivors), key, signature);
}
