// `accord simulate --config experiment.yaml --site NAME=PATH ...` (or --sites FILE), as users run it on
// their own data: the experiment config `accord submit` takes, one CSV file per site, and the same run
// and reports as the shipped heart-disease demo. Each run is 2-3 rounds of logistic regression on 180
// rows, small enough for a loaded 2-core CI machine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import type { SimulationReport } from '../../simulation/report.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-own-data-'));
const SITES = ['north', 'south', 'east'];

/** A seeded uniform in [0, 1) (mulberry32), so the data are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 60 rows per site with a header line: three features, the label 1 when x1 + x2 / 2 > 0 (separable, so
 * logistic regression beats chance by far); each site's inputs shifted a little, as hospitals differ.
 */
function writeSites(folder: string): Record<string, string> {
  fs.mkdirSync(folder, { recursive: true });
  const rnd = random(7);
  const files: Record<string, string> = {};
  SITES.forEach((site, i) => {
    const lines = ['x1,x2,x3,y'];
    for (let r = 0; r < 60; r++) {
      const x = [rnd() * 4 - 2 + 0.2 * i, rnd() * 4 - 2, rnd() * 4 - 2];
      lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${x[0]! + x[1]! / 2 > 0 ? 1 : 0}`);
    }
    files[site] = path.join(folder, `${site}.csv`);
    fs.writeFileSync(files[site], `${lines.join('\n')}\n`);
  });
  return files;
}

const data = writeSites(path.join(dir, 'data'));
const config = path.join(dir, 'experiment.yaml');
// As a user writes it for `accord submit`: its rounds (2) stand unless --rounds is given.
fs.writeFileSync(
  config,
  `name: own-data
model: { zoo: logreg }
data:
  format: csv
  header: true
  columns: [x1, x2, x3, y]
  label: y
  classes: 2
  scaling: federated
rounds: 2
clients: { min: 2 }
train: { epochs: 5, batchSize: 64, learningRate: 0.3, optimizer: sgd }
seed: 1
`,
);

interface Ran {
  code: number | null;
  stderr: string;
}

/** `accord simulate ARGS` as a child process, from the package root; resolves when it exits. */
function simulate(args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ACCORD_ARGV, 'simulate', ...args], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const report = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as SimulationReport;

describe('accord simulate on your own data', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs your experiment config on a CSV file per --site, with the reports of the shipped demos', async () => {
    const out = path.join(dir, 'run-site');
    const sites = SITES.flatMap((s) => ['--site', `${s}=${data[s]}`]);
    const ran = await simulate(['--config', config, ...sites, '--rounds', '3', '--out', out]);
    expect(ran.code, ran.stderr).toBe(0);
    const r = report(out);
    expect(r.simulation.dataset).toBe('own-data');
    expect(r.simulation.sites).toEqual(SITES);
    expect(r.rounds).toHaveLength(3); // --rounds given: it wins over the config's 2
    for (const round of r.rounds) expect([...round.participants].sort()).toEqual([...SITES].sort());
    expect(Object.keys(r.final!.siteAccuracy).sort()).toEqual([...SITES].sort());
    expect(r.final!.meanSiteAccuracy).toBeGreaterThan(0.75); // chance is about 0.5
    for (const f of ['report.html', 'report.md', 'roster.yaml', path.join('model', 'model.json')])
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    for (const s of SITES) expect(fs.existsSync(path.join(out, 'audit', `${s}.jsonl`)), s).toBe(true);
  }, 300_000);

  it('reads the sites from a --sites file, its relative paths from its own folder; the config gives the rounds', async () => {
    const folder = path.join(dir, 'study');
    const files = writeSites(path.join(folder, 'csv'));
    const sitesFile = path.join(folder, 'sites.yaml');
    fs.writeFileSync(sitesFile, SITES.map((s) => `${s}: ${path.relative(folder, files[s]!)}`).join('\n'));
    const out = path.join(dir, 'run-sites');
    const ran = await simulate(['--config', config, '--sites', sitesFile, '--out', out]);
    expect(ran.code, ran.stderr).toBe(0);
    const r = report(out);
    expect(r.rounds).toHaveLength(2);
    expect(r.simulation.sites).toEqual(SITES);
    expect(r.final!.meanSiteAccuracy).toBeGreaterThan(0.75);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
  }, 300_000);

  it('refuses a missing file, the flags of shipped data sets, too few sites and a broken config, naming each', async () => {
    const out = path.join(dir, 'refused');
    const two = ['--site', `north=${data['north']}`, '--site', `south=${data['south']}`];
    const missing = path.join(dir, 'data', 'west.csv');
    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, fs.readFileSync(config, 'utf8').replace('clients: { min: 2 }', 'clients: { min: two }'));
    const [gone, clients, one, dataset, bad] = await Promise.all([
      simulate(['--config', config, ...two, '--site', `west=${missing}`, '--out', out]),
      simulate(['--config', config, ...two, '--clients', '10', '--out', out]),
      simulate(['--config', config, '--site', `north=${data['north']}`, '--out', out]),
      simulate(['--config', config, ...two, '--dataset', 'heart-disease', '--out', out]),
      simulate(['--config', broken, ...two, '--out', out]),
    ]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(new RegExp(`--site west=.*: no such file: ${missing.replaceAll('.', '\\.')}`));
    expect(clients.code).toBe(2);
    expect(clients.stderr).toMatch(/--clients: splits a shipped data set among simulated clients; with --config/);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/--config needs at least 2 sites .*got 1/);
    expect(dataset.code).toBe(2);
    expect(dataset.stderr).toMatch(/--dataset and --config: give one/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${broken}: clients.min:`);
    // Nothing was started.
    expect(fs.existsSync(out)).toBe(false);
  }, 120_000);
});
