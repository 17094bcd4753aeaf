// A site's approval of a manifest: signed with its identity key, sent to the coordinator, carried in
// the report, and checked offline by `accord verify` against the roster.
import { z } from 'zod';
import { canonicalJson } from './canonical.js';
import { type Identity, parsePublicKey, publicKeyText, signAs, verifyAs } from './identity.js';

export const approvalSchema = z
  .object({
    site: z.string().min(1),
    experimentId: z.string().min(1),
    manifestHash: z.string().regex(/^[0-9a-f]{64}$/),
    /** `policy`: the site's policy approved it; `manual`: a person did, with accord approve. */
    how: z.enum(['policy', 'manual']),
    approvedAt: z.string().min(1),
    /** The identity key that signed, `ed25519:<base64>`. */
    publicKey: z.string().min(1),
    /** Ed25519 signature (base64) over the canonical JSON of the fields above. */
    signature: z.string().min(1),
  })
  .strict();

export type Approval = z.infer<typeof approvalSchema>;

const DOMAIN = 'approval';

function signedPart(a: Omit<Approval, 'signature'>): string {
  return canonicalJson(a);
}

export function signApproval(
  id: Identity,
  site: string,
  terms: { hash: string; manifest: { experimentId: string } },
  how: Approval['how'],
  at = new Date(),
): Approval {
  const body = {
    site,
    experimentId: terms.manifest.experimentId,
    manifestHash: terms.hash,
    how,
    approvedAt: at.toISOString(),
    publicKey: publicKeyText(id.publicKey),
  };
  return { ...body, signature: signAs(id, DOMAIN, signedPart(body)).toString('base64') };
}

/** Why `a` is not a valid approval of `manifestHash` by the holder of `rosterKey`, or undefined when it is. */
export function approvalProblem(
  a: Approval,
  rosterKey: Uint8Array | undefined,
  manifestHash?: string,
): string | undefined {
  if (!rosterKey) return `${a.site} is not on the roster`;
  const key = parsePublicKey(a.publicKey);
  if (!key?.equals(Buffer.from(rosterKey))) return `${a.site}'s approval is signed by a key that is not its roster key`;
  if (manifestHash !== undefined && a.manifestHash !== manifestHash)
    return `${a.site} approved manifest ${a.manifestHash.slice(0, 16)}, not ${manifestHash.slice(0, 16)}`;
  const { signature, ...body } = a;
  if (!verifyAs(key, DOMAIN, signedPart(body), Buffer.from(signature, 'base64')))
    return `${a.site}'s approval signature does not verify`;
  return undefined;
}
