// A valid site cannot sink or hijack a plaintext experiment (issue 17 D): an update of +1e30 per value is
// scaled down to a multiple of the round's median update norm, and a site declaring the row ceiling as
// its examples gets at most its share of the round's weight. Each bound is named in the events and the
// report. Every test also runs without the defence, so it fails when the defence is removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoundRecord } from '../../coordinator/experiments/records.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import type { ExperimentConfig } from '../../shared/config/schema.js';
import { normal, rng } from '../../shared/random.js';
import { simulate } from '../../simulation/run.js';
import { type TestFederation, useTestFederation } from '../helpers/federation.js';

const out = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `accord-bounded-${name}-`));

/** The largest |weight| of the model a simulation exported (out/model/weights.bin, float32). */
function maxAbsWeight(dir: string): number {
  const bin = fs.readFileSync(path.join(dir, 'model', 'weights.bin'));
  const w = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  return w.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

describe('accord simulate with a site sending scale:1e30', () => {
  // Three runs of 3 heart-disease rounds (about 10-20 s each on a loaded 2-core machine).
  it('its update is bounded to the round, named in report.md and report.json; the model stays near a clean run', async () => {
    const run = async (name: string, attack: boolean, bounds?: Partial<ExperimentConfig['clients']>) => {
      const dir = out(name);
      const report = await simulate({
        dataset: 'heart-disease',
        rounds: 3,
        out: dir,
        baselines: false,
        backend: 'auto',
        progress: false,
        ...(attack ? { byzantine: { count: 1, attack: 'scale:1e30' } } : {}),
        ...(bounds ? { bounds } : {}),
      });
      return { dir, report, max: maxAbsWeight(dir) };
    };
    const attacked = await run('attack', true);
    const clean = await run('clean', false);
    const undefended = await run('off', true, { normBoundMultiple: 0 });

    const attacker = attacked.report.simulation.byzantine!.sites[0]!;
    expect(attacked.report.experiment.status).toBe('completed');
    // Named in every round, in report.json and report.md.
    expect(attacked.report.rounds).toHaveLength(3);
    for (const r of attacked.report.rounds) {
      const b = r.bounded?.find((x) => x.what === 'update' && x.site === attacker);
      expect(b, `round ${r.round} bounded`).toMatchObject({ what: 'update', rule: 'normBoundMultiple', multiple: 5 });
      if (b?.what === 'update') {
        expect(b.norm).toBeGreaterThan(1e28);
        expect(b.bound).toBeCloseTo(5 * b.median!, 9);
        expect(b.bound).toBeLessThan(100);
      }
    }
    const md = fs.readFileSync(path.join(attacked.dir, 'report.md'), 'utf8');
    for (const round of [1, 2, 3])
      expect(md).toMatch(
        new RegExp(
          `round ${round}: update of ${attacker} bounded \\(norm [0-9.]+e\\+(29|30) -> [0-9.]+, 5 x the round's median norm [0-9.]+\\)`,
        ),
      );
    expect(fs.readFileSync(path.join(attacked.dir, 'report.html'), 'utf8')).toContain(
      `round 1: update of ${attacker} bounded`,
    );
    // The exported model: within 10x of the clean run's largest weight; without the bound, near 1e29.
    expect(clean.report.rounds.some((r) => r.bounded?.length)).toBe(false);
    expect(attacked.max).toBeGreaterThan(0);
    expect(attacked.max).toBeLessThan(10 * clean.max);
    expect(attacked.max).toBeGreaterThan(clean.max / 10);
    expect(undefended.report.rounds.some((r) => r.bounded?.length)).toBe(false);
    expect(undefended.max).toBeGreaterThan(1e20);
  }, 600_000);
});

const TOKENS = { cleveland: 'tok-cleveland-1', hungary: 'tok-hungary-22', rogue: 'tok-rogue-333' };
const honest = { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary };
const CEILING = 10_000_000; // the rows a site may declare (--max-site-rows)
const ROUNDS = 8;

describe('a site declaring the row ceiling as its examples', () => {
  const t = useTestFederation(afterEach);

  /** The two honest sites' mean accuracy after the last round. */
  async function honestAccuracy(f: TestFederation, id: string): Promise<number> {
    const last = (await f.records.rounds(id)).at(-1)!;
    return (last.siteAccuracy['cleveland']! + last.siteAccuracy['hungary']!) / 2;
  }

  /** A run of the two honest sites alone, or beside a rogue that claims CEILING rows and sends `update`. */
  async function run(
    update: ((n: number) => Float32Array) | undefined,
    clients: Partial<ExperimentConfig['clients']> = {},
  ): Promise<{ accuracy: number; events: string; rounds: RoundRecord[]; md: string }> {
    const f = await t.start(TOKENS);
    await t.workers(f, honest);
    if (update)
      await t.rogue(f, 'rogue', TOKENS.rogue, {
        hello: { datasets: [{ name: 'records', examples: CEILING }] },
        trainExamples: CEILING,
        train: update,
      });
    const id = await f.submit({ rounds: ROUNDS, clients: { min: update ? 3 : 2, ...clients } });
    const rec = await f.waitFor(id, ['completed', 'failed'], 180_000);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const result = {
      accuracy: await honestAccuracy(f, id),
      events: (await f.records.events(id)).map((e) => e.message).join('\n'),
      rounds: await f.records.rounds(id),
      md: fs.readFileSync(new StorePaths(f.store).reportMarkdown(id), 'utf8'),
    };
    await t.stopAll();
    return result;
  }

  it('gets at most half of the round, named; a stalling (zero) update leaves the honest sites within 2 points', async () => {
    const clean = await run(undefined);
    const stalled = await run((n) => new Float32Array(n));
    const uncapped = await run((n) => new Float32Array(n), { maxWeightShare: 1 });

    // Every round: the rogue's 10,000,000 examples capped to the honest sites' total (half of the round).
    expect(stalled.rounds).toHaveLength(ROUNDS);
    for (const r of stalled.rounds) {
      const honestRows = r.train['cleveland']!.examples + r.train['hungary']!.examples;
      expect(r.bounded).toContainEqual({
        what: 'weight',
        site: 'rogue',
        examples: CEILING,
        weight: honestRows,
        share: 0.5,
      });
      expect(stalled.events).toContain(
        `round ${r.round}: weight of rogue capped (10000000 -> ${honestRows} examples, at most 50% of the round's weight)`,
      );
      expect(stalled.md).toMatch(
        new RegExp(`- round ${r.round}: weight of rogue capped \\(10000000 -> ${honestRows} `),
      );
    }
    // With the cap the honest sites end where they would alone; without it the rogue is the whole average
    // and the model barely moves.
    expect(Math.abs(stalled.accuracy - clean.accuracy)).toBeLessThanOrEqual(0.02 + 1e-9);
    expect(uncapped.rounds.some((r) => r.bounded?.length)).toBe(false);
    expect(uncapped.accuracy).toBeLessThan(clean.accuracy - 0.2);
  }, 600_000);

  it('a large random delta is bounded and capped each round, both named; without either it sinks the run', async () => {
    const randomDelta = () => {
      const r = rng(7);
      return (n: number) => Float32Array.from({ length: n }, () => 100 * normal(r));
    };
    // At 3 x the median norm (the default is 5, which leaves honest non-IID sites alone).
    const defended = await run(randomDelta(), { normBoundMultiple: 3 });
    const undefended = await run(randomDelta(), { maxWeightShare: 1, normBoundMultiple: 0 });
    for (const r of defended.rounds) {
      const kinds = (r.bounded ?? []).filter((b) => b.site === 'rogue').map((b) => b.what);
      expect(kinds.sort()).toEqual(['update', 'weight']);
    }
    expect(defended.events).toMatch(
      /round 1: update of rogue bounded \(norm [0-9.]+ -> [0-9.]+, 3 x the round's median norm [0-9.]+\)/,
    );
    expect(defended.md).toMatch(
      /- round 1: weight of rogue capped \(10000000 -> \d+ examples.*; update of rogue bounded/,
    );
    // Half of each round's weight still goes to 3 x the median norm of noise: the honest sites lose a few
    // points (measured 75.5-83.5% over three seeds against 85% alone), where the undefended run is sunk.
    expect(defended.accuracy).toBeGreaterThan(0.7);
    expect(undefended.accuracy).toBeLessThan(0.65);
  }, 600_000);
});
