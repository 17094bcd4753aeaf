// `accord verify REPORT`: checks a report's trust section offline: the manifest and its hash, the
// roster it names, every participating site's signed approval, and each site's signed audit head
// (against its audit log, when the logs sit beside the report in audit/, or in --audit DIR).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors/index.js';
import { Roster } from '../shared/trust/roster.js';
import { type ReportToVerify, verifyReport } from '../shared/trust/verify-report.js';
import { action } from './common.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description("check a report offline: manifest hash, roster, every site's signed approval and audit head")
    .argument('<report>', 'report.json (accord simulate --out, or the coordinator store)')
    .option('--roster <file>', 'your own copy of the roster (default: the one the report carries)')
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
        const result = verifyReport(report, {
          roster: o.roster ? Roster.load(o.roster) : undefined,
          auditLines: (site) => {
            const f = path.join(auditDir, `${site}.jsonl`);
            return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n') : undefined;
          },
        });
        for (const l of result.lines) process.stdout.write(`${l}\n`);
        for (const p of result.problems) process.stderr.write(`FAILED: ${p}\n`);
        process.stdout.write(result.ok ? `${file}: verified\n` : '');
        process.exit(result.ok ? 0 : 1);
      }),
    );
}
