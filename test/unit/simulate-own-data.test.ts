// The plan of `accord simulate --config FILE --site NAME=PATH ...`: your config with the command's
// overrides, and the sites given by flags or a --sites file (nothing started).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalHash } from '../../shared/trust/canonical.js';
import { planSimulation } from '../../simulation/experiment.js';
import type { SimulateOptions } from '../../simulation/options.js';
import { parseSiteFlags, readSitesFile } from '../../simulation/own-sites.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-own-plan-'));
const csv = (name: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, 'x,y\n1,0\n2,1\n');
  return f;
};
const files = { a: csv('a.csv'), b: csv('b.csv'), c: csv('c.csv') };
const config = (text: string, name = 'experiment.yaml') => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, `data: { format: csv, header: true, columns: [x, y], label: y, classes: 2 }\n${text}`);
  return f;
};
const opts = (extra: Partial<SimulateOptions>): SimulateOptions => ({
  out: dir,
  baselines: false,
  backend: 'cpu',
  sites: files,
  ...extra,
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('simulate --config', () => {
  it("keeps the config's rounds unless --rounds is given; a shipped data set's default stays 20", () => {
    const file = config('rounds: 7\n');
    expect(planSimulation(opts({ config: file })).config.rounds).toBe(7);
    expect(planSimulation(opts({ config: file, rounds: 3 })).config.rounds).toBe(3);
    expect(planSimulation(opts({ sites: undefined })).config.rounds).toBe(20);
  });

  it('each site is one worker over its own file, and every round waits for the sites it samples', () => {
    const plan = planSimulation(opts({ config: config('name: mine\nclients: { min: 9, quorum: 2 }\n') }));
    expect(plan.sites).toEqual(['a', 'b', 'c']);
    expect(plan.dataset.name).toBe('mine');
    expect(plan.dataset.sites).toEqual(files);
    expect(plan.config.clients).toMatchObject({ min: 3, fraction: 1, quorum: 2 });
    const half = planSimulation(opts({ config: config('clients: { fraction: 0.5 }\n'), fraction: 0.5 }));
    expect(half.config.clients).toMatchObject({ min: 2, fraction: 0.5 });
    expect(() => planSimulation(opts({ config: config('clients: { min: 4, quorum: 4 }\n') }))).toThrow(
      /clients\.quorum: 4 is more than the 3 sites of each round/,
    );
  });

  it("applies the command's overrides on top of the config, and --strategy-param to its strategy", () => {
    const file = config('strategy: { name: fedprox, mu: 0.5 }\ntrain: { epochs: 4, learningRate: 0.2 }\n');
    const plan = planSimulation(opts({ config: file, train: { epochs: 2 }, strategyParams: { mu: 0.1 } }));
    expect(plan.config.strategy).toEqual({ name: 'fedprox', mu: 0.1 });
    expect(plan.config.train).toMatchObject({ epochs: 2, learningRate: 0.2 });
    expect(planSimulation(opts({ config: file })).config.strategy).toEqual({ name: 'fedprox', mu: 0.5 });
    expect(planSimulation(opts({ config: file, strategy: 'median' })).config.strategy).toEqual({ name: 'median' });
    expect(planSimulation(opts({ config: file, secagg: { mode: 'secagg' } })).config.secagg.mode).toBe('secagg');
  });

  it("reads the config's model file from its folder and carries the model by value, as accord submit does", () => {
    const topology = { class_name: 'Sequential', config: { name: 'custom', layers: [] } };
    fs.mkdirSync(path.join(dir, 'm'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'm', 'model.json'), JSON.stringify({ modelTopology: topology }));
    const plan = planSimulation(opts({ config: config('model: { path: m/model.json }\n', 'paths.yaml') }));
    expect(plan.config.model).toEqual({ topology, sha256: canonicalHash(topology) });
  });

  it('refuses what does not fit, naming the flag, the file or the site', () => {
    const file = config('');
    expect(() => planSimulation(opts({ config: file, dataset: 'heart-disease' }))).toThrow(/--dataset .* --config/);
    expect(() => planSimulation(opts({ config: file, clients: 4 }))).toThrow(/--clients, --partition/);
    expect(() => planSimulation(opts({ config: file, sites: { a: files.a } }))).toThrow(/at least 2 sites/);
    expect(() => planSimulation(opts({ config: file, sites: { a: files.a, b: dir } }))).toThrow(/site b: .* folder/);
    expect(() => planSimulation(opts({ config: file, byzantine: { count: 3, attack: 'signflip' } }))).toThrow(
      /at least one must stay honest/,
    );
    expect(() => planSimulation(opts({ sites: files }))).toThrow(/--site and --sites need --config/);
    expect(() => planSimulation(opts({ config: config('rounds: many\n', 'bad.yaml') }))).toThrow(/bad\.yaml: rounds:/);
  });
});

describe('--site and --sites', () => {
  it('--site NAME=PATH: absolute paths, each name once, a file that exists', () => {
    expect(parseSiteFlags([`a=${files.a}`, `b=${path.relative(process.cwd(), files.b)}`])).toEqual({
      a: files.a,
      b: files.b,
    });
    expect(() => parseSiteFlags([`a=${files.a}`, `a=${files.b}`])).toThrow(/site a is named twice/);
    expect(() => parseSiteFlags(['a'])).toThrow(/--site a: expected NAME=PATH/);
    expect(() => parseSiteFlags([`../a=${files.a}`])).toThrow(/is not a site name/);
    expect(() => parseSiteFlags([`..=${files.a}`])).toThrow(/is not a site name/);
    expect(() => parseSiteFlags([`a=${dir}/none.csv`])).toThrow(
      `--site a=${dir}/none.csv: no such file: ${dir}/none.csv`,
    );
  });

  it("--sites FILE: relative paths from the file's folder, duplicate names refused", () => {
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub, { recursive: true });
    const f = path.join(sub, 'sites.yaml');
    fs.writeFileSync(f, `a: ../a.csv\nb: ${files.b}\n`);
    expect(readSitesFile(f)).toEqual({ a: files.a, b: files.b });
    fs.writeFileSync(f, 'a: ../a.csv\na: ../b.csv\n');
    expect(() => readSitesFile(f)).toThrow(/listed twice/);
    fs.writeFileSync(f, 'a: missing.csv\n');
    expect(() => readSitesFile(f)).toThrow(`--sites ${f}: a: no such file: ${path.join(sub, 'missing.csv')}`);
    fs.writeFileSync(f, '- a.csv\n');
    expect(() => readSitesFile(f)).toThrow(/expected a mapping of site name to data file/);
  });
});
