// `accord init NAME` makes a project that works as its README says: every site's sample data fits its
// experiment, and its simulate command (run here with this checkout's accord, as npm run simulate runs
// the installed one) trains a 3-site federation to a report. .ci/pack-check.sh runs the project's own
// `npm install && npm test` from an installed tarball.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';

const accord = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [...ACCORD_ARGV, ...args], { cwd, encoding: 'utf8' });

describe('accord init', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-init-'));

  it('makes a project whose data fits its experiment and whose simulate command runs 3 sites to a report', () => {
    const made = accord(dir, 'init', 'demo');
    expect(made.status, made.stderr).toBe(0);
    const project = path.join(dir, 'demo');
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(pkg.dependencies['accord-fl']).toBe(`file:${PACKAGE_ROOT}`);
    for (const f of ['README.md', 'experiment.yaml', 'site-policy.yaml', 'test/project.test.js'])
      expect(fs.existsSync(path.join(project, f)), f).toBe(true);
    const sites = YAML.parse(fs.readFileSync(path.join(project, 'sites.yaml'), 'utf8')) as Record<string, string>;
    expect(Object.keys(sites)).toEqual(['site-a', 'site-b', 'site-c']);
    for (const file of Object.values(sites)) {
      const check = accord(
        project,
        'check-data',
        '--config',
        'experiment.yaml',
        '--data',
        file,
        '--policy',
        'site-policy.yaml',
      );
      expect(check.status, check.stderr).toBe(0);
    }
    // The README's command (npm run simulate), with this checkout's accord.
    const script = pkg.scripts.simulate as string;
    expect(script).toMatch(/^accord simulate --config experiment\.yaml --sites sites\.yaml --rounds 3/);
    const run = accord(project, ...script.split(' ').slice(1));
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(project, 'runs/latest/report.json'), 'utf8'));
    expect(report.rounds).toHaveLength(3);
    expect(Object.keys(report.final.siteAccuracy).sort()).toEqual(['site-a', 'site-b', 'site-c']);
    expect(report.final.meanSiteAccuracy).toBeGreaterThan(0.6);
    expect(fs.existsSync(path.join(project, 'runs/latest/report.html'))).toBe(true);
  }, 300_000);

  it('refuses a name npm would refuse, and a folder that is not empty', () => {
    const bad = accord(dir, 'init', 'Bad Name');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a project name/);
    fs.mkdirSync(path.join(dir, 'taken'));
    fs.writeFileSync(path.join(dir, 'taken', 'x'), '');
    const taken = accord(dir, 'init', 'taken');
    expect(taken.status).toBe(2);
    expect(taken.stderr).toMatch(/exists and is not empty/);
  });
});
