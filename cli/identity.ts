// `accord identity`: run at a site, once. Makes the site's own secrets (its Ed25519 identity key and its
// TLS key, both staying at the site) and what the operator needs from it: a certificate request to sign
// (`accord certs sign`) and the identity's public key for the roster (`accord roster`).
import type { Command } from 'commander';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('identity')
    .description(DESCRIPTIONS['identity'])
    .requiredOption('--site <name>', "this site's name (the certificate's common name)")
    .option('--out <dir>', 'where the files go', './accord-site')
    .action(
      action(async (o: { site: string; out: string }) => {
        // Loaded here: only the provisioning commands need the X.509 library.
        const { makeSiteRequest } = await import('../coordinator/provision/site-request.js');
        const r = await makeSiteRequest(o.site, o.out);
        process.stdout.write(
          `${[
            `wrote ${o.out}: identity.key and site.key (private: keep them here, mode 600), identity.key.pub, site.csr`,
            `send to the operator: ${r.csr} (to be signed: accord certs sign) and ${r.identityPub} (for the roster: accord roster)`,
            'never send identity.key or site.key',
            `identity fingerprint: ${r.fingerprint} (tell the operator out of band, so they know the key they got is yours)`,
          ].join('\n')}\n`,
        );
      }),
    );
}
