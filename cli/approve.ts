// `accord approve MANIFEST`: a person at the site reviews an experiment's terms (what the site will
// release) and approves them with the site's identity key. The worker picks the approval up at the
// next task of that experiment; it never runs a task of a manifest nobody approved.
import fs from 'node:fs';
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { signApproval } from '../shared/trust/approval.js';
import { fingerprint, loadIdentity } from '../shared/trust/identity.js';
import { parseManifest, releases } from '../shared/trust/manifest.js';
import { Roster } from '../shared/trust/roster.js';
import { ApprovalStore } from '../worker/approvals.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('approve')
    .description(DESCRIPTIONS['approve'])
    .argument('<manifest>', 'the manifest (JSON), e.g. APPROVALS/pending/<hash>.json written by accord worker')
    .requiredOption('--site <name>', "this site's name")
    .requiredOption('--identity <file>', "this site's identity key")
    .requiredOption('--roster <file>', 'the roster this site pinned (the manifest must name it)')
    .requiredOption('--approvals <dir>', 'the worker --approvals directory')
    .option('--yes', 'approve without asking (after printing the terms)')
    .action(
      action(
        async (
          file: string,
          o: { site: string; identity: string; roster: string; approvals: string; yes?: boolean },
        ) => {
          let text: string;
          try {
            text = fs.readFileSync(file, 'utf8');
          } catch (e) {
            throw new ConfigError(`${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          }
          const terms = parseManifest(text);
          const identity = loadIdentity(o.identity);
          const roster = Roster.load(o.roster);
          if (!roster.keyOf(o.site)?.equals(identity.publicKey))
            throw new ConfigError(
              `--identity: the roster does not list ${o.site} with this key (${fingerprint(identity.publicKey)})`,
            );
          if (terms.manifest.roster.sha256 !== roster.hash)
            throw new ConfigError(
              `${file}: the experiment runs among roster ${terms.manifest.roster.sha256.slice(0, 16)}, not the pinned ${roster.hash.slice(0, 16)}; refusing`,
            );
          process.stdout.write(
            `experiment ${terms.manifest.experimentId}, manifest ${terms.hash}\n${o.site} will release:\n${releases(
              terms.manifest,
            )
              .map((l) => `  - ${l}\n`)
              .join('')}`,
          );
          if (!o.yes) {
            const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
            const answer = await rl.question('approve these terms? [y/N] ');
            rl.close();
            if (!/^y(es)?$/i.test(answer.trim())) {
              process.stdout.write('not approved\n');
              process.exit(1);
            }
          }
          const store = new ApprovalStore(o.approvals);
          const approval = signApproval(identity, o.site, terms, 'manual');
          store.save(approval, terms);
          process.stdout.write(`approved: ${store.approvedFile(terms.hash)}\n`);
        },
      ),
    );
}
