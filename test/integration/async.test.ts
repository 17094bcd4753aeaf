// Async mode (FedBuff) end to end: four hospitals, one of them a straggler, four sites training at
// once and a new model version every two updates; then a malicious site, and steps lost with a dead
// coordinator. No timing assertions: only what the records and Redis say.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../coordinator/experiments/keys.js';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { firstNonFinite } from '../../shared/tensors/bytes.js';
import { simulate } from '../../simulation/run.js';
import { useTestFederation } from '../helpers/federation.js';
import { waitUntil } from '../helpers/wait-log.js';

const TOKENS = {
  cleveland: 'tok-cleveland-1',
  hungary: 'tok-hungary-22',
  switzerland: 'tok-switzerland-4',
  rogue: 'tok-rogue-333',
};

describe('async mode (FedBuff)', () => {
  it('commits a version every K updates, recording the version each update started from', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-async-'));
    const r = await simulate({
      dataset: 'heart-disease',
      rounds: 6,
      async: { concurrency: 4, bufferSize: 2 },
      stragglers: { fraction: 0.25, slowdown: 5 },
      out,
      baselines: false,
      backend: 'auto',
      progress: false,
    });
    expect(r.experiment.status).toBe('completed');
    expect(r.experiment.config.mode).toBe('async');
    expect(r.rounds.map((x) => x.round)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const x of r.rounds) {
      expect(x.participants).toHaveLength(2);
      const bases = x.baseVersions!;
      expect(Object.keys(bases).sort()).toEqual([...new Set(x.participants)].sort());
      // An update starts from a committed version before the one it goes into.
      for (const b of Object.values(bases)) expect(b).toBeLessThan(x.round);
      expect(Number.isFinite(x.trainLoss)).toBe(true);
    }
    // The sites score every version (eval.every 1) on their own test splits, the last one before the end.
    for (const x of r.rounds) {
      expect(x.evaluated).toBe(true);
      expect(Object.keys(x.siteEval).sort()).toEqual(['cleveland', 'hungary', 'switzerland', 'va']);
      expect(x.meanSiteAccuracy).toBeGreaterThan(0);
    }
    // No spooled update outlives the experiment: updates that arrived after the last version (while
    // the sites evaluated it) were dropped, not buffered for a commit that never comes.
    const spool = path.join(out, 'store', r.experiment.id, 'spool');
    const left = fs.existsSync(spool) ? fs.readdirSync(spool, { recursive: true, encoding: 'utf8' }) : [];
    expect(left.filter((f) => f.endsWith('.f32'))).toEqual([]);
    // Sites keep training while versions are committed: some updates are folded in stale.
    const stale = r.rounds.filter((x) => Object.values(x.baseVersions!).some((b) => b < x.round - 1));
    expect(stale.length).toBeGreaterThan(0);
  }, 300_000);
});

describe('async mode on a live coordinator', () => {
  const t = useTestFederation(afterEach);

  it('bounds a malicious site’s huge update by clients.maxUpdateNorm, as synchronous rounds do', async () => {
    const f = await t.start(TOKENS);
    await t.workers(f, { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary });
    await t.rogue(f, 'rogue', TOKENS.rogue, { train: (n) => new Float32Array(n).fill(1e30) });
    const id = await f.submit({
      rounds: 6,
      mode: 'async',
      async: { concurrency: 3, bufferSize: 3 },
      clients: { min: 3, maxUpdateNorm: 5, normBoundMultiple: 0 },
    });
    const rec = await f.waitFor(id, undefined, 120_000);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const rounds = await f.records.rounds(id);
    expect(rounds.some((r) => r.participants.includes('rogue'))).toBe(true);
    const events = (await f.records.events(id)).map((e) => e.message).join('\n');
    expect(events).toMatch(/version \d+: update of rogue bounded \(norm 3\.74e\+30 -> 5, clients\.maxUpdateNorm\)/);
    // Without the bound one such update makes the model non-finite and fails the experiment.
    const weights = new Checkpoints(new StorePaths(f.store)).read(id, 6).weights.values;
    expect(firstNonFinite(weights)).toBe(-1);
  });

  it('a site lost mid-dispatch is freed by the watch, and a site that joins later is given work', async () => {
    const f = await t.start(TOKENS);
    await t.workers(f, { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary });
    const id = await f.submit({
      rounds: 100_000, // runs until cancelled
      mode: 'async',
      async: { concurrency: 3, bufferSize: 1 },
      clients: { min: 2 },
      train: { epochs: 1, batchSize: 32, learningRate: 0.01 },
    });
    await f.waitFor(id, ['running']);
    const busy = `${keysOf(f.client).experiment(id)}:async:busy`;
    // What a coordinator that died between claiming a site and queueing its task leaves behind: a busy
    // entry with no task. It holds the third slot, so the site joining next could not train.
    const ghost = { taskId: `${id}-r1-a999-train-ghost`, queue: 'tasks.gone', at: Date.now() - 60_000 };
    await f.client.hset(busy, 'ghost', JSON.stringify(ghost));
    await t.workers(f, { switzerland: TOKENS.switzerland });
    await waitUntil(async () => (await f.client.hexists(busy, 'ghost')) === 0, 60_000, 'the watch to free the ghost');
    await waitUntil(
      async () => (await f.records.rounds(id)).some((r) => r.participants.includes('switzerland')),
      60_000,
      'an update from the site that joined',
    );
    expect((await f.records.get(id))?.status).toBe('running');
    await f.records.cancel(id, 'test done');
  });
});
