// `accord simulate --config experiment.yaml --site a=<folder> --site b=<folder>`: sites whose images are
// PNG files in class folders run an idx experiment as IDX sites do (read by the folder's layout).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import type { SimulationReport } from '../../simulation/report.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-image-sim-'));
const SITES = ['a', 'b'];

/** 10 grayscale 4x4 PNGs per class: class 0 bright on top, class 1 bright below, with a little noise. */
function writeSite(site: string): string {
  const root = path.join(dir, site);
  for (const c of [0, 1]) {
    fs.mkdirSync(path.join(root, String(c)), { recursive: true });
    for (let k = 0; k < 10; k++) {
      const png = new PNG({ width: 4, height: 4, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      png.data = Buffer.from(Array.from({ length: 16 }, (_, p) => (p < 8 === (c === 0) ? 200 : 20) + k));
      fs.writeFileSync(
        path.join(root, String(c), `${k}.png`),
        PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }),
      );
    }
  }
  return root;
}

const config = path.join(dir, 'experiment.yaml');
fs.writeFileSync(
  config,
  `name: image-folder-sites
model: { zoo: logreg }
data: { format: idx, classes: 2, imageShape: [4, 4, 1], testFraction: 0.2 }
rounds: 2
clients: { min: 2 }
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

describe('accord simulate on image-folder sites', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a logreg on 4x4 PNGs with each --site a folder of class folders', async () => {
    const sites = SITES.flatMap((s) => ['--site', `${s}=${writeSite(s)}`]);
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
