// `accord init NAME` makes a project that works as its README says: every site's sample data fits its
// experiment, its app builds the experiment's model and its site policy allows the app by digest, and its
// simulate command (run here with this checkout's accord, as npm run simulate runs the installed one)
// trains a 3-site federation to a report; `--template image` makes one of PNG folders, whose own
// `npm test` (its data, a simulation, its app's hooks) passes here. .ci/pack-check.sh runs the default
// project's `npm install && npm test` from an installed tarball.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { appDigest, readAppFolder } from '../../shared/apps/bundle.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';

const accord = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [...ACCORD_ARGV, ...args], { cwd, encoding: 'utf8' });

/** This process's environment without vitest's own variables, for the project's nested vitest. */
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))),
  NO_COLOR: '1',
};
const npm = (cwd: string, ...args: string[]) => spawnSync('npm', args, { cwd, encoding: 'utf8', env });

/**
 * The project's `npm install`, with scripts off (accord-fl's prepare would rebuild this checkout's
 * dist/ under everyone using it) and its `accord` command this checkout's sources, as ACCORD_ARGV runs
 * them: the project's tests then run the code under test, not the last build.
 */
function install(project: string): void {
  const done = npm(project, 'install', '--no-audit', '--no-fund', '--ignore-scripts');
  expect(done.status, done.stderr).toBe(0);
  const bin = path.join(project, 'node_modules/.bin/accord');
  fs.rmSync(bin, { force: true });
  const argv = [process.execPath, ...ACCORD_ARGV].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  fs.writeFileSync(bin, `#!/bin/sh\nexec ${argv} "$@"\n`, { mode: 0o755 });
}

/** The digest the project's site policy allows is that of its app folder (`accord app digest app`). */
function expectPolicyAllowsApp(project: string): void {
  const policy = YAML.parse(fs.readFileSync(path.join(project, 'site-policy.yaml'), 'utf8'));
  expect(policy.apps.allow).toEqual([`sha256:${appDigest(readAppFolder(path.join(project, 'app')))}`]);
}

describe('accord init', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-init-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes a project whose data fits its experiment and whose simulate command runs 3 sites to a report', () => {
    const made = accord(dir, 'init', 'demo');
    expect(made.status, made.stderr).toBe(0);
    const project = path.join(dir, 'demo');
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(pkg.dependencies['accord-fl']).toBe(`file:${PACKAGE_ROOT}`);
    for (const f of ['README.md', 'experiment.yaml', 'app/app.mjs', 'site-policy.yaml', 'test/project.test.js'])
      expect(fs.existsSync(path.join(project, f)), f).toBe(true);
    const experiment = YAML.parse(fs.readFileSync(path.join(project, 'experiment.yaml'), 'utf8'));
    expect(experiment.model).toEqual({ app: './app' });
    expectPolicyAllowsApp(project);
    expect(fs.readFileSync(path.join(project, 'README.md'), 'utf8')).toContain('npx accord app digest app');
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

  it('--template image makes a project of PNG folders whose npm test (its data, a 3-round simulation, its app) passes', () => {
    const made = accord(dir, 'init', 'pictures', '--template', 'image');
    expect(made.status, made.stderr).toBe(0);
    const project = path.join(dir, 'pictures');
    const experiment = YAML.parse(fs.readFileSync(path.join(project, 'experiment.yaml'), 'utf8'));
    expect(experiment.model).toEqual({ app: './app' });
    expect(experiment.data).toMatchObject({ format: 'idx', classes: 3, imageShape: [8, 8, 1] });
    expectPolicyAllowsApp(project);
    const sites = YAML.parse(fs.readFileSync(path.join(project, 'sites.yaml'), 'utf8')) as Record<string, string>;
    expect(Object.keys(sites)).toEqual(['site-a', 'site-b', 'site-c']);
    let images = 0;
    for (const folder of Object.values(sites))
      for (const label of experiment.data.labels as string[])
        images += fs.readdirSync(path.join(project, folder, label)).filter((f) => f.endsWith('.png')).length;
    expect(images).toBeGreaterThan(150);
    expect(images).toBeLessThan(500);
    // The project's own tests: each site's folder fits, a 3-round simulation, the app's hooks.
    install(project);
    const tested = npm(project, 'test');
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests\s+7 passed/);
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
    const template = accord(dir, 'init', 'other', '--template', 'audio');
    expect(template.status).toBe(2);
    expect(template.stderr).toMatch(/--template <kind>' argument 'audio' is invalid\. expected tabular or image/);
    const sites = accord(dir, 'init', 'other', '--sites', '1');
    expect(sites.status).toBe(2);
    expect(sites.stderr).toMatch(/--sites <n>' argument '1' is invalid\. expected a whole number from 2 to 26/);
  });
});
