// A malicious valid site's column statistics (federated scaling) against the declared ranges: poisoned
// sums that fit Cauchy-Schwarz (n = 100, a plausible sum, sum of squares 1e15) and invalid ones are
// refused on arrival, the site is named as left out, the experiment goes on, and the honest sites learn
// as they would without it. Without the ranges the same sums pass and move the global statistics.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExperimentRecord } from '../../coordinator/experiments/records.js';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import {
  type ColumnSums,
  combineColumnSums,
  metricsToColumnSums,
  numericColumns,
  siteColumnSums,
} from '../../shared/data/column-sums.js';
import { readCsvFile } from '../../shared/data/csv.js';
import { columnSumsProblem } from '../../shared/data/stats-check.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type TestFederation, useTestFederation } from '../helpers/federation.js';
import type { RogueOptions } from '../helpers/rogue.js';

const TOKENS = { cleveland: 'tok-cleveland-1', hungary: 'tok-hungary-22', rogue: 'tok-rogue-333' };
const HONEST = { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary };
const ROUNDS = 5;
const cfg = parseExperiment(HEART_DISEASE.experiment).data as CsvDataConfig;
const numeric = numericColumns(cfg);
const ranges = cfg.ranges ?? {};

/** The rogue's Metrics values: n = 100 and `sum(column)` for every numeric column, each sum of squares 1e15. */
function poisoned(sum: (lo: number, hi: number) => number): Record<string, number> {
  const values: Record<string, number> = {};
  for (const c of numeric) {
    const k = cfg.columns.indexOf(c);
    const [lo, hi] = ranges[c] ?? [0, 1];
    Object.assign(values, { [`n.${k}`]: 100, [`sum.${k}`]: sum(lo, hi), [`sumsq.${k}`]: 1e15 });
  }
  return values;
}
/** Plausible: 100 values at the middle of the range. */
const PLAUSIBLE = poisoned((lo, hi) => (100 * (lo + hi)) / 2);

/** Mean accuracy of the honest sites on their own test rows after the last round. */
async function honestAccuracy(f: TestFederation, id: string): Promise<number> {
  const last = (await f.records.rounds(id)).at(-1);
  const acc = Object.keys(HONEST).map((s) => last?.siteEval[s]?.accuracy ?? Number.NaN);
  return acc.reduce((a, b) => a + b, 0) / acc.length;
}

const eventsOf = async (f: TestFederation, id: string) => (await f.records.events(id)).map((e) => e.message).join('\n');

/** Global statistics any honest federation of these sites could have (the poisoned ones are ~1e6). */
function expectSane(rec: ExperimentRecord): void {
  for (const c of numeric) {
    const s = rec.stats?.[c];
    const [lo, hi] = ranges[c] ?? [0, 0];
    expect(s?.mean, c).toBeGreaterThanOrEqual(lo);
    expect(s?.mean, c).toBeLessThanOrEqual(hi);
    expect(s?.std, c).toBeLessThanOrEqual(hi - lo);
  }
}

describe('poisoned column statistics from a valid site', () => {
  const t = useTestFederation(afterEach);
  let baseline: number | undefined;

  /** The honest sites alone: the accuracy the others are compared with. */
  async function withoutRogue(): Promise<number> {
    if (baseline !== undefined) return baseline;
    const f = await t.start(TOKENS);
    await t.workers(f, HONEST);
    const id = await f.submit({ rounds: ROUNDS, clients: { min: 2 } });
    const rec = await f.waitFor(id, undefined, 120_000);
    expect(rec.status).toBe('completed');
    expectSane(rec);
    baseline = await honestAccuracy(f, id);
    expect(baseline).toBeGreaterThan(0.6);
    await t.stopAll();
    return baseline;
  }

  async function withRogue(opts: RogueOptions, submit: Parameters<TestFederation['submit']>[0]) {
    const f = await t.start(TOKENS);
    await t.workers(f, HONEST);
    // The rogue trains too (a zero update), so it stays in the federation after its statistics are refused.
    const rogue = await t.rogue(f, 'rogue', TOKENS.rogue, { train: (n) => new Float32Array(n), ...opts });
    const id = await f.submit(submit);
    const rec = await f.waitFor(id, undefined, 120_000);
    return { f, id, rec, rogue, events: await eventsOf(f, id) };
  }

  it('n = 100, a plausible sum and sum of squares 1e15: refused by the ranges, named, and harmless', async () => {
    const alone = await withoutRogue();
    const { f, id, rec, rogue, events } = await withRogue(
      { stats: { examples: 100, values: PLAUSIBLE } },
      { rounds: ROUNDS, clients: { min: 2 } },
    );
    expect(rec.status, rec.error).toBe('completed');
    expect(events).toMatch(
      /federated scaling: statistics of rogue left out: stats metrics: column age: sum of squares 1000000000000000 of 100 values is above 1000000 \(range \[18, 100\]\)/,
    );
    expect(events).toMatch(/column statistics from 2 sites/);
    expect(rogue.errors().map((e) => e.code)).toContain('BAD_METRICS');
    expectSane(rec);
    expect(Math.abs((await honestAccuracy(f, id)) - alone)).toBeLessThanOrEqual(0.02);
  });

  it('invalid statistics (n above the rows, negative n, a sum without its squares, the label) never fail the run', async () => {
    const alone = await withoutRogue();
    const age = cfg.columns.indexOf('age');
    const label = cfg.columns.indexOf(cfg.label);
    const invalid: [Record<string, number>, RegExp][] = [
      [
        { [`n.${age}`]: 500, [`sum.${age}`]: 500 * 50, [`sumsq.${age}`]: 500 * 2600 },
        /count 500 is not a whole number/,
      ],
      [{ [`n.${age}`]: -5, [`sum.${age}`]: 0, [`sumsq.${age}`]: 0 }, /count -5 is not a whole number/],
      [{ [`n.${age}`]: 5e-324, [`sum.${age}`]: 0, [`sumsq.${age}`]: 0 }, /count 5e-324 is not a whole number/],
      // Accepted before: sumsq counted as 0 skipped Cauchy-Schwarz, and the mean of age went to ~2.5e12.
      [{ [`n.${age}`]: 1, [`sum.${age}`]: 1e15 }, /n, sum and sumsq must be sent together/],
      [{ [`n.${label}`]: 100, [`sum.${label}`]: 50, [`sumsq.${label}`]: 50 }, /column num is not a numeric column/],
    ];
    for (const [values, why] of invalid) {
      // clients.min 3 of the 3 sites: no site is spare. A refused site stays in the federation (it is
      // live and trains), so the run goes on; it used to fail ("2 sites sent column statistics, 3 needed").
      const { f, id, rec, events } = await withRogue(
        { stats: { examples: 100, values } },
        { rounds: values === invalid[0]![0] ? ROUNDS : 1, clients: { min: 3 } },
      );
      expect(rec.status, `${JSON.stringify(values)}: ${rec.error}`).toBe('completed');
      expect(events).toMatch(new RegExp(`statistics of rogue left out: stats metrics: .*${why.source}`));
      expect(events).toMatch(/column statistics from 2 sites/);
      expectSane(rec);
      if (values === invalid[0]![0]) {
        expect((await f.records.rounds(id)).at(-1)?.participants).toContain('rogue');
        expect(Math.abs((await honestAccuracy(f, id)) - alone)).toBeLessThanOrEqual(0.02);
      }
      await t.stopAll();
    }
  });

  it('without the ranges (Cauchy-Schwarz alone) the same sums pass and move the global statistics', async () => {
    const noRanges = { ...HEART_DISEASE.experiment.data, ranges: undefined };
    const { rec, events } = await withRogue(
      { stats: { examples: 100, values: PLAUSIBLE } },
      { rounds: 1, clients: { min: 2 }, data: noRanges },
    );
    expect(rec.status, rec.error).toBe('completed');
    expect(events).not.toMatch(/left out/);
    expect(events).toMatch(/column statistics from 3 sites/);
    expect(rec.stats?.['age']?.std).toBeGreaterThan(1e5); // ~1.4e6: every feature scaled to nothing

    // The sums directly: each poison passes the check without ranges and is refused with them.
    const honest: ColumnSums[] = Object.keys(HONEST).map((s) =>
      siteColumnSums(readCsvFile(HEART_DISEASE.sites[s as keyof typeof HONEST], cfg), cfg),
    );
    // The measured attack: the largest sum Cauchy-Schwarz allows (sqrt(n sumsq)) moves every mean to ~6e5.
    const largest = metricsToColumnSums(
      poisoned(() => Math.sqrt(100 * 1e15)),
      100,
      cfg.columns,
    );
    const plausible = metricsToColumnSums(PLAUSIBLE, 100, cfg.columns);
    const bare = { ...cfg, ranges: undefined };
    for (const rogue of [largest, plausible]) {
      expect(columnSumsProblem(rogue, bare)).toBeUndefined();
      expect(columnSumsProblem(rogue, cfg)).toBeDefined();
    }
    const clean = combineColumnSums(honest);
    const moved = combineColumnSums([...honest, largest]);
    for (const c of numeric) {
      expect(clean[c]!.mean, c).toBeLessThan(700);
      expect(moved[c]!.mean, c).toBeGreaterThan(5e5);
    }
    expect(combineColumnSums([...honest, plausible])['age']!.std).toBeGreaterThan(1e5);
  });
});
