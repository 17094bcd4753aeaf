// `accord app digest FOLDER` prints the digest a site's policy lists to run the app (apps.allow);
// `accord app sign FOLDER --identity FILE` adds a reviewer's signature of that digest to the folder, for
// sites that trust the reviewer's key (apps.signers). Both read the folder as submit does.
import path from 'node:path';
import type { Command } from 'commander';
import { appDigest, readAppFolder } from '../shared/apps/bundle.js';
import { APP_SIGNATURES_FILE, addAppSignature, signApp } from '../shared/apps/signature.js';
import { fingerprint, loadIdentity } from '../shared/trust/identity.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  const app = program.command('app').description(DESCRIPTIONS['app']);
  app
    .command('digest <folder>')
    .description("print the app's digest (sha256:<hex>), as a site lists it in its policy's apps.allow")
    .action(
      action(async (folder: string) => {
        const files = readAppFolder(folder);
        process.stdout.write(`sha256:${appDigest(files)}\n`);
      }),
    );
  app
    .command('sign <folder>')
    .description(`sign the app's digest with an identity key (accord identity), into ${APP_SIGNATURES_FILE}`)
    .requiredOption('--identity <file>', "the signer's identity.key (private: it stays here)")
    .action(
      action(async (folder: string, o: { identity: string }) => {
        const id = loadIdentity(o.identity);
        const digest = appDigest(readAppFolder(folder));
        const sig = signApp(id, digest);
        addAppSignature(path.resolve(folder), sig);
        process.stdout.write(
          `signed sha256:${digest} as ${sig.signer} (fingerprint ${fingerprint(id.publicKey)}), in ${path.join(folder, APP_SIGNATURES_FILE)}\n` +
            `a site that trusts this key lists it in its policy: apps: { signers: ['${sig.signer}'] }\n`,
        );
      }),
    );
}
