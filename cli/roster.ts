// `accord roster`: builds the federation's roster (site name -> identity public key) from the
// identity.key.pub files the sites sent (`accord identity`). The consortium distributes the file and
// every site pins its own copy; the printed hash lets sites check out of band that they hold the same one.
import fs from 'node:fs';
import type { Command } from 'commander';
import { parseYaml } from '../shared/config/yaml.js';
import { ConfigError } from '../shared/errors/index.js';
import { SITE_ID } from '../shared/protocol/site-id.js';
import { fingerprint, parsePublicKey } from '../shared/trust/identity.js';
import { Roster } from '../shared/trust/roster.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

/** SITE=PUBFILE pairs -> site -> public key; every problem is one line naming the entry or file. */
export function readRosterEntries(entries: string[]): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const owner = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) throw new ConfigError(`${entry}: expected SITE=PUBFILE`);
    const site = entry.slice(0, eq);
    const file = entry.slice(eq + 1);
    if (!SITE_ID.test(site))
      throw new ConfigError(`${entry}: ${JSON.stringify(site)} is not a site name: letters, digits, _ . - (1-64)`);
    if (keys.has(site)) throw new ConfigError(`${entry}: site ${site} is named twice`);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`${site}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (text.includes('PRIVATE KEY'))
      throw new ConfigError(`${site}: ${file} is a private key; the roster takes identity.key.pub, never identity.key`);
    const key = parsePublicKey(text.trim());
    if (!key)
      throw new ConfigError(
        `${site}: ${file} is not an identity public key (expected one line ed25519:<base64 of 32 bytes>, as accord identity writes identity.key.pub)`,
      );
    // One key under two names would let one site count twice toward every quorum.
    const other = owner.get(key.toString('hex'));
    if (other) throw new ConfigError(`${site}: ${file} is the same key as ${other}'s`);
    owner.set(key.toString('hex'), site);
    keys.set(site, key);
  }
  return keys;
}

export function register(program: Command): void {
  program
    .command('roster')
    .description(DESCRIPTIONS['roster'])
    .argument('<entries...>', 'SITE=PUBFILE, one per site (the identity.key.pub each site sent)')
    .requiredOption('--out <file>', 'the roster file to write (e.g. roster.yaml)')
    .action(
      action(async (entries: string[], o: { out: string }) => {
        const keys = readRosterEntries(entries);
        const roster = Roster.fromKeys(Object.fromEntries(keys));
        const text = roster.toYaml();
        // What sites will load: a roster this command writes must parse as one.
        Roster.parse(parseYaml(text), o.out);
        try {
          fs.writeFileSync(o.out, text);
        } catch (e) {
          throw new ConfigError(`--out: cannot write ${o.out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        process.stdout.write(
          `${[
            `wrote ${o.out}: ${roster.sites.length} site(s)`,
            ...roster.sites.map((s) => `  ${s}  ${fingerprint(roster.keyOf(s)!)}`),
            `roster hash: ${roster.hash}`,
            'send the file to every site; each pins its own copy and compares this hash out of band',
          ].join('\n')}\n`,
        );
      }),
    );
}
