// Offline checks of an experiment report's trust section (`accord verify`): the manifest hashes to the
// hash the sites approved, the roster is the one the manifest names, every site that took part signed
// an approval of that manifest, and every reported audit head is signed by its site and, where the
// site's audit log is at hand, found in that log's intact chain. Pure: the caller reads the files.
import { approvalProblem, approvalSchema } from './approval.js';
import { type AuditHead, headIn, verifyAuditHead, verifyChain } from './audit-chain.js';
import { canonicalHash } from './canonical.js';
import { Roster } from './roster.js';

export interface ReportToVerify {
  experiment?: { id?: string };
  rounds?: { participants?: string[]; train?: Record<string, unknown>; siteEval?: Record<string, unknown> }[];
  trust?: {
    manifestHash?: string;
    manifest?: { experimentId?: string; roster?: { sha256?: string } };
    roster?: unknown;
    approvals?: unknown[];
    auditHeads?: Record<string, { entries?: number; hash?: string; signature?: string }>;
  };
}

export interface Verification {
  ok: boolean;
  /** One line per check, for people. */
  lines: string[];
  problems: string[];
}

export function verifyReport(
  report: ReportToVerify,
  opts: {
    /** The verifier's own copy of the roster; else the report's (said so in the output). */
    roster?: Roster | undefined;
    /** A site's audit log lines, when the log is at hand. */
    auditLines?: (site: string) => string[] | undefined;
  } = {},
): Verification {
  const lines: string[] = [];
  const problems: string[] = [];
  const t = report.trust;
  if (!t?.manifest || !t.manifestHash)
    return {
      ok: false,
      lines,
      problems: ['the report carries no manifest (a coordinator without this trust layer wrote it)'],
    };
  const hash = canonicalHash(t.manifest);
  if (hash !== t.manifestHash)
    problems.push(`the manifest hashes to ${hash.slice(0, 16)}, the report says ${t.manifestHash.slice(0, 16)}`);
  else lines.push(`manifest ${hash.slice(0, 16)} matches its hash`);
  if (report.experiment?.id && t.manifest.experimentId !== report.experiment.id)
    problems.push(`the manifest is for experiment ${t.manifest.experimentId}, the report for ${report.experiment.id}`);
  // Only a roster the verifier holds counts: a report could carry a roster of keys its writer made.
  const roster = opts.roster;
  if (!roster)
    return {
      ok: false,
      lines,
      problems: [...problems, 'no roster to check against: give --roster FILE (your own copy, not the report)'],
    };
  if (t.roster !== undefined && Roster.parse(t.roster, 'the report roster').hash !== roster.hash)
    problems.push('the roster the report carries is not the one given');
  if (roster.hash !== t.manifest.roster?.sha256)
    problems.push(
      `the roster hashes to ${roster.hash.slice(0, 16)}, the manifest names ${String(t.manifest.roster?.sha256).slice(0, 16)}`,
    );
  else lines.push(`roster ${roster.hash.slice(0, 16)} (${roster.sites.length} sites) is the one the manifest names`);
  // Every site that sent anything in a round must have approved these terms.
  const tookPart = new Set<string>();
  for (const r of report.rounds ?? []) {
    for (const s of r.participants ?? []) tookPart.add(s);
    for (const s of Object.keys(r.train ?? {})) tookPart.add(s);
    for (const s of Object.keys(r.siteEval ?? {})) tookPart.add(s);
  }
  const approved = new Set<string>();
  for (const raw of t.approvals ?? []) {
    const a = approvalSchema.safeParse(raw);
    if (!a.success) {
      problems.push('an approval is malformed');
      continue;
    }
    const why = approvalProblem(a.data, roster.keyOf(a.data.site), t.manifestHash);
    if (why) problems.push(why);
    else approved.add(a.data.site);
  }
  for (const s of [...tookPart].sort())
    if (!approved.has(s)) problems.push(`${s} took part but the report holds no valid approval from it`);
  // Every site that sent anything also vouched for what it sent, with a signed head of its audit chain.
  for (const s of [...tookPart].sort())
    if (!t.auditHeads?.[s]) problems.push(`${s} took part but the report holds no signed audit head from it`);
  lines.push(
    `approvals: ${approved.size} valid (${[...approved].sort().join(', ') || 'none'}); ${tookPart.size} sites took part`,
  );
  for (const [site, h] of Object.entries(t.auditHeads ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const key = roster.keyOf(site);
    const head: AuditHead = { entries: Number(h.entries), hash: String(h.hash) };
    if (!key || !verifyAuditHead(key, site, head, String(h.signature))) {
      problems.push(`${site}: the audit head ${head.hash.slice(0, 16)} is not signed by ${site}'s roster key`);
      continue;
    }
    const log = opts.auditLines?.(site);
    if (!log) {
      lines.push(`${site}: audit head signed (entry ${head.entries}); log not at hand`);
      continue;
    }
    const chain = verifyChain(log);
    if (!chain.ok) problems.push(`${site}: audit log line ${chain.line}: ${chain.problem}`);
    else if (!headIn(log, head))
      problems.push(
        `${site}: the signed head (entry ${head.entries}, ${head.hash.slice(0, 16)}) is not in its audit log`,
      );
    else
      lines.push(
        `${site}: audit head signed and found in its intact log (entry ${head.entries} of ${chain.head.entries})`,
      );
  }
  return { ok: problems.length === 0, lines, problems };
}
