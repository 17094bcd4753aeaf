// `accord simulate --config experiment.yaml --site a=a.parquet --site b=b.parquet`: sites whose data are
// Parquet files run the same experiment as CSV sites (read by the file's extension).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import type { SimulationReport } from '../../simulation/report.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-parquet-sim-'));
const SITES = ['a', 'b'];

/** 60 seeded rows per site: the label 1 when x1 + x2 / 2 > 0; a few x3 cells null (missing). */
function writeSite(site: string, i: number): string {
  let s = 11 + i;
  const rnd = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const x1: number[] = [];
  const x2: number[] = [];
  const x3: (number | null)[] = [];
  const y: string[] = [];
  for (let r = 0; r < 60; r++) {
    x1.push(rnd() * 4 - 2 + 0.2 * i);
    x2.push(rnd() * 4 - 2);
    x3.push(r % 10 === 3 ? null : rnd() * 4 - 2);
    y.push(x1[r]! + x2[r]! / 2 > 0 ? '1' : '0');
  }
  const file = path.join(dir, `${site}.parquet`);
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'x1', data: x1, type: 'DOUBLE' },
      { name: 'x2', data: x2, type: 'DOUBLE' },
      { name: 'x3', data: x3, type: 'DOUBLE', nullable: true },
      { name: 'y', data: y, type: 'STRING' },
    ],
  });
  return file;
}

const config = path.join(dir, 'experiment.yaml');
fs.writeFileSync(
  config,
  `name: parquet-sites
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

function simulate(args: string[]): Promise<{ code: number | null; stderr: string }> {
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

describe('accord simulate on Parquet sites', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs an experiment with each --site a .parquet file', async () => {
    const sites = SITES.flatMap((s, i) => ['--site', `${s}=${writeSite(s, i)}`]);
    const out = path.join(dir, 'run');
    const ran = await simulate(['--config', config, ...sites, '--rounds', '2', '--out', out]);
    expect(ran.code, ran.stderr).toBe(0);
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as SimulationReport;
    expect(r.simulation.sites).toEqual(SITES);
    expect(r.rounds).toHaveLength(2);
    for (const round of r.rounds) expect([...round.participants].sort()).toEqual(SITES);
    expect(r.final!.meanSiteAccuracy).toBeGreaterThan(0.7);
  }, 300_000);
});
