// Signed apps: a reviewer (the consortium's, a hospital's) signs an app's digest with an Ed25519
// identity key (`accord identity`), and a site's policy may run any app signed by a key it lists
// (apps.signers) instead of listing each digest. Signatures sit in the app folder in one file that is
// not part of the digest (signing does not change what is signed), travel in the experiment's model
// config, so they are part of the manifest a site approves, and are checked at the site.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { type Identity, parsePublicKey, publicKeyText, signAs, verifyAs } from '../trust/identity.js';

/** The file in an app folder that holds its signatures (left out of the digest and the bundle). */
export const APP_SIGNATURES_FILE = 'accord-signatures.json';

/** The purpose an app signature is made for: never valid as any other signature of the identity. */
const DOMAIN = 'app-digest';

export const appSignatureSchema = z
  .object({
    /** The signer's public key, as rosters write it: ed25519:<base64>. */
    signer: z.string().min(1).max(200),
    /** Ed25519 signature (base64) of the app's digest. */
    signature: z.string().min(1).max(200),
  })
  .strict();

export type AppSignature = z.infer<typeof appSignatureSchema>;

/** `id`'s signature of app digest `digest`. */
export function signApp(id: Identity, digest: string): AppSignature {
  return { signer: publicKeyText(id.publicKey), signature: signAs(id, DOMAIN, digest).toString('base64') };
}

/** Whether `sig` is a valid signature of `digest` by the key it names. */
export function verifyAppSignature(sig: AppSignature, digest: string): boolean {
  const key = parsePublicKey(sig.signer);
  if (!key) return false;
  return verifyAs(key, DOMAIN, digest, Buffer.from(sig.signature, 'base64'));
}

/** The signatures in app folder `dir` (none when it has no signatures file); a bad file is a ConfigError. */
export function readAppSignatures(dir: string): AppSignature[] {
  const file = path.join(dir, APP_SIGNATURES_FILE);
  if (!fs.existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = z.array(appSignatureSchema).max(16).safeParse(raw);
  if (!r.success) throw new ConfigError(`${file}: a list of at most 16 {signer, signature} entries is expected`);
  return r.data;
}

/**
 * The signatures of `dir` that are valid for `digest`; one that is not (made for an earlier version of
 * the app, say) is a ConfigError naming its signer, so a stale signature is noticed before submit.
 */
export function checkedAppSignatures(dir: string, digest: string): AppSignature[] {
  const sigs = readAppSignatures(dir);
  for (const s of sigs)
    if (!verifyAppSignature(s, digest))
      throw new ConfigError(
        `${path.join(dir, APP_SIGNATURES_FILE)}: the signature by ${s.signer} is not valid for this app (digest sha256:${digest}); sign it again (accord app sign)`,
      );
  return sigs;
}

/** Adds `sig` to the folder's signatures file (replacing an earlier one by the same signer). */
export function addAppSignature(dir: string, sig: AppSignature): void {
  const kept = readAppSignatures(dir).filter((s) => s.signer !== sig.signer);
  fs.writeFileSync(path.join(dir, APP_SIGNATURES_FILE), `${JSON.stringify([...kept, sig], null, 2)}\n`);
}
