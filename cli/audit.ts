// `accord audit verify FILE`: checks a site's audit log offline: its hash chain is intact (no line
// changed, deleted or reordered) and, with --head, it still holds the head the site reported and signed.
import fs from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { type AuditHead, headIn, verifyChain } from '../shared/trust/audit-chain.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

/** `ENTRIES:HASH` as a report or an AuditHead message gives it. */
function parseHead(text: string): AuditHead {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text);
  if (!m) throw new ConfigError(`--head ${text}: expected ENTRIES:HASH (a count and 64 hex digits)`);
  return { entries: Number(m[1]), hash: m[2]! };
}

export function register(program: Command): void {
  const audit = program.command('audit').description(DESCRIPTIONS['audit']);
  audit
    .command('verify')
    .description('check that an audit log is intact: no entry changed, deleted or reordered')
    .argument('<file>', 'the audit log (JSON lines, as accord worker --audit writes it)')
    .option('--head <entries:hash>', 'also check the log holds this reported head (e.g. from the report)')
    .action(
      action(async (file: string, o: { head?: string }) => {
        const head = o.head === undefined ? undefined : parseHead(o.head);
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (e) {
          throw new ConfigError(`${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        const lines = text.split('\n');
        const check = verifyChain(lines);
        if (!check.ok) {
          process.stderr.write(`${file} line ${check.line}: ${check.problem}\n`);
          process.exit(1);
        }
        // An intact chain can still be a shortened or regrown one: only the reported head tells.
        if (head && !headIn(lines, head)) {
          process.stderr.write(
            `${file}: does not hold the reported head (entry ${head.entries}, ${head.hash.slice(0, 16)}); the log has ${check.head.entries} entries: its tail was cut or rewritten\n`,
          );
          process.exit(1);
        }
        process.stdout.write(
          `${file}: ${check.head.entries} entries, chain intact, head ${check.head.hash.slice(0, 16)}${head ? `, holds the reported head (entry ${head.entries})` : ''}\n`,
        );
      }),
    );
}
