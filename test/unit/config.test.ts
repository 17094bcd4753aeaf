import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenBook } from '../../coordinator/sessions/auth.js';
import { loadExperimentFile, parseExperiment, parseExperimentYaml } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors/index.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

const base = HEART_DISEASE.experiment;

describe('experiment config', () => {
  it('fills defaults for a minimal valid config', () => {
    const c = parseExperiment({ data: { columns: ['a', 'y'], label: 'y', binarise: '> 0' } });
    expect(c.rounds).toBe(10);
    expect(c.clients).toEqual({ min: 2, fraction: 1, normBoundMultiple: 5, maxWeightShare: 0.5 });
    expect(c.strategy.name).toBe('fedavg');
    expect(c.data.format === 'csv' && c.data.missing).toContain('?');
  });

  it('refuses differential privacy with a strategy that cannot carry it, naming both', () => {
    for (const name of ['median', 'krum', 'multi-krum', 'trimmed-mean'])
      expect(() => parseExperiment({ ...base, strategy: { name }, dp: { noise: 1, clip: 1 } })).toThrow(
        new RegExp(`strategy\\.name: ${name} cannot carry differential privacy \\(dp\\)`),
      );
    expect(
      parseExperiment({ ...base, strategy: { name: 'fedadam' }, dp: { noise: 1, clip: 1 } }).secagg.colludingSites,
    ).toBe(0);
  });

  it('refuses secure-aggregation thresholds of half the neighbourhood or less (t > k/2), and classic secagg beyond 255 sites', () => {
    const secure = { ...base, clients: { min: 12 } };
    expect(() => parseExperiment({ ...secure, secagg: { mode: 'secaggplus', threshold: 0.5 } })).toThrow(
      /secagg\.threshold: a fraction must be above 0\.5/,
    );
    expect(() => parseExperiment({ ...secure, secagg: { mode: 'secaggplus', neighbours: 4, threshold: 2 } })).toThrow(
      /secagg\.threshold: 2 shares of 4 neighbours is not above \(k \+ colludingSites\) \/ 2 = 2/,
    );
    expect(
      parseExperiment({ ...secure, secagg: { mode: 'secaggplus', neighbours: 4, threshold: 3 } }).secagg.threshold,
    ).toBe(3);
    expect(() => parseExperiment({ ...base, clients: { min: 300 }, secagg: { mode: 'secagg' } })).toThrow(
      /300 clients need secaggplus/,
    );
    expect(() => parseExperiment({ ...secure, secagg: { mode: 'secaggplus', neighbours: 300 } })).toThrow(
      /secagg\.neighbours/,
    );
  });

  it('refuses a collusion assumption that leaves no site outside the colluding group', () => {
    const secure = (colludingSites: number) => ({
      ...base,
      secagg: { mode: 'secaggplus', colludingSites },
      clients: { min: 3 },
    });
    expect(() => parseExperiment(secure(3))).toThrow(/secagg\.colludingSites: must be below clients\.min \(3\)/);
    expect(parseExperiment(secure(2)).secagg.colludingSites).toBe(2);
    // A lying coordinator with c colluders needs t > (k + c) / 2: n = 10, k = 9, c = 3 needs t >= 7.
    const ten = { ...base, clients: { min: 10 } };
    expect(() =>
      parseExperiment({ ...ten, secagg: { mode: 'secaggplus', neighbours: 9, threshold: 6, colludingSites: 3 } }),
    ).toThrow(/secagg\.threshold: 6 shares of 9 neighbours is not above \(k \+ colludingSites\) \/ 2 = 6/);
    expect(
      parseExperiment({ ...ten, secagg: { mode: 'secaggplus', neighbours: 9, threshold: 7, colludingSites: 3 } }).secagg
        .threshold,
    ).toBe(7);
  });

  it('names the wrong field', () => {
    expect(() => parseExperiment({ ...base, rounds: 'many' })).toThrow(/rounds: .*number/);
    expect(() => parseExperiment({ ...base, clients: { min: 0 } })).toThrow(/clients\.min/);
    expect(() => parseExperiment({ ...base, train: { learningRate: -1 } })).toThrow(/train\.learningRate/);
    expect(() => parseExperiment({ ...base, strategy: { name: 'fedsomething' } })).toThrow(/strategy\.name/);
    expect(() => parseExperiment({ ...base, roundz: 3 })).toThrow(/roundz/);
    expect(() => parseExperiment({ ...base, data: { ...(base.data as object), label: 'nope' } })).toThrow(
      /data\.label: "nope" is not one of data\.columns/,
    );
    expect(() => parseExperiment({ ...base, data: { ...(base.data as object), binarise: 'positive' } })).toThrow(
      /data\.binarise/,
    );
  });

  it('reports broken YAML and unreadable files as ConfigError', () => {
    expect(() => parseExperimentYaml('rounds: [1, 2', 'x.yaml')).toThrow(ConfigError);
    expect(() => parseExperimentYaml('rounds: [1, 2', 'x.yaml')).toThrow(/x\.yaml: not valid YAML/);
    expect(() => loadExperimentFile('/nonexistent/exp.yaml')).toThrow(/cannot read: ENOENT/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cfg-'));
    const f = path.join(dir, 'e.yaml');
    fs.writeFileSync(f, 'name: t\ndata:\n  columns: [a, y]\n  label: y\n  binarise: "> 0"\nrounds: 0\n');
    expect(() => loadExperimentFile(f)).toThrow(new RegExp(`${f}: rounds: .*>=1`));
  });

  it('tokens: one per site; an unknown site and a wrong token get the same answer', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-tok-'));
    const f = path.join(dir, 't.yaml');
    fs.writeFileSync(f, 'alpha: secret-alpha\n');
    const book = TokenBook.fromFile(f);
    expect(() => book.check('alpha', 'secret-alpha')).not.toThrow();
    expect(() => book.check('alpha', 'wrong-token')).toThrow(/^unknown site or wrong token for site "alpha"$/);
    expect(() => book.check('beta', 'secret-alpha')).toThrow(/^unknown site or wrong token for site "beta"$/);
    fs.writeFileSync(f, 'alpha: short\n');
    expect(() => TokenBook.fromFile(f)).toThrow(/alpha: tokens need at least 8/);
    fs.writeFileSync(f, 'alpha: same-secret-1\nbeta: same-secret-1\n');
    expect(() => TokenBook.fromFile(f)).toThrow(/each site needs its own token/);
    fs.writeFileSync(f, 'alpha: secret-alpha-1\nalpha: secret-alpha-2\n');
    expect(() => TokenBook.fromFile(f)).toThrow(/"alpha" is listed twice/);
  });
});
