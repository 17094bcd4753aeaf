// Who trained in which round, for report.html's and report.md's participation tables. A long run where
// every site trains every round would be a row per round of identical "trained" cells (113 of them in
// a demo), so consecutive rounds with the same participation share one row, labelled "3–115".
import { pct } from '../../shared/format.js';
import { escapeHtml as esc } from '../../shared/html.js';
import type { RoundRecord } from './round-record.js';

export interface ParticipationRun {
  first: number;
  last: number;
  /** Sorted. */
  participants: string[];
  /** Site -> why it did not train. */
  failures: Record<string, string>;
  rounds: RoundRecord[];
}

/** The same key for rounds whose sites trained and failed alike, with the same reasons. */
const participationKey = (x: RoundRecord) =>
  JSON.stringify([[...x.participants].sort(), Object.entries(x.failures).sort(([a], [b]) => (a < b ? -1 : 1))]);

/** Consecutive rounds with identical participation, one run each; a gap in the round numbers ends a run. */
export function participationRuns(rounds: readonly RoundRecord[]): ParticipationRun[] {
  const runs: { key: string; run: ParticipationRun }[] = [];
  for (const x of rounds) {
    const key = participationKey(x);
    const open = runs.at(-1);
    if (open && open.key === key && x.round === open.run.last + 1) {
      open.run.last = x.round;
      open.run.rounds.push(x);
    } else
      runs.push({
        key,
        run: {
          first: x.round,
          last: x.round,
          participants: [...x.participants].sort(),
          failures: x.failures,
          rounds: [x],
        },
      });
  }
  return runs.map((r) => r.run);
}

/** "round 7", or "rounds 3–115" for a run; `unit` "version" in async mode. */
export const roundsLabel = (run: ParticipationRun, unit = 'round') =>
  run.first === run.last ? `${unit} ${run.first}` : `${unit}s ${run.first}–${run.last}`;

/** What a report calls a committed step: a round, or a model version in async mode. */
export const unitOf = (mode: string | undefined) => (mode === 'async' ? 'version' : 'round');

/** Site names in reading order: site-2 before site-10. */
export const bySiteName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Every site that trained or failed in any round, sorted. */
export function participatingSites(rounds: readonly RoundRecord[]): string[] {
  return [...new Set(rounds.flatMap((x) => [...x.participants, ...Object.keys(x.failures)]))].sort(bySiteName);
}

/** Above this many sites a column each is too wide to read: the table names who trained and who failed. */
export const PARTICIPATION_COLUMNS_MAX = 12;

/** The mean site accuracy over a run: one value, or its first and last ("75.0% → 81.6%"). */
export function runAccuracy(run: ParticipationRun): string {
  const evaluated = run.rounds.filter((x) => x.evaluated);
  const first = evaluated[0];
  const last = evaluated.at(-1);
  if (!first || !last) return '-';
  return first === last
    ? pct(first.meanSiteAccuracy)
    : `${pct(first.meanSiteAccuracy)} → ${pct(last.meanSiteAccuracy)}`;
}

/** "all 4 sites", or the names of those that trained. */
export function trainedLabel(run: ParticipationRun, sites: number): string {
  return run.participants.length === sites ? `all ${sites} sites` : run.participants.join(', ') || 'none';
}

/** report.html's table: a row per run of rounds, a column per site (trained, or why it did not). */
export function participationHtml(rounds: readonly RoundRecord[], unit = 'round'): string {
  const sites = participatingSites(rounds);
  const runs = participationRuns(rounds);
  if (sites.length > PARTICIPATION_COLUMNS_MAX) {
    const rows = runs.map((run) => {
      const failed = Object.entries(run.failures).map(([s, why]) => `${s}: ${why}`);
      return (
        `<tr><td>${roundsLabel(run, unit)}</td><td class="ok">${esc(trainedLabel(run, sites.length))}</td>` +
        `${failed.length ? `<td class="fail">${esc(failed.join('; '))}</td>` : '<td>-</td>'}<td>${runAccuracy(run)}</td></tr>`
      );
    });
    return `<table><tr><th>${unit}s</th><th>trained</th><th>failed</th><th>mean site accuracy</th></tr>${rows.join('')}</table>`;
  }
  const head = `<tr><th>${unit}s</th>${sites.map((s) => `<th>${esc(s)}</th>`).join('')}<th>mean site accuracy</th></tr>`;
  const rows = runs.map((run) => {
    const cells = sites.map((s) => {
      const failure = run.failures[s];
      if (failure !== undefined) return `<td class="fail">${esc(failure)}</td>`;
      return run.participants.includes(s) ? '<td class="ok">trained</td>' : '<td>-</td>';
    });
    return `<tr><td>${roundsLabel(run, unit)}</td>${cells.join('')}<td>${runAccuracy(run)}</td></tr>`;
  });
  return `<table>${head}${rows.join('')}</table>`;
}
