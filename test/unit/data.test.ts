import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig } from '../../shared/config/schema.js';
import { combineColumnSums, siteColumnSums } from '../../shared/data/column-sums.js';
import { parseCsv, readCsvFile } from '../../shared/data/csv.js';
import { featureNames, prepareSite } from '../../shared/data/features.js';
import { loadSiteData } from '../../shared/data/site.js';
import { stratifiedSplit } from '../../shared/data/split.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

const cfg = { ...(parseExperiment(HEART_DISEASE.experiment).data as CsvDataConfig), scaling: 'standard' as const };

describe('CSV adapter and site-local features', () => {
  it('reads all four centres; ? and NaN are missing; label binarised', () => {
    const sizes: Record<string, number> = {};
    for (const [site, file] of Object.entries(HEART_DISEASE.sites)) {
      const t = readCsvFile(file, cfg);
      sizes[site] = t.rows.length;
    }
    expect(sizes).toEqual({ cleveland: 303, hungary: 294, switzerland: 123, va: 200 });
    const t = parseCsv('1,?,0,1\n2,NaN,3,0\n', { ...cfg, columns: ['a', 'b', 'chol', 'num'] });
    expect(Number.isNaN(t.rows[0]![1])).toBe(true);
    expect(Number.isNaN(t.rows[1]![1])).toBe(true);
    // chol = 0 means "not recorded"
    expect(Number.isNaN(t.rows[0]![2])).toBe(true);
  });

  it('a CSV without the label column is a clear error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-csv-'));
    const f = path.join(dir, 'nolabel.csv');
    fs.writeFileSync(f, 'age,sex\n50,1\n');
    expect(() => readCsvFile(f, { ...cfg, header: true, columns: ['age', 'sex', 'num'] })).toThrow(
      /label column "num" is missing/,
    );
    fs.writeFileSync(f, 'age,sex,num\n50,1,abc\n');
    expect(() => readCsvFile(f, { ...cfg, header: true, columns: ['age', 'sex', 'num'] })).toThrow(
      /:2: column num has non-numeric value "abc"/,
    );
    fs.writeFileSync(f, '50,1\n');
    expect(() => readCsvFile(f, { ...cfg, columns: ['age', 'sex', 'num'] })).toThrow(/:1: 2 cells, expected 3/);
  });

  it('stratified split keeps label shares and is fixed by the seed', () => {
    const labels = [...Array(100)].map((_, i) => (i < 30 ? 1 : 0));
    const a = stratifiedSplit(labels, 0.3, 7);
    const b = stratifiedSplit(labels, 0.3, 7);
    expect(a).toEqual(b);
    expect(a.test.length).toBe(30);
    expect(a.test.filter((i) => labels[i] === 1).length).toBe(9);
    expect(stratifiedSplit(labels, 0.3, 8).test).not.toEqual(a.test);
  });

  it("imputes and standardises with the site's own training rows only", () => {
    const site = loadSiteData(HEART_DISEASE.sites.cleveland, cfg);
    expect(site.featureNames).toEqual(featureNames(cfg));
    expect(site.train.n + site.test.n).toBe(303);
    const nf = site.featureNames.length;
    for (let j = 0; j < nf; j++) {
      let s = 0;
      for (let i = 0; i < site.train.n; i++) s += site.train.x[i * nf + j]!;
      expect(Math.abs(s / site.train.n)).toBeLessThan(1e-4); // mean 0 on train rows
    }
    expect(site.train.x.every(Number.isFinite)).toBe(true);
    expect(site.test.x.every(Number.isFinite)).toBe(true);
  });

  it('federated scaling: global statistics from per-site sums equal those of the pooled rows, without pooling', () => {
    const fed = { ...cfg, scaling: 'federated' as const };
    const tables = Object.values(HEART_DISEASE.sites).map((f) => readCsvFile(f, fed));
    const stats = combineColumnSums(tables.map((t) => siteColumnSums(t, fed)));
    // Direct computation over the pooled training rows: mean and deviation of the present values (the
    // declared rows do not enter: a site could inflate them to shrink every deviation).
    const col = 'chol';
    const values: number[] = [];
    for (const t of tables) {
      const li = t.columns.indexOf('num');
      const split = stratifiedSplit(
        t.rows.map((r) => (r[li]! > 0 ? 1 : 0)),
        fed.testFraction,
        fed.splitSeed,
      );
      for (const i of split.train) values.push(t.rows[i]![t.columns.indexOf(col)]!);
    }
    const present = values.filter((v) => !Number.isNaN(v));
    const mean = present.reduce((a, b) => a + b, 0) / present.length;
    const std = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length);
    expect(present.length).toBeLessThan(values.length); // chol has missing values: the case that differs
    expect(stats[col]!.mean).toBeCloseTo(mean, 8);
    expect(stats[col]!.std).toBeCloseTo(std, 8);
    // Sites then scale with the global figures; without them, federated scaling refuses to guess.
    const site = prepareSite(tables[0]!, { ...fed, stats });
    expect(site.train.n).toBeGreaterThan(0);
    expect(() => prepareSite(tables[0]!, fed)).toThrow(/federated scaling needs global statistics for column "age"/);
  });

  it('one-hot encodes categorical columns from the schema', () => {
    const c = { ...cfg, columns: ['cp', 'x', 'num'], categorical: { cp: [1, 2, 3] }, testFraction: 0.5 };
    const t = parseCsv('1,5,0\n2,6,1\n3,7,0\n2,8,1\n', c);
    const d = prepareSite(t, c);
    expect(d.featureNames).toEqual(['cp=1', 'cp=2', 'cp=3', 'x']);
    const rows = [...Array(d.train.n)].map((_, i) => [...d.train.x.subarray(i * 4, i * 4 + 3)]);
    for (const r of rows) expect(r.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
