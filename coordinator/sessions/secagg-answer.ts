// Checks a site's answer to one secure-aggregation stage and turns it into the JSON-safe form
// BullMQ keeps: keys of the right size, shares only from the site itself, bounded counts and sizes.
import type { SecAggStage } from '../../shared/config/schema.js';
import { ProtocolError } from '../../shared/errors/index.js';
import type { WorkerMessage__Output } from '../../shared/protocol/load.js';
import type { SecAggAnswer } from './task.js';

const isRevealKind = (k: string): k is 'self-seed' | 'mask-key' => k === 'self-seed' || k === 'mask-key';

/** Bounds on what one stage answer may carry. */
const MAX_SHARES = 4096;
const MAX_SEALED_BYTES = 1024;

/** The answer of `site` to `stage` (not masked-input, which is answered by an upload). */
export function validateSecAggAnswer(
  site: string,
  stage: Exclude<SecAggStage, 'masked-input'>,
  r: NonNullable<WorkerMessage__Output['secaggResponse']>,
): SecAggAnswer {
  if (r.shares.length > MAX_SHARES || r.revealed.length > MAX_SHARES)
    throw new ProtocolError(`stage ${stage}: too many shares`, 'TOO_LARGE');
  const b64 = (b: Buffer) => b.toString('base64');
  if (stage === 'advertise-keys') {
    if (r.cPk.byteLength !== 32 || r.sPk.byteLength !== 32 || r.gPk.byteLength !== 32)
      throw new ProtocolError('advertise-keys: public keys must be 32 bytes', 'BAD_KEYS');
    // The coordinator cannot check it (it holds no roster); the peers do, against theirs.
    if (r.keySignature.byteLength !== 64)
      throw new ProtocolError(
        'advertise-keys: the identity signature over the round keys must be 64 bytes',
        'BAD_KEYS',
      );
    return { stage, cPk: b64(r.cPk), sPk: b64(r.sPk), gPk: b64(r.gPk), keySignature: b64(r.keySignature) };
  } else if (stage === 'consistency-check') {
    if (r.signature.byteLength !== 64)
      throw new ProtocolError('consistency-check: signatures are 64 bytes', 'BAD_KEYS');
    return { stage, signature: b64(r.signature) };
  } else if (stage === 'share-keys') {
    const shares = r.shares.map((x) => {
      // A site can only speak for itself: shares it relays must come from it.
      if (x.from !== site)
        throw new ProtocolError(`share-keys: ${site} sent a share claiming to be from ${x.from}`, 'FORGED_SENDER');
      if (x.sealed.byteLength > MAX_SEALED_BYTES)
        throw new ProtocolError('share-keys: sealed share too large', 'TOO_LARGE');
      return { from: x.from, to: x.to, sealed: b64(x.sealed) };
    });
    if (r.seedCommitment.byteLength !== 32)
      throw new ProtocolError('share-keys: the seed commitment must be 32 bytes', 'BAD_SHARE');
    return { stage, shares, commitment: b64(r.seedCommitment) };
  } else {
    // masked-input was refused above (it is answered by an upload), so this is unmasking.
    const revealed = r.revealed.map((x) => {
      const kind = x.kind;
      if (!isRevealKind(kind)) throw new ProtocolError(`unmasking: unknown share kind "${kind}"`, 'BAD_SHARE');
      if (x.share.byteLength !== 33) throw new ProtocolError('unmasking: shares are 33 bytes', 'BAD_SHARE');
      return { owner: x.owner, kind, share: b64(x.share) };
    });
    return { stage: 'unmasking', revealed };
  }
}
