// report.md: the experiment report as Markdown, written beside report.json for every run. The privacy
// and secure-aggregation paragraphs are shared with the simulation's report.md (simulation/report.ts).

import { epsilonWithTerms, pct } from '../../shared/format.js';
import { appOfModel } from '../../shared/models/topology.js';
import {
  bySiteName,
  participatingSites,
  participationRuns,
  roundsLabel,
  runAccuracy,
  trainedLabel,
  unitOf,
} from './participation.js';
import type { ExperimentReport, FinalAccuracyInterval, FinalAuc } from './report.js';
import { personalMarkdown } from './report-personal.js';
import { describeBoundedRound } from './round-record.js';

/** The secure-aggregation paragraph: the graph of the last round and what it was chosen for. */
/**
 * "Backends: site=wasm, ..." and, where sites fell back, what they skipped and why (each distinct reason
 * once, with how many sites gave it).
 */
export function backendsLine(r: ExperimentReport): string {
  const list =
    Object.entries(r.backends)
      .map(([s, b]) => `${s}=${b}`)
      .join(', ') || '-';
  const skipped = new Map<string, number>();
  for (const why of Object.values(r.backendReasons ?? {}))
    if (why.startsWith('unavailable: ')) skipped.set(why.slice(13), (skipped.get(why.slice(13)) ?? 0) + 1);
  const notes = [...skipped].map(
    ([why, n]) => `; skipped at ${n} site${n === 1 ? '' : 's'}: \`${why.replace(/`/g, "'")}\``,
  );
  return `Backends: ${list}${notes.join('')}.`;
}

export function secureLine(r: ExperimentReport): string {
  const cfg = r.experiment.config.secagg;
  const p = r.rounds.at(-1)?.secure?.parameters;
  const graph = p
    ? `${p.degree === 'all' ? 'every other client' : `${p.degree} neighbours`}, threshold ${p.threshold}` +
      (p.derived
        ? ` (derived for ${p.corruptFraction * 100}% corrupt clients, ${p.dropoutFraction * 100}% dropouts, privacy failure below 2^${Math.round(p.privacyLog2 ?? -p.securityBits)}, correctness failure below 2^${Math.round(p.correctnessLog2 ?? -20)})`
        : ' (configured)')
    : 'no round committed';
  return (
    `Secure aggregation: ${cfg.mode}, ${graph}, up to ${cfg.colludingSites} colluding site(s)` +
    (cfg.dropout ? `, simulated dropout of ${cfg.dropout.count} client(s) after ${cfg.dropout.after} each round` : '') +
    '. The coordinator saw only masked vectors and their sum.'
  );
}

/** Record-level DP: each site's epsilon over its own rows, as the site accounts for it. */
export function recordPrivacyLine(r: ExperimentReport): string[] {
  const dp = r.experiment.config.train.dpSgd;
  const eps = r.final?.siteRecordEpsilon;
  if (!dp || !eps) return [];
  const sites = Object.entries(eps)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, e]) => `${s} ${e.toFixed(2)}`)
    .join(', ');
  return [
    '',
    `Record-level differential privacy (DP-SGD at each site, per-row clip ${dp.clip}, noise multiplier ${dp.noiseMultiplier}): each site's epsilon over its own rows (record-level, delta ${dp.delta.toExponential()}, Poisson-sampled batches from a cryptographic source, by the site's own accountant): ${sites || '-'}.`,
  ];
}

/** The privacy paragraph: epsilon with its terms, the unit, what is not covered, sampling, noise. */
export function privacyLines(r: ExperimentReport): string[] {
  const cfg = r.experiment.config;
  const last = r.rounds.at(-1)?.privacy;
  if (!cfg.dp || !r.privacy) return recordPrivacyLine(r);
  return [
    ...recordPrivacyLine(r),
    '',
    `Differential privacy: clip ${cfg.dp.clip}, noise multiplier ${cfg.dp.noise}; epsilon after the last round ${last ? epsilonWithTerms(last, 3) : '-'}.`,
    '',
    `- Unit of privacy: ${r.privacy.statement}.`,
    `- Not covered: ${r.privacy.notCovered}.`,
    `- Sampling: ${r.privacy.sampling}.`,
    `- Noise: ${r.privacy.noiseStatement}.` +
      (cfg.secagg.mode !== 'off'
        ? ` A site that drops takes its share with it, so a round's effective multiplier is z * sqrt((contributed - t) / (selected - t)) with t = ${r.privacy.colludingSites} (column "z eff").`
        : ''),
  ];
}

/**
 * What the coordinator bounded, a line per round ("round 2: update of site-3 bounded (norm 1.2e+31 ->
 * 4.1, 3 x the round's median norm 1.37)"); nothing when no update or weight was bounded.
 */
export function boundedLines(r: ExperimentReport): string[] {
  const rounds = r.rounds.filter((x) => x.bounded?.length);
  if (!rounds.length) return [];
  const label = r.experiment.config.mode === 'async' ? 'version' : 'round';
  return [
    '',
    '## Bounded updates and weights',
    '',
    "Updates scaled down to the round's norm bound (`clients.normBoundMultiple` x the median update norm, or `clients.maxUpdateNorm`) and sites' weights capped to their share of the round (`clients.maxWeightShare`):",
    '',
    ...rounds.map((x) => `- ${describeBoundedRound(`${label} ${x.round}`, x.bounded!)}`),
  ];
}

/** The epsilon column's header: the terms every figure in it holds under. */
export function epsilonColumnTerms(r: ExperimentReport): string {
  const p = r.privacy;
  if (!p) return '';
  return `site-level, delta ${p.delta.toExponential()}, q=1, ${p.noise === 'central' ? 'central noise' : `<= ${p.colludingSites} colluding`}`;
}

/** A table cell: pipes and newlines would break the row. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Who trained, a row per run of consecutive rounds with the same participation ("rounds 3–115"): the sites
 * that trained ("all 4 sites" when every one did) and those that failed, with why.
 */
export function participationLines(r: ExperimentReport): string[] {
  const rounds = r.rounds;
  if (!rounds.length) return [];
  const unit = unitOf(r.experiment.config.mode);
  const n = participatingSites(rounds).length;
  return [
    '',
    '## Participation',
    '',
    `| ${unit}s | trained | failed | mean site accuracy |`,
    '| --- | --- | --- | --- |',
    ...participationRuns(rounds).map((run) => {
      const trained = trainedLabel(run, n);
      const failed = Object.entries(run.failures).map(([s, why]) => `${s}: ${why}`);
      return `| ${roundsLabel(run, unit)} | ${cell(trained)} | ${cell(failed.join('; ')) || '-'} | ${runAccuracy(run)} |`;
    }),
  ];
}

/**
 * The app and its own metrics on each site's test rows in the last evaluated round (only from sites
 * whose policy releases them), or nothing for a zoo or model.json experiment.
 */
export function appLines(r: ExperimentReport): string[] {
  const app = appOfModel(r.experiment.config.model);
  if (!app) return [];
  const lines = ['', `App: \`sha256:${app.sha256}\`, run in each site's sandbox.`];
  const last = [...r.rounds].reverse().find((x) => x.evaluated);
  const sites = Object.entries(last?.siteEval ?? {}).filter(([, e]) => e.app && Object.keys(e.app).length);
  if (!last || !sites.length) return lines;
  const names = [...new Set(sites.flatMap(([, e]) => Object.keys(e.app ?? {})))].sort();
  lines.push(
    '',
    `The app's metrics on each site's test rows, round ${last.round}:`,
    '',
    `| site | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    ...sites.map(([site, e]) => `| ${site} | ${names.map((k) => e.app?.[k]?.toFixed(4) ?? '-').join(' | ')} |`),
  );
  return lines;
}

/** "81.9% (95% CI 78.1–85.2%)": a share with its interval; "-" when there is no figure. */
export function pctWithInterval(value: number, i: { lower: number; upper: number }): string {
  if (!Number.isFinite(value)) return '-';
  const bounds = Number.isFinite(i.lower) && Number.isFinite(i.upper);
  return bounds ? `${pct(value)} (95% CI ${pct(i.lower).slice(0, -1)}–${pct(i.upper)})` : pct(value);
}

/** "0.873 (95% CI 0.851–0.895)": an AUC with its interval; "-" when there is none. */
export function aucWithInterval(a: FinalAuc | undefined): string {
  if (!a || !Number.isFinite(a.value)) return '-';
  const f = (x: number) => x.toFixed(3);
  return Number.isFinite(a.lower) && Number.isFinite(a.upper)
    ? `${f(a.value)} (95% CI ${f(a.lower)}–${f(a.upper)})`
    : f(a.value);
}

/** An accuracy from its counts, with its Wilson interval: "81.9% (95% CI 78.1–85.2%)". */
export function accuracyWithInterval(a: FinalAccuracyInterval | undefined): string {
  return a ? pctWithInterval(a.correct / a.examples, a) : '-';
}

/**
 * The final figures with their 95% intervals, as one sentence: the accuracy of the sites' test rows
 * pooled (Wilson) and, for binary labels, the AUC of the pooled binned scores (Hanley-McNeil); empty
 * when the last round carries no counts (older workers).
 */
export function finalIntervalsSentence(r: ExperimentReport): string {
  const f = r.final;
  if (!f?.accuracyInterval) return '';
  const a = f.accuracyInterval;
  const auc = f.auc
    ? `; AUC ${aucWithInterval(f.auc)}, from the sites' score histograms (${f.auc.bins} bins, ties within a bin counted 1/2; Hanley-McNeil standard error)`
    : '';
  return `Final accuracy over the sites' pooled test rows ${accuracyWithInterval(a)}, ${a.correct} of ${a.examples} rows right (Wilson interval)${auc}.`;
}

/** The final figures with their 95% intervals: the pooled sentence, then a row per site with intervals. */
export function intervalLines(r: ExperimentReport): string[] {
  const sentence = finalIntervalsSentence(r);
  if (!sentence) return [];
  const f = r.final!;
  const sites = Object.keys(f.siteAccuracyInterval ?? {}).sort(bySiteName);
  const withAuc = Boolean(f.siteAuc && Object.keys(f.siteAuc).length);
  if (!sites.length) return ['', sentence];
  return [
    '',
    sentence,
    '',
    `| site | test rows | accuracy (95% CI) |${withAuc ? ' AUC (95% CI) |' : ''}`,
    `| --- | --- | --- |${withAuc ? ' --- |' : ''}`,
    ...sites.map((s) => {
      const a = f.siteAccuracyInterval![s]!;
      return `| ${s} | ${a.examples} | ${accuracyWithInterval(a)} |${withAuc ? ` ${aucWithInterval(f.siteAuc?.[s])} |` : ''}`;
    }),
  ];
}

/** Which exported model is which, when the best-scoring round is not the last (else nothing). */
export function modelsLines(r: ExperimentReport): string[] {
  const models = r.final?.models;
  if (!models?.best || models.best.round === models.last.round) return [];
  return [
    '',
    `Models: \`${models.last.dir}/\` is the last committed round's (${models.last.round}); \`${models.best.dir}/\` is round ${models.best.round}'s, the best ${models.best.metric} (${pct(models.best.score)}).`,
  ];
}

/** report.md of any run: facts, privacy and secure aggregation, then one row per round. */
export function experimentMarkdown(r: ExperimentReport): string {
  const e = r.experiment;
  const cfg = e.config;
  const dp = Boolean(cfg.dp && r.privacy);
  const lines = [
    `# Accord experiment: ${e.name}`,
    '',
    `Experiment \`${e.id}\`, ${e.status}${e.error ? ` (${cell(e.error)})` : ''}, strategy ${cfg.strategy.name}, ${r.rounds.length} of ${cfg.rounds} rounds committed; final mean site accuracy ${pct(r.final?.meanSiteAccuracy)}.`,
    `${backendsLine(r)} Bytes up ${r.bytes.up}, down ${r.bytes.down}.`,
    ...intervalLines(r),
  ];
  if (cfg.secagg.mode !== 'off') lines.push('', secureLine(r));
  lines.push(...privacyLines(r));
  if (e.stopped) lines.push('', `Stopped early: ${e.stopped}.`);
  lines.push(...modelsLines(r));
  lines.push(...personalMarkdown(r));
  lines.push(...appLines(r));
  lines.push(...boundedLines(r));
  lines.push(...participationLines(r));
  lines.push(
    '',
    '## Rounds',
    '',
    `| round | sites | train loss | mean site accuracy | failed sites | up bytes | down bytes | ms |${dp ? ` epsilon (${epsilonColumnTerms(r)}) |` : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |${dp ? ' --- |' : ''}`,
  );
  for (const x of r.rounds) {
    const failed = Object.entries(x.failures).map(([s, why]) => `${s}: ${why}`);
    lines.push(
      `| ${x.round} | ${x.participants.length} | ${x.trainLoss.toFixed(4)} | ${x.evaluated ? pct(x.meanSiteAccuracy) : '-'} | ${cell(failed.join('; ')) || '-'} | ${x.bytesUp} | ${x.bytesDown} | ${x.durations.totalMs} |` +
        (dp ? ` ${x.privacy?.epsilon.toFixed(3) ?? '-'} |` : ''),
    );
  }
  return `${lines.join('\n')}\n`;
}
