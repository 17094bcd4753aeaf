// A site's round keys for secure aggregation, vouched for by its identity key. A peer verifies the
// signature against its pinned roster before sharing anything: without it, a coordinator could hand
// every site keys it made itself and open every share (Bonawitz et al.'s active-adversary variant
// needs exactly this PKI, one the server does not control).
import { canonicalJson } from './canonical.js';
import { type Identity, signAs, verifyAs } from './identity.js';

export interface RoundKeys {
  /** The approved manifest the keys are for. */
  manifestHash: string;
  /** Experiment and attempt (shared/secagg/client.ts protocolContext). */
  context: string;
  round: number;
  site: string;
  cPk: Uint8Array;
  sPk: Uint8Array;
}

const DOMAIN = 'secagg-round-keys';

function payload(k: RoundKeys): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return canonicalJson({ ...k, cPk: b64(k.cPk), sPk: b64(k.sPk) });
}

export function signRoundKeys(id: Identity, k: RoundKeys): Buffer {
  return signAs(id, DOMAIN, payload(k));
}

export function verifyRoundKeys(identityKey: Uint8Array, k: RoundKeys, signature: Uint8Array): boolean {
  return verifyAs(identityKey, DOMAIN, payload(k), signature);
}
