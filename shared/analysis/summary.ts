// Federated analytics, the coordinator's half: the sites' profiles (profile.ts) pooled, each column
// summarised (count, missingness, mean, standard deviation, histogram, approximate quantiles) per site
// and over all sites, label prevalence, each site's drift from the others (standardized mean
// difference per column), and flags for columns that look incomparable across sites. Pure.
import type { CsvDataConfig } from '../config/schema.js';
import type { AnalysisSettings, SiteProfile } from './profile.js';
import { profiledColumns } from './profile.js';

export interface ColumnSummary {
  n: number;
  /** Missing cells, where every site released its count (else undefined). */
  missing?: number;
  missingShare?: number;
  mean?: number;
  sd?: number;
  /** Values outside the declared range, where released. */
  outOfRange?: number;
  hist?: number[];
  /** Approximate quartiles from the histogram (linear within a bin: off by at most one bin width). */
  quantiles?: { p25: number; p50: number; p75: number; binWidth: number };
  /** Bins withheld as small cells (sent as 0). */
  hiddenBins: number;
}

export interface GroupSummary {
  rows: number;
  columns: Record<string, ColumnSummary>;
  /** Label class -> rows, and its share of the labelled rows released. */
  labels: Record<string, number>;
  prevalence: Record<string, number>;
  /** Columns and label classes withheld (per site), or whose count some site withheld (pooled). */
  suppressed: { columns: string[]; labels: string[] };
}

export type FlagKind = 'range' | 'missingness' | 'drift' | 'suppressed' | 'no-range';

export interface Flag {
  column: string;
  site?: string;
  kind: FlagKind;
  message: string;
}

export interface Analysis {
  bins: number;
  sites: string[];
  pooled: GroupSummary;
  perSite: Record<string, GroupSummary>;
  /** Column -> site -> standardized mean difference of the site against all the others pooled. */
  drift: Record<string, Record<string, number>>;
  flags: Flag[];
  /** Set when the profiles were summed under secure aggregation: pooled figures over this many sites only. */
  secure?: { sites: number };
}

/** Drift worth a look: |SMD| above this (Cohen's "medium"; 0.1 is the usual balance threshold). */
export const DRIFT_THRESHOLD = 0.5;
/** Missingness gap (share of rows) between a site and the others worth a look. */
export const MISSING_GAP = 0.3;

/** Quartiles of a histogram over [lo, hi], interpolated within bins. */
export function histogramQuantiles(hist: readonly number[], lo: number, hi: number): ColumnSummary['quantiles'] {
  const total = hist.reduce((a, b) => a + b, 0);
  if (!(total > 0) || !(hi > lo)) return undefined;
  const width = (hi - lo) / hist.length;
  const at = (q: number) => {
    const target = q * total;
    let acc = 0;
    for (let i = 0; i < hist.length; i++) {
      const h = hist[i]!;
      if (acc + h >= target && h > 0) return lo + (i + (target - acc) / h) * width;
      acc += h;
    }
    return hi;
  };
  return { p25: at(0.25), p50: at(0.5), p75: at(0.75), binWidth: width };
}

/** Sums of one column over several profiles: what pooling (or a site alone) gives. */
function summarise(
  parts: { rows: number; col: SiteProfile['columns'][string] | undefined }[],
  range: [number, number] | undefined,
): ColumnSummary | undefined {
  const present = parts.filter((p) => p.col);
  if (!present.length) return undefined;
  const n = present.reduce((a, p) => a + p.col!.n, 0);
  const sum = present.reduce((a, p) => a + p.col!.sum, 0);
  const sumsq = present.reduce((a, p) => a + p.col!.sumsq, 0);
  const allMissing = present.every((p) => p.col!.missing !== undefined);
  const rows = present.reduce((a, p) => a + p.rows, 0);
  const missing = allMissing ? present.reduce((a, p) => a + p.col!.missing!, 0) : undefined;
  const allOor = present.every((p) => p.col!.outOfRange !== undefined);
  const hists = present.map((p) => p.col!.hist).filter((h): h is number[] => Boolean(h));
  const hist =
    hists.length === present.length && hists.length
      ? hists[0]!.map((_, i) => hists.reduce((a, h) => a + h[i]!, 0))
      : undefined;
  const mean = n > 0 ? sum / n : undefined;
  const variance = n > 1 && mean !== undefined ? Math.max(0, (sumsq - n * mean * mean) / (n - 1)) : undefined;
  const quantiles = hist && range ? histogramQuantiles(hist, range[0], range[1]) : undefined;
  return {
    n,
    ...(missing !== undefined ? { missing, missingShare: rows ? missing / rows : 0 } : {}),
    ...(mean !== undefined ? { mean } : {}),
    ...(variance !== undefined ? { sd: Math.sqrt(variance) } : {}),
    ...(allOor ? { outOfRange: present.reduce((a, p) => a + p.col!.outOfRange!, 0) } : {}),
    ...(hist ? { hist } : {}),
    ...(quantiles ? { quantiles } : {}),
    hiddenBins: present.reduce((a, p) => a + p.col!.hiddenBins, 0),
  };
}

function group(profiles: SiteProfile[], cfg: CsvDataConfig): GroupSummary {
  const columns: Record<string, ColumnSummary> = {};
  for (const c of profiledColumns(cfg)) {
    const s = summarise(
      profiles.map((p) => ({ rows: p.rows, col: p.columns[c] })),
      cfg.ranges?.[c],
    );
    if (s) columns[c] = s;
  }
  const labels: Record<string, number> = {};
  for (const p of profiles) for (const [y, k] of Object.entries(p.labels)) labels[y] = (labels[y] ?? 0) + k;
  const labelled = Object.values(labels).reduce((a, b) => a + b, 0);
  const prevalence = Object.fromEntries(Object.entries(labels).map(([y, k]) => [y, labelled ? k / labelled : 0]));
  const suppressed = {
    columns: [...new Set(profiles.flatMap((p) => p.suppressed.columns))],
    labels: [...new Set(profiles.flatMap((p) => p.suppressed.labels))],
  };
  return { rows: profiles.reduce((a, p) => a + p.rows, 0), columns, labels, prevalence, suppressed };
}

/** Standardized mean difference of `a` against `b`: (mean_a - mean_b) / sqrt((sd_a^2 + sd_b^2) / 2). */
export function smd(a: ColumnSummary, b: ColumnSummary): number | undefined {
  if (a.mean === undefined || b.mean === undefined || a.sd === undefined || b.sd === undefined) return undefined;
  const pooled = Math.sqrt((a.sd ** 2 + b.sd ** 2) / 2);
  if (!(pooled > 0)) return a.mean === b.mean ? 0 : undefined;
  return (a.mean - b.mean) / pooled;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** A column without a declared range has no histogram: its quantiles and range checks are missing. */
const noRange = (column: string): Flag => ({
  column,
  kind: 'no-range',
  message: `${column}: no declared range (data.ranges), so no histogram or quantiles`,
});

/** The analysis of the sites' profiles (`bySite`: site -> its profile, as released). */
export function analyse(bySite: Record<string, SiteProfile>, cfg: CsvDataConfig, s: AnalysisSettings): Analysis {
  const sites = Object.keys(bySite).sort();
  const pooled = group(
    sites.map((x) => bySite[x]!),
    cfg,
  );
  const perSite = Object.fromEntries(sites.map((x) => [x, group([bySite[x]!], cfg)]));
  const drift: Analysis['drift'] = {};
  const flags: Flag[] = [];
  for (const c of profiledColumns(cfg)) {
    if (!cfg.ranges?.[c]) flags.push(noRange(c));
    for (const x of sites) {
      const own = perSite[x]!.columns[c];
      if (bySite[x]!.suppressed.columns.includes(c)) {
        flags.push({
          column: c,
          site: x,
          kind: 'suppressed',
          message: `${c} at ${x}: withheld (fewer recorded values than the site's floor, or one value dominating)`,
        });
        continue;
      }
      if (!own) continue;
      const others = group(
        sites.filter((o) => o !== x).map((o) => bySite[o]!),
        cfg,
      ).columns[c];
      if (own.outOfRange && own.outOfRange > 0)
        flags.push({
          column: c,
          site: x,
          kind: 'range',
          message: `${c} at ${x}: ${own.outOfRange} of ${own.n} values outside the declared range ${JSON.stringify(cfg.ranges?.[c])} (another unit or coding?)`,
        });
      if (
        others &&
        own.missingShare !== undefined &&
        others.missingShare !== undefined &&
        Math.abs(own.missingShare - others.missingShare) > MISSING_GAP
      )
        flags.push({
          column: c,
          site: x,
          kind: 'missingness',
          message: `${c} at ${x}: ${pct(own.missingShare)} missing against ${pct(others.missingShare)} at the other sites`,
        });
      const d = others ? smd(own, others) : undefined;
      if (d !== undefined) {
        drift[c] = { ...drift[c], [x]: d };
        if (Math.abs(d) > DRIFT_THRESHOLD)
          flags.push({
            column: c,
            site: x,
            kind: 'drift',
            message: `${c} at ${x}: mean ${own.mean!.toFixed(2)} against ${others!.mean!.toFixed(2)} elsewhere (standardized difference ${d.toFixed(2)})`,
          });
      }
    }
  }
  return { bins: s.bins, sites, pooled, perSite, drift, flags };
}

/**
 * The analysis of a profile pooled under secure aggregation: only the total over `sites` sites is known,
 * so there is no per-site summary and no drift; a column or class some site withheld is flagged with
 * how many released it.
 */
export function analysePooled(
  pooledProfile: SiteProfile,
  releasedBy: Record<string, number>,
  sites: number,
  cfg: CsvDataConfig,
  s: AnalysisSettings,
): Analysis {
  const pooled = group([pooledProfile], cfg);
  const flags: Flag[] = [];
  for (const c of profiledColumns(cfg)) {
    if (!cfg.ranges?.[c]) flags.push(noRange(c));
    const by = releasedBy[c] ?? 0;
    if (by < sites)
      flags.push({
        column: c,
        kind: 'suppressed',
        message: `${c}: released by ${by} of ${sites} sites (the others withheld it or had no values); the pooled figures cover those ${by}`,
      });
    const oor = pooled.columns[c]?.outOfRange;
    if (oor)
      flags.push({
        column: c,
        kind: 'range',
        message: `${c}: ${oor} values outside the declared range over all sites (another unit or coding?)`,
      });
  }
  return { bins: s.bins, sites: [], pooled, perSite: {}, drift: {}, flags, secure: { sites } };
}
