// `accord certs`: provisions a federation's identities: a CA, the coordinator's certificate, and for
// each site a certificate naming it, its key and its token (one kit directory per site).
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { action } from './common.js';

export function register(program: Command): void {
  program
    .command('certs')
    .description('make a federation CA, the coordinator certificate, and a certificate, key and token per site')
    .requiredOption('--sites <names>', 'comma-separated site names (each gets OUT/<site>/ with its kit)')
    .option('--out <dir>', 'where the files go', './accord-certs')
    .option(
      '--host <name>',
      'a name or address the coordinator is reached at (repeatable; localhost and 127.0.0.1 always)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--days <n>', 'validity of the certificates', '365')
    .action(
      action(async (o: { sites: string; out: string; host: string[]; days: string }) => {
        const days = Number(o.days);
        if (!Number.isInteger(days) || days < 1)
          throw new ConfigError(`--days: expected a positive integer, got "${o.days}"`);
        const sites = o.sites
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (!sites.length) throw new ConfigError('--sites: give at least one site name');
        // Loaded here: only this command needs the X.509 library.
        const { provision } = await import('../coordinator/provision/certificates.js');
        await provision({ out: o.out, sites, hosts: o.host, days });
        process.stdout.write(
          `${[
            `wrote ${o.out}: ca.pem, ca.key (keep it offline), coordinator.pem, coordinator.key, tokens.yaml, and a kit per site (${sites.join(', ')})`,
            `coordinator: accord coordinator --tls-cert ${o.out}/coordinator.pem --tls-key ${o.out}/coordinator.key --tls-client-ca ${o.out}/ca.pem --tokens ${o.out}/tokens.yaml ...`,
            `site (kit ${o.out}/<site>/): accord worker --site <site> --token-file token --tls-ca ca.pem --tls-cert site.pem --tls-key site.key ...`,
          ].join('\n')}\n`,
        );
      }),
    );
}
