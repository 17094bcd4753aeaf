// `accord certs`: provisions a federation's identities: a CA, the coordinator's certificate, and a token
// per site. With --ca-only that is all, and each site makes its own keys (`accord identity`) and sends a
// certificate request that `accord certs sign` signs. Without it (a lab's shortcut) every site's kit is
// made here too: its certificate, TLS key and identity key, and the roster of those identities.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

function parseDays(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1) throw new ConfigError(`--days: expected a positive integer, got "${text}"`);
  return days;
}

export function register(program: Command): void {
  // `certs sign --out FILE`: `certs` has an --out of its own, which would take sign's. With positional
  // options a command's options stop at its subcommand's name; commander needs that on every parent up
  // to the program (the program has only --help and --version, which still work before a command).
  program.enablePositionalOptions();
  const certs = program
    .command('certs')
    .description(DESCRIPTIONS['certs'])
    .enablePositionalOptions()
    // Required, but checked in the action: commander would demand it of `certs sign` too.
    .option('--sites <names>', 'comma-separated site names (each gets OUT/<site>/ with its kit); required')
    .option('--out <dir>', 'where the files go', './accord-certs')
    .option(
      '--host <name>',
      'a name or address the coordinator is reached at (repeatable; localhost and 127.0.0.1 always)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--days <n>', 'validity of the certificates', '365')
    .option(
      '--ca-only',
      'make no site key: only the CA, the coordinator certificate and the tokens (sites run accord identity)',
    )
    .action(
      action(async (o: { sites?: string; out: string; host: string[]; days: string; caOnly?: boolean }) => {
        if (o.sites === undefined) throw new ConfigError('--sites: required: the comma-separated site names');
        const days = parseDays(o.days);
        const sites = o.sites
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (!sites.length) throw new ConfigError('--sites: give at least one site name');
        // Loaded here: only this command needs the X.509 library.
        const { provision } = await import('../coordinator/provision/certificates.js');
        await provision({ out: o.out, sites, hosts: o.host, days, caOnly: o.caOnly === true });
        const coordinator = `coordinator: accord coordinator --tls-cert ${o.out}/coordinator.pem --tls-key ${o.out}/coordinator.key --tls-client-ca ${o.out}/ca.pem --tokens ${o.out}/tokens.yaml ...`;
        const lines = o.caOnly
          ? [
              `wrote ${o.out}: ca.pem, ca.key (keep it offline), coordinator.pem, coordinator.key, tokens.yaml, and ca.pem + token per site (${sites.join(', ')}); no site key`,
              coordinator,
              'each site: accord identity --site <site> --out DIR, and sends you DIR/site.csr and DIR/identity.key.pub',
              `then: accord certs sign --ca-dir ${o.out} --csr site.csr --out ${o.out}/<site>/site.pem, and accord roster --out roster.yaml <site>=identity.key.pub ...`,
              `site: accord worker --site <site> --token-file token --tls-ca ca.pem --tls-cert site.pem --tls-key DIR/site.key ...`,
            ]
          : [
              `wrote ${o.out}: ca.pem, ca.key (keep it offline), coordinator.pem, coordinator.key, tokens.yaml, roster.yaml, and a kit per site (${sites.join(', ')})`,
              coordinator,
              `site (kit ${o.out}/<site>/): accord worker --site <site> --token-file token --tls-ca ca.pem --tls-cert site.pem --tls-key site.key ...`,
              "these kits hold every site's private keys (TLS and identity): fine for a lab; in a real federation each site makes its own with accord identity (see accord certs --ca-only and accord certs sign)",
            ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  certs
    .command('sign')
    .description("sign a site's certificate request (from accord identity) with the federation CA")
    .requiredOption('--ca-dir <dir>', 'where accord certs wrote ca.pem and ca.key')
    .requiredOption('--csr <file>', "the site's certificate request (site.csr)")
    .requiredOption('--out <file>', "the site's certificate to write (send it to the site as site.pem)")
    .option('--days <n>', 'validity of the certificate (never past the CA)', '365')
    .action(
      action(async (o: { caDir: string; csr: string; out: string; days: string }) => {
        const days = parseDays(o.days);
        let csr: string;
        try {
          csr = fs.readFileSync(o.csr, 'utf8');
        } catch (e) {
          throw new ConfigError(`--csr: cannot read ${o.csr}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        const { signRequest } = await import('../coordinator/provision/certificates.js');
        const signed = await signRequest({ caDir: o.caDir, csr, source: o.csr, days });
        try {
          fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
          fs.writeFileSync(o.out, signed.cert);
        } catch (e) {
          throw new ConfigError(`--out: cannot write ${o.out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        process.stdout.write(
          `${[
            `wrote ${o.out}: the certificate of site ${signed.site}, signed by ${o.caDir}/ca.pem, valid until ${signed.notAfter.toISOString().slice(0, 10)}`,
            `send the site ${o.out} (as site.pem) and ${o.caDir}/ca.pem; its key never left it`,
          ].join('\n')}\n`,
        );
      }),
    );
}
