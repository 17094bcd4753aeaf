// `accord verify REPORT`: checks a report's trust section offline: the manifest and its hash, the
// roster it names, every participating site's signed approval, and each site's signed audit head
// (against its audit log, when the logs sit beside the report in audit/, or in --audit DIR).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { AccordError, ConfigError } from '../shared/errors/index.js';
import { Roster } from '../shared/trust/roster.js';
import { type ReportToVerify, verifyReport } from '../shared/trust/verify-report.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description(DESCRIPTIONS['verify'])
    .argument('<report>', 'report.json (accord simulate --out, or the coordinator store)')
    .option('--roster <file>', 'your own copy of the roster (default: roster.yaml beside the report, if there is one)')
    .option('--audit <dir>', "the sites' audit logs, <site>.jsonl (default: audit/ beside the report)")
    .action(
      action(async (file: string, o: { roster?: string; audit?: string }) => {
        let report: ReportToVerify;
        try {
          report = JSON.parse(fs.readFileSync(file, 'utf8')) as ReportToVerify;
        } catch (e) {
          throw new ConfigError(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const auditDir = o.audit ?? path.join(path.dirname(file), 'audit');
        // Never the roster inside the report: its writer could have made every key in it.
        const beside = path.join(path.dirname(file), 'roster.yaml');
        const rosterFile = o.roster ?? (fs.existsSync(beside) ? beside : undefined);
        if (!rosterFile)
          throw new ConfigError(`${file}: no roster to check it against: give --roster FILE (your own copy)`);
        if (!report || typeof report !== 'object' || Array.isArray(report))
          throw new ConfigError(`${file}: not a report (expected a JSON object)`);
        let result: ReturnType<typeof verifyReport>;
        try {
          result = verifyReport(report, {
            roster: Roster.load(rosterFile),
            auditLines: (site) => {
              const f = path.join(auditDir, `${site}.jsonl`);
              return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n') : undefined;
            },
          });
        } catch (e) {
          if (e instanceof AccordError) throw e;
          // A malformed report (wrong types, absurd nesting) is one line, not a stack trace.
          throw new ConfigError(`${file}: not a well-formed report (${(e as Error).message})`);
        }
        process.stdout.write(`roster: ${rosterFile}\n`);
        for (const l of result.lines) process.stdout.write(`${l}\n`);
        for (const p of result.problems) process.stderr.write(`FAILED: ${p}\n`);
        process.stdout.write(result.ok ? `${file}: verified\n` : '');
        process.exit(result.ok ? 0 : 1);
      }),
    );
}
