// Ed25519 signatures for the consistency check of Bonawitz et al. 2017: every surviving client signs
// the survivor set it was shown, and reveals nothing unless t clients signed that same set. A site signs
// with its identity key (shared/trust/identity.ts), which its peers check against their roster.
import { generateIdentity, type Identity, signAs, verifyAs } from '../trust/identity.js';

/** A client's signing keys: its identity, or (benchmarks, protocol tests) a fresh pair per round. */
export type SigningKeys = Identity;

export const generateSigningKeys: () => SigningKeys = generateIdentity;

const DOMAIN = 'secagg/survivors';

/** What a client signs: the round's context and the survivor set, in one canonical order. */
function survivorPayload(context: string, round: number, survivors: readonly string[]): string {
  return `${context}\n${round}\n${[...survivors].sort().join('\n')}`;
}

export function signSurvivors(keys: SigningKeys, context: string, round: number, survivors: readonly string[]): Buffer {
  return signAs(keys, DOMAIN, survivorPayload(context, round, survivors));
}

export function verifySurvivors(
  publicKey: Uint8Array,
  signature: Uint8Array,
  context: string,
  round: number,
  survivors: readonly string[],
): boolean {
  return verifyAs(publicKey, DOMAIN, survivorPayload(context, round, survivors), signature);
}
