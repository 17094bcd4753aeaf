// A simulation's report: the coordinator's report with the run's facts and baselines, as JSON, Markdown and a table.
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentReport } from '../coordinator/experiments/report.js';
import { baselineSummaryRows } from '../coordinator/experiments/report-baselines.js';
import { htmlReport } from '../coordinator/experiments/report-html.js';
import {
  accuracyWithInterval,
  appLines,
  aucWithInterval,
  backendsLine,
  boundedLines,
  epsilonColumnTerms,
  finalIntervalsSentence,
  intervalLines,
  modelsLines,
  participationLines,
  privacyLines,
  recordPrivacyLine,
  secureLine,
} from '../coordinator/experiments/report-markdown.js';
import { personalMarkdown } from '../coordinator/experiments/report-personal.js';
import { epsilonWithTerms, pct } from '../shared/format.js';
import type { BaselineResult, Baselines } from './baselines.js';
import { type ByzantineSites, scoreHonestSites } from './byzantine.js';

export interface SimulationReport extends Omit<ExperimentReport, 'final'> {
  /** With Byzantine sites, meanSiteAccuracy is over the honest sites (see byzantine.ts). */
  final:
    | (NonNullable<ExperimentReport['final']> & { allSitesMeanSiteAccuracy?: number; honestSites?: string[] })
    | null;
  simulation: {
    dataset: string;
    sites: string[];
    redis: string;
    durationMs: number;
    processes: number;
    byzantine?: ByzantineSites;
  };
  baselines?: Baselines;
}

/** The figures a row of the tables shows. */
interface Scored {
  siteAccuracy: Record<string, number>;
  meanSiteAccuracy: number;
}

/** With Byzantine sites the run and the baselines are all scored on the honest sites. */
export function simulationReport(
  experiment: ExperimentReport,
  simulation: SimulationReport['simulation'],
  baselines: Baselines | undefined,
): SimulationReport {
  const byzantine = simulation.byzantine?.sites;
  const honest = <T extends Scored>(x: T) => (byzantine ? scoreHonestSites(x, byzantine) : x);
  const scoredBaselines = baselines && {
    ...baselines,
    pooled: honest(baselines.pooled),
    local: Object.fromEntries(
      Object.entries(baselines.local).map(([s, b]): [string, BaselineResult] => [s, honest(b)]),
    ),
  };
  // Spread in this order so report.json keeps the coordinator report's key order.
  return {
    ...experiment,
    ...(byzantine && experiment.final ? { final: honest(experiment.final) } : {}),
    simulation,
    ...(scoredBaselines ? { baselines: scoredBaselines } : {}),
  };
}

export function writeReport(out: string, report: SimulationReport): void {
  fs.writeFileSync(path.join(out, 'report.json'), JSON.stringify(report, null, 2));
  fs.writeFileSync(path.join(out, 'report.md'), markdownReport(report));
  fs.writeFileSync(path.join(out, 'report.html'), htmlReport(report));
}

/** Above this many sites, tables show one row per round instead of one column per site. */
const MANY_SITES = 8;

/** Accuracy on each site's test split, then the mean. */
function accuracies(sites: string[], x: Scored): string[] {
  return [...sites.map((s) => pct(x.siteAccuracy[s])), pct(x.meanSiteAccuracy)];
}

/**
 * One row per model: personalized (with personalization), federated (this run's global model, or a
 * FedAvg run's where this run's global head never trains), pooled, then each site alone.
 */
function modelRows(r: SimulationReport, names: { federated: string; pooled: string }): string[][] {
  const sites = r.simulation.sites;
  const p = r.final?.personalization;
  const companion = r.baselines?.federated;
  const rows = p ? [[`personalized (${p.method})`, ...accuracies(sites, p)]] : [];
  if (companion)
    rows.push([`federated (${companion.strategy}, run without ${p?.method})`, ...accuracies(sites, companion)]);
  else if (r.final)
    rows.push([
      p && !p.globalComparable ? `${names.federated} (initial head)` : names.federated,
      ...accuracies(sites, r.final),
    ]);
  if (r.baselines) {
    rows.push([names.pooled, ...accuracies(sites, r.baselines.pooled)]);
    for (const [s, b] of Object.entries(r.baselines.local)) rows.push([`${s} alone`, ...accuracies(sites, b)]);
  }
  return rows;
}

/** The table `accord simulate` prints at the end. */
export function finalTable(r: SimulationReport): string {
  const sites = r.simulation.sites;
  if (sites.length > MANY_SITES) {
    const f = r.final;
    const lastCentral = r.rounds.at(-1)?.central;
    const lines = [
      `rounds committed         ${r.rounds.length}`,
      `accuracy by round        ${r.rounds.map((x) => (x.central ?? x).accuracy.toFixed(3)).join(' ')} (${r.rounds[0]?.central ? 'central test set' : 'federated'})`,
      `final central accuracy   ${f && lastCentral ? lastCentral.accuracy.toFixed(4) : '-'}`,
      `final federated accuracy ${f ? pct(f.accuracy) : '-'} (example-weighted over the round's selected sites)`,
      ...(f?.accuracyInterval ? [`pooled test rows         ${pooledLine(r)}`] : []),
      ...(f?.personalization
        ? [
            `personalized (${f.personalization.method})    ${pct(f.personalization.meanSiteAccuracy)} mean site accuracy, each site's personal model on its own test rows (global: ${pct(f.meanSiteAccuracy)}${f.personalization.globalComparable ? '' : ', initial head'})`,
          ]
        : []),
      ...(lastPrivacyOf(r) ? [`epsilon                  ${epsilonWithTerms(lastPrivacyOf(r)!)}`] : []),
    ];
    return `${lines.join('\n')}\n`;
  }
  const header = [
    'model',
    ...sites,
    `mean${lastPrivacyOf(r) ? ` (epsilon ${epsilonWithTerms(lastPrivacyOf(r)!)})` : ''}`,
  ];
  const rows = [
    header,
    ...modelRows(r, { federated: `federated (${r.experiment.config.strategy.name})`, pooled: 'pooled (centralised)' }),
  ];
  const widths = rows.reduce<number[]>((w, row) => row.map((c, i) => Math.max(c.length, w[i] ?? 0)), []);
  const record = recordPrivacyLine(r).join('\n').trim();
  const pooled = r.final?.accuracyInterval ? `federated, pooled test rows: ${pooledLine(r)}\n` : '';
  return `${rows.map((row) => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n')}\n${pooled}${byzantineNote(r)}${record ? `\n${record}\n` : ''}`;
}

/** "accuracy 81.9% (95% CI 78.1–85.2%), AUC 0.873 (95% CI 0.851–0.895)": the final figures with their intervals. */
function pooledLine(r: SimulationReport): string {
  const f = r.final;
  return `accuracy ${accuracyWithInterval(f?.accuracyInterval)}${f?.auc ? `, AUC ${aucWithInterval(f.auc)}` : ''}`;
}

function byzantineNote(r: SimulationReport): string {
  const b = r.simulation.byzantine;
  if (!b || !r.final?.honestSites) return '';
  return (
    `Byzantine site(s) ${b.sites.join(', ')} sent ${b.attack} updates. Means are over the honest sites (${r.final.honestSites.join(', ')}); ` +
    `with the attackers' own test splits the federated mean is ${pct(r.final.allSitesMeanSiteAccuracy)}.\n`
  );
}

function heading(r: SimulationReport, sites: string): string[] {
  return [
    `# Accord simulation: ${r.simulation.dataset}`,
    '',
    `Experiment \`${r.experiment.id}\`, strategy ${r.experiment.config.strategy.name}, ${r.rounds.length} rounds, ${sites}, ${(r.simulation.durationMs / 1000).toFixed(1)} s.`,
  ];
}

const lastPrivacyOf = (r: SimulationReport) => r.rounds.at(-1)?.privacy;

/** The baselines as means over the sites, for runs with too many sites for a column each. */
function baselineLines(r: SimulationReport): string[] {
  const rows = baselineSummaryRows(r);
  if (!rows.length) return [];
  return [
    '',
    '## Baselines',
    '',
    '| model | mean site accuracy |',
    '| --- | --- |',
    ...rows.map(([model, acc]) => `| ${model} | ${acc} |`),
  ];
}

/** report.md for many simulated sites: one row per round instead of one column per site. */
function manySitesMarkdown(r: SimulationReport): string {
  const lines = [
    ...heading(r, `${r.simulation.sites.length} simulated sites on ${r.simulation.processes - 1} worker processes`),
    ...(finalIntervalsSentence(r) ? ['', finalIntervalsSentence(r)] : []),
    ...privacyLines(r),
    ...(r.experiment.stopped ? ['', `Stopped early: ${r.experiment.stopped}.`] : []),
    ...boundedLines(r),
    ...baselineLines(r),
    ...participationLines(r),
    '',
    `| round | sites | train loss | federated accuracy | central accuracy | up bytes | down bytes | ms |${r.privacy ? ` epsilon (${epsilonColumnTerms(r)}) |` : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |${r.privacy ? ' --- |' : ''}`,
  ];
  for (const x of r.rounds)
    lines.push(
      `| ${x.round} | ${x.participants.length} | ${x.trainLoss.toFixed(4)} | ${x.evaluated ? pct(x.accuracy) : '-'} | ${x.central ? pct(x.central.accuracy) : '-'} | ${x.bytesUp} | ${x.bytesDown} | ${x.durations.totalMs} |` +
        (r.privacy ? ` ${x.privacy?.epsilon.toFixed(3) ?? '-'} |` : ''),
    );
  return `${lines.join('\n')}\n`;
}

export function markdownReport(r: SimulationReport): string {
  const sites = r.simulation.sites;
  if (sites.length > MANY_SITES) return manySitesMarkdown(r);
  const lines = [
    ...heading(r, `${sites.length} sites`),
    `${backendsLine(r)} Bytes up ${r.bytes.up}, down ${r.bytes.down}.`,
    '',
    "## Accuracy on each site's test split",
    '',
    `| model | ${sites.join(' | ')} | mean |`,
    `| --- | ${sites.map(() => '---').join(' | ')} | --- |`,
    ...modelRows(r, { federated: 'federated', pooled: 'pooled' }).map((row) => `| ${row.join(' | ')} |`),
  ];
  const byz = byzantineNote(r);
  if (byz) lines.push('', byz.trim()); // after the table, so it stays one table
  lines.push(...intervalLines(r));
  lines.push(...personalMarkdown(r));
  const cfg = r.experiment.config;
  if (cfg.secagg.mode !== 'off') lines.push('', secureLine(r));
  lines.push(...privacyLines(r));
  if (r.experiment.stopped) lines.push('', `Stopped early: ${r.experiment.stopped}.`);
  lines.push(...modelsLines(r));
  lines.push(...appLines(r));
  lines.push(...boundedLines(r));
  lines.push(...participationLines(r));
  const dp = Boolean(cfg.dp);
  lines.push(
    '',
    '## Rounds',
    '',
    '| round | train loss | ' +
      sites.join(' | ') +
      ' | mean | up bytes | down bytes | ms |' +
      (dp ? ` epsilon (${epsilonColumnTerms(r)}) | z eff |` : ''),
    `| --- | --- | ${sites.map(() => '---').join(' | ')} | --- | --- | --- | --- |${dp ? ' --- | --- |' : ''}`,
  );
  for (const x of r.rounds)
    lines.push(
      `| ${x.round} | ${x.trainLoss.toFixed(4)} | ${accuracies(sites, x).join(' | ')} | ${x.bytesUp} | ${x.bytesDown} | ${x.durations.totalMs} |` +
        (dp
          ? ` ${x.privacy?.epsilon.toFixed(3) ?? '-'} | ${x.privacy?.effectiveNoiseMultiplier.toFixed(3) ?? '-'} |`
          : ''),
    );
  return `${lines.join('\n')}\n`;
}
