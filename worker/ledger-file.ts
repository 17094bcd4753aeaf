// The site's own ledgers on disk (releases.json, budget.json beside its approvals): read whole at
// start, written whole after each change, readable by the site's user only. A damaged file is never
// read as empty: that would reset what the site has already released.
import fs from 'node:fs';
import path from 'node:path';
import { TrustError } from '../shared/errors/index.js';

/** The parsed file, undefined when there is none yet; AUDIT_BROKEN when it cannot be parsed. */
export function readLedger(file: string, what: string): unknown {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    throw new TrustError('AUDIT_BROKEN', `${what} ${file} is damaged; keep it for inspection and move it aside`);
  }
}

export function writeLedger(file: string, value: unknown): void {
  // The folder is made by the site's approvals, except for a site with a policy but no identity.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(value), { mode: 0o600 });
}
