// Federated analytics, the site's half: a profile of each numeric column of the site's rows (recorded
// and missing counts, values outside the declared range, sum and sum of squares, a histogram over the
// declared range) and the count of each label class. Every count below the site's floor is withheld
// (a small cell gives a few patients away), and so is a column whose recorded values are too few or
// dominated by one value, as for federated scaling. Pure: the worker reads the table, this decides
// what leaves, and the coordinator pools it (summary.ts).
import type { CsvDataConfig } from '../config/schema.js';
import type { RawTable } from '../data/csv.js';
import { labelOf } from '../data/features.js';

/** What the experiment asks the sites to profile (data.analysis). */
export interface AnalysisSettings {
  /** Equal-width bins over each column's declared range. */
  bins: number;
}

export interface ColumnProfile {
  /** Recorded values, and missing cells (undefined: withheld, fewer than the floor). */
  n: number;
  missing?: number;
  /** Recorded values outside the declared range (counted, then clamped into it); undefined: withheld. */
  outOfRange?: number;
  sum: number;
  sumsq: number;
  /** Counts per bin over the declared range; a bin below the floor is sent as 0 and counted in `hiddenBins`. */
  hist?: number[];
  hiddenBins: number;
}

export interface SiteProfile {
  /** All rows of the site's table (labelled or not). */
  rows: number;
  /** Numeric columns the site releases. */
  columns: Record<string, ColumnProfile>;
  /** Label class index -> rows; a class below the floor is left out. */
  labels: Record<string, number>;
  /** Columns and label classes withheld as a whole. */
  suppressed: { columns: string[]; labels: string[] };
}

/** The numeric columns profiled, in schema order (not the label, not dropped, not categorical). */
export function profiledColumns(cfg: CsvDataConfig): string[] {
  return cfg.columns.filter((c) => c !== cfg.label && !cfg.drop.includes(c) && !cfg.categorical[c]);
}

/** The bin of `v` (already within [lo, hi]) among `bins` equal bins. */
export function binOf(v: number, lo: number, hi: number, bins: number): number {
  if (!(hi > lo)) return 0;
  return Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
}

/** `c` when it is 0 or at least the floor, else undefined (a small cell). */
const cell = (c: number, floor: number) => (c === 0 || c >= floor ? c : undefined);

/** The site's profile of `table` under `cfg`, every cell below `floor` withheld. */
export function siteProfile(table: RawTable, cfg: CsvDataConfig, s: AnalysisSettings, floor: number): SiteProfile {
  const rows = [...table.rows, ...table.unlabeled.rows];
  const out: SiteProfile = { rows: rows.length, columns: {}, labels: {}, suppressed: { columns: [], labels: [] } };
  for (const c of profiledColumns(cfg)) {
    const j = table.columns.indexOf(c);
    if (j < 0) continue;
    const range = cfg.ranges?.[c];
    const hist = range ? new Array<number>(s.bins).fill(0) : undefined;
    let n = 0;
    let sum = 0;
    let sumsq = 0;
    let outside = 0;
    const counts = new Map<number, number>();
    for (const row of rows) {
      let v = row[j]!;
      if (Number.isNaN(v)) continue;
      if (range && (v < range[0] || v > range[1])) {
        outside++;
        v = Math.min(range[1], Math.max(range[0], v));
      }
      n++;
      sum += v;
      sumsq += v * v;
      counts.set(v, (counts.get(v) ?? 0) + 1);
      if (hist && range) hist[binOf(v, range[0], range[1], s.bins)]! += 1;
    }
    const top = Math.max(0, ...counts.values());
    if ((n > 0 && n < floor) || (n > 0 && n - top < floor)) {
      out.suppressed.columns.push(c);
      continue;
    }
    let hiddenBins = 0;
    const shown = hist?.map((h) => {
      if (cell(h, floor) !== undefined) return h;
      hiddenBins++;
      return 0;
    });
    const missing = cell(rows.length - n, floor);
    const outOfRange = cell(outside, floor);
    out.columns[c] = {
      n,
      ...(missing !== undefined ? { missing } : {}),
      ...(outOfRange !== undefined ? { outOfRange } : {}),
      sum,
      sumsq,
      ...(shown ? { hist: shown } : {}),
      hiddenBins,
    };
  }
  const labelIdx = table.columns.indexOf(cfg.label);
  if (labelIdx >= 0) {
    const counts = new Map<number, number>();
    for (const row of table.rows) {
      const y = labelOf(row[labelIdx]!, cfg);
      counts.set(y, (counts.get(y) ?? 0) + 1);
    }
    for (const [y, k] of [...counts].sort((a, b) => a[0] - b[0])) {
      if (cell(k, floor) === undefined) out.suppressed.labels.push(String(y));
      else out.labels[String(y)] = k;
    }
  }
  return out;
}

/**
 * The profile as Metrics values (numbers only, names [A-Za-z0-9_.]): an.rows; per schema column index
 * K an.K.n, .missing, .oor, .sum, .sumsq, .hidden, .h.I; an.K.suppressed = 1 for a withheld column;
 * an.label.Y per class, an.label.Y.suppressed = 1.
 */
export function profileToMetrics(p: SiteProfile, cfg: CsvDataConfig): Record<string, number> {
  const v: Record<string, number> = { 'an.rows': p.rows };
  cfg.columns.forEach((c, k) => {
    const col = p.columns[c];
    if (p.suppressed.columns.includes(c)) v[`an.${k}.suppressed`] = 1;
    if (!col) return;
    v[`an.${k}.n`] = col.n;
    if (col.missing !== undefined) v[`an.${k}.missing`] = col.missing;
    if (col.outOfRange !== undefined) v[`an.${k}.oor`] = col.outOfRange;
    v[`an.${k}.sum`] = col.sum;
    v[`an.${k}.sumsq`] = col.sumsq;
    v[`an.${k}.hidden`] = col.hiddenBins;
    col.hist?.forEach((h, i) => {
      v[`an.${k}.h.${i}`] = h;
    });
  });
  for (const [y, n] of Object.entries(p.labels)) v[`an.label.${y}`] = n;
  for (const y of p.suppressed.labels) v[`an.label.${y}.suppressed`] = 1;
  return v;
}

/** Whether a metric name is part of an analysis profile. */
export const isProfileMetric = (name: string) => name.startsWith('an.');

/**
 * A profile back from Metrics values, checked: whole, non-negative counts within the rows, as many
 * bins as asked, bins summing to at most the recorded values; else a string naming the first problem.
 */
export function metricsToProfile(
  v: Record<string, number>,
  cfg: CsvDataConfig,
  s: AnalysisSettings,
): SiteProfile | string {
  const rows = v['an.rows'];
  const whole = (x: number | undefined, max: number) => x !== undefined && Number.isInteger(x) && x >= 0 && x <= max;
  if (!whole(rows, Number.MAX_SAFE_INTEGER)) return 'an.rows is not a whole number';
  const p: SiteProfile = { rows: rows!, columns: {}, labels: {}, suppressed: { columns: [], labels: [] } };
  const known = new Set<string>(['an.rows']);
  for (const [k, c] of cfg.columns.entries()) {
    const key = (what: string) => {
      known.add(`an.${k}.${what}`);
      return v[`an.${k}.${what}`];
    };
    if (key('suppressed') === 1) p.suppressed.columns.push(c);
    const n = key('n');
    const hist = Array.from({ length: s.bins }, (_, i) => key(`h.${i}`));
    const [missing, oor, sum, sumsq, hidden] = [key('missing'), key('oor'), key('sum'), key('sumsq'), key('hidden')];
    if (n === undefined) continue;
    if (!whole(n, rows!)) return `column ${c}: count ${n} is not a whole number within ${rows} rows`;
    if (missing !== undefined && (!whole(missing, rows!) || missing + n !== rows))
      return `column ${c}: ${missing} missing and ${n} recorded do not make the ${rows} rows`;
    if (oor !== undefined && !whole(oor, n)) return `column ${c}: ${oor} out-of-range values of ${n}`;
    if (!Number.isFinite(sum) || !Number.isFinite(sumsq) || sumsq! < 0 || sum! ** 2 > n * sumsq! * (1 + 1e-9) + 1e-9)
      return `column ${c}: sums that ${n} values cannot have`;
    const present = hist.filter((h) => h !== undefined);
    if (present.length && present.length !== s.bins) return `column ${c}: ${present.length} bins, ${s.bins} asked`;
    if (present.some((h) => !whole(h, n)) || present.reduce((a, h) => a + h!, 0) > n)
      return `column ${c}: bins that do not fit ${n} values`;
    p.columns[c] = {
      n,
      ...(missing !== undefined ? { missing } : {}),
      ...(oor !== undefined ? { outOfRange: oor } : {}),
      sum: sum!,
      sumsq: sumsq!,
      ...(present.length ? { hist: present as number[] } : {}),
      hiddenBins: whole(hidden, s.bins) ? hidden! : 0,
    };
  }
  for (const [name, value] of Object.entries(v)) {
    if (!isProfileMetric(name) || known.has(name)) continue;
    const m = /^an\.label\.(\d+)(\.suppressed)?$/.exec(name);
    if (!m) return `"${name.slice(0, 80)}" is not part of a profile`;
    if (m[2]) p.suppressed.labels.push(m[1]!);
    else if (!whole(value, rows!)) return `label ${m[1]}: ${value} rows`;
    else p.labels[m[1]!] = value;
  }
  return p;
}

/**
 * Under secure aggregation a profile travels as one vector, summed over the sites before anyone sees
 * it: per profiled column [released, n, missing released, missing, out-of-range released, out of range,
 * sum, sumsq, hidden bins, bins...], then per label class [released, count], then the rows. A withheld
 * cell is a 0 with its "released" 0, so the total says how many sites released each one.
 */
export function profileVectorLength(cfg: CsvDataConfig, s: AnalysisSettings, classes: number): number {
  return profiledColumns(cfg).length * (9 + s.bins) + 2 * classes + 1;
}

export function profileToVector(p: SiteProfile, cfg: CsvDataConfig, s: AnalysisSettings, classes: number): number[] {
  const v: number[] = [];
  for (const c of profiledColumns(cfg)) {
    const col = p.columns[c];
    if (!col) {
      v.push(...new Array<number>(9 + s.bins).fill(0));
      continue;
    }
    v.push(1, col.n, col.missing === undefined ? 0 : 1, col.missing ?? 0);
    v.push(col.outOfRange === undefined ? 0 : 1, col.outOfRange ?? 0, col.sum, col.sumsq, col.hiddenBins);
    v.push(...(col.hist ?? new Array<number>(s.bins).fill(0)));
  }
  for (let y = 0; y < classes; y++) {
    const k = p.labels[String(y)];
    v.push(k === undefined ? 0 : 1, k ?? 0);
  }
  v.push(p.rows);
  return v;
}

/** What a summed profile vector says: the pooled sums, and how many sites released each cell. */
export interface PooledProfile {
  profile: SiteProfile;
  /** Column -> sites that released it (the others withheld it, or had no values). */
  releasedBy: Record<string, number>;
}

/** The total of `sites` sites' profile vectors, read back (counts rounded: fixed-point sums). */
export function vectorToPooledProfile(
  v: ArrayLike<number>,
  cfg: CsvDataConfig,
  s: AnalysisSettings,
  classes: number,
  sites: number,
): PooledProfile {
  const whole = (x: number | undefined) => Math.max(0, Math.round(x ?? 0));
  let at = 0;
  const next = () => v[at++] ?? 0;
  const p: SiteProfile = { rows: 0, columns: {}, labels: {}, suppressed: { columns: [], labels: [] } };
  const releasedBy: Record<string, number> = {};
  for (const c of profiledColumns(cfg)) {
    const released = whole(next());
    const n = whole(next());
    const missingBy = whole(next());
    const missing = whole(next());
    const oorBy = whole(next());
    const oor = whole(next());
    const sum = next();
    const sumsq = next();
    const hidden = whole(next());
    const hist = Array.from({ length: s.bins }, () => whole(next()));
    releasedBy[c] = released;
    if (released < sites) p.suppressed.columns.push(c);
    if (released === 0) continue;
    p.columns[c] = {
      n,
      // A count some releasing site withheld leaves the total unknown.
      ...(missingBy === released ? { missing } : {}),
      ...(oorBy === released ? { outOfRange: oor } : {}),
      sum,
      sumsq: Math.max(0, sumsq),
      ...(cfg.ranges?.[c] ? { hist } : {}),
      hiddenBins: hidden,
    };
  }
  for (let y = 0; y < classes; y++) {
    const released = whole(next());
    const k = whole(next());
    if (released < sites) p.suppressed.labels.push(String(y));
    if (released > 0) p.labels[String(y)] = k;
  }
  p.rows = whole(next());
  return { profile: p, releasedBy };
}
