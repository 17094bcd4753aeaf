// Async mode (FedBuff) end to end: four hospitals, one of them a straggler, four sites training at
// once and a new model version every two updates. No timing assertions: only what the records say.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../simulation/run.js';

describe('async mode (FedBuff)', () => {
  it('commits a version every K updates, recording the version each update started from', async () => {
    const r = await simulate({
      dataset: 'heart-disease',
      rounds: 6,
      async: { concurrency: 4, bufferSize: 2 },
      stragglers: { fraction: 0.25, slowdown: 5 },
      out: fs.mkdtempSync(path.join(os.tmpdir(), 'accord-async-')),
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
    // Sites keep training while versions are committed: some updates are folded in stale.
    const stale = r.rounds.filter((x) => Object.values(x.baseVersions!).some((b) => b < x.round - 1));
    expect(stale.length).toBeGreaterThan(0);
  }, 300_000);
});
