// Federated analytics (issue 19 part 2): `accord simulate --analyze` writes analysis.json, .md and .html
// from the sites' profiles, with a column withheld where a site holds fewer recorded values than its
// floor, and a site's own floor winning over the experiment's; `accord analyze`'s experiment (data.analysis
// with only) profiles a real federation's sites and trains nothing. Real processes, Redis and gRPC.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Analysis } from '../../shared/analysis/summary.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { parseManifest, releases } from '../../shared/trust/manifest.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';

const run = promisify(execFile);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-analysis-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function simulate(out: string, ...extra: string[]): Analysis {
  const run = spawnSync(
    process.execPath,
    [...ACCORD_ARGV, 'simulate', '--dataset', 'heart-disease', '--analyze', '--rounds', '1', '--out', out, ...extra],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  for (const f of ['analysis.json', 'analysis.md', 'analysis.html'])
    expect(fs.existsSync(path.join(out, f)), f).toBe(true);
  return JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8')) as Analysis;
}

describe('federated analytics', () => {
  it('simulate --analyze: per site and pooled, small cells withheld, incomparable columns flagged', () => {
    const out = path.join(root, 'a');
    const a = simulate(out);
    expect(a.sites).toEqual(['cleveland', 'hungary', 'switzerland', 'va']);
    expect(a.pooled.rows).toBe(920);
    expect(a.pooled.columns['age']!.n).toBe(920);
    // ca: fewer than 5 recorded values at hungary, switzerland and va: withheld there, shown for cleveland.
    for (const s of ['hungary', 'switzerland', 'va']) {
      expect(a.perSite[s]!.suppressed.columns, s).toContain('ca');
      expect(a.perSite[s]!.columns['ca'], s).toBeUndefined();
    }
    expect(a.perSite['cleveland']!.columns['ca']!.n).toBeGreaterThan(290);
    // Switzerland records no cholesterol (0 means missing for chol): flagged against the others.
    expect(a.flags.map((f) => `${f.kind}:${f.column}@${f.site}`)).toContain('missingness:chol@switzerland');
    const md = fs.readFileSync(path.join(out, 'analysis.md'), 'utf8');
    expect(md).toContain('## switzerland');
    expect(md).toMatch(/\| ca \| withheld/);
    const html = fs.readFileSync(path.join(out, 'analysis.html'), 'utf8');
    expect(html).toContain('<svg');
    // The sites' labels: heart disease present in 509 of 920 rows.
    expect(a.pooled.labels).toEqual({ '0': 411, '1': 509 });
  }, 240_000);

  it('under secure aggregation only the pooled profile is revealed, equal to the sum of the sites', () => {
    const clear = JSON.parse(fs.readFileSync(path.join(root, 'a', 'analysis.json'), 'utf8')) as Analysis;
    const a = simulate(path.join(root, 's'), '--secagg', 'secagg', '--corrupt-fraction', '0');
    expect(a.secure).toEqual({ sites: 4 });
    expect(a.perSite).toEqual({});
    expect(a.drift).toEqual({});
    expect(a.pooled.labels).toEqual(clear.pooled.labels);
    for (const c of ['age', 'chol', 'thalach']) {
      expect(a.pooled.columns[c]!.n, c).toBe(clear.pooled.columns[c]!.n);
      expect(a.pooled.columns[c]!.mean!, c).toBeCloseTo(clear.pooled.columns[c]!.mean!, 3);
      expect(a.pooled.columns[c]!.hist, c).toEqual(clear.pooled.columns[c]!.hist);
    }
    // ca: only cleveland released it; the total says so, not which site.
    expect(a.flags.find((f) => f.column === 'ca' && f.kind === 'suppressed')?.message).toContain(
      'released by 1 of 4 sites',
    );
  }, 240_000);

  it("a site's own floor wins over the experiment's", () => {
    const policy = path.join(root, 'floor.yaml');
    fs.writeFileSync(policy, YAML.stringify({ data: { minCellCount: 200 } }));
    const a = simulate(path.join(root, 'b'), '--site-policy', policy);
    // switzerland has 123 rows: at a floor of 200 every column and class is withheld there.
    expect(a.perSite['switzerland']!.columns).toEqual({});
    expect(a.perSite['switzerland']!.labels).toEqual({});
    // cleveland's 303 rows still show its complete columns.
    expect(a.perSite['cleveland']!.columns['age']!.n).toBe(303);
  }, 240_000);
});

describe('accord analyze on a federation', () => {
  let fed: TestFederation | undefined;
  afterEach(async () => fed?.stop());

  it('profiles the sites, writes the analysis beside the report and trains nothing', async () => {
    const tokens = Object.fromEntries(Object.keys(HEART_DISEASE.sites).map((s) => [s, `tok-an-${s}`]));
    fed = await startFederation(tokens);
    const workers = await startHeartWorkers(fed, tokens);
    try {
      // The CLI as an operator runs it (asynchronously: the coordinator and sites run in this process).
      const file = path.join(PACKAGE_ROOT, 'examples', 'heart-disease.yaml');
      const { stdout, stderr } = await run(process.execPath, [
        ...ACCORD_ARGV,
        'analyze',
        file,
        '--redis',
        fed.redis.url,
        '--wait',
      ]);
      const id = stdout.trim();
      expect(stderr).toContain(`${id}/analysis.json`);
      const rec = await fed.waitFor(id, ['completed', 'failed'], 120_000);
      expect(rec.status, rec.error).toBe('completed');
      expect(await fed.records.rounds(id)).toEqual([]);
      const a = JSON.parse(fs.readFileSync(path.join(fed.store, id, 'analysis.json'), 'utf8')) as Analysis;
      expect(a.sites).toHaveLength(4);
      expect(a.pooled.columns['thalach']!.mean).toBeGreaterThan(100);
      // The terms each site approved say what the profile holds.
      expect(releases(parseManifest(rec.manifest!).manifest).join('\n')).toContain('a profile of all its rows');
    } finally {
      for (const w of workers) w.stop();
    }
  }, 180_000);
});
