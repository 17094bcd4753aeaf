// The whole path, real parts only: redis-server, the coordinator, two worker processes over gRPC,
// three rounds of TF.js training.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import type { Child } from '../../simulation/processes.js';
import { readAudit } from '../../worker/audit.js';
import { startFederation, type TestFederation } from '../helpers/federation.js';
import { spawnHeartWorker } from '../helpers/worker-process.js';

const TOKENS = { cleveland: 'token-cleveland-123', hungary: 'token-hungary-456' };

describe('federation end to end', () => {
  let fed: TestFederation;
  const workers: Child[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-e2e-'));

  beforeAll(async () => {
    fed = await startFederation(TOKENS);
    for (const site of ['cleveland', 'hungary'] as const) {
      workers.push(
        spawnHeartWorker(site, fed.address, TOKENS[site], dir, [
          ...['--audit', path.join(dir, `${site}.jsonl`)],
          ...fed.trustFlags(site, dir),
        ]),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await fed?.stop();
  });

  it('runs three rounds over gRPC; accuracy rises; workers sent only deltas and metrics', async () => {
    const id = await fed.submit({ rounds: 3, clients: { min: 2, fraction: 1 } });
    const rec = await fed.waitFor(id);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const rounds = await fed.records.rounds(id);
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const r of rounds) expect(r.participants).toEqual(['cleveland', 'hungary']);

    // Accuracy of the initial model (measured by each site before round 1's training) vs after round 3.
    const initial = Object.values(rounds[0]!.train).map((t) => t.startAccuracy!);
    const initialMean = initial.reduce((a, b) => a + b, 0) / initial.length;
    const final = rounds[2]!.meanSiteAccuracy;
    expect(final).toBeGreaterThan(initialMean + 0.05);
    expect(rounds[2]!.loss).toBeLessThan(rounds[0]!.loss);

    // Checkpoints for rounds 0..3 exist and the exported model is in TF.js format.
    const cps = new Checkpoints(new StorePaths(fed.store));
    expect(cps.latest(id)).toBe(3);
    const modelJson = JSON.parse(fs.readFileSync(path.join(fed.store, id, 'model', 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);

    // The audit logs: only the declaration, heartbeats, the site's signed approval and audit heads,
    // metrics and update chunks left each site (plus its own notes, of the approval and its budget,
    // which did not leave); every update is exactly one model's worth of float32 values (a delta, never rows).
    const params = cps.read(id, 3).weights.values.length;
    for (const site of ['cleveland', 'hungary']) {
      const audit = readAudit(path.join(dir, `${site}.jsonl`));
      const types = new Set(audit.filter((a) => !a.note).map((a) => a.type));
      expect(audit.filter((a) => a.note).every((a) => ['approval', 'budget'].includes(a.type))).toBe(true);
      const sent = ['hello', 'heartbeat', 'approval', 'audit_head', 'metrics', 'update_chunk'];
      expect(
        [...types].every((t) => sent.includes(t)),
        [...types].join(', '),
      ).toBe(true);
      expect(audit.filter((a) => a.type === 'approval' && !a.note)).toHaveLength(1);
      const hello = audit.find((a) => a.type === 'hello')!;
      expect(JSON.stringify(hello)).not.toContain(TOKENS[site as 'cleveland']);
      const chunks = audit.filter((a) => a.type === 'update_chunk');
      const byTask = new Map<string, number>();
      for (const c of chunks) byTask.set(c.taskId!, (byTask.get(c.taskId!) ?? 0) + c.bytes!);
      expect(byTask.size).toBe(3);
      for (const bytes of byTask.values()) expect(bytes).toBe(params * 4);
      // Metrics are numbers: training/evaluation figures, the counts behind the pooled intervals (correct
      // test predictions, 20-bin score histograms per class), and (once, for federated scaling)
      // per-column counts and sums of the site's training rows.
      for (const m of audit.filter((a) => a.type === 'metrics')) {
        for (const k of Object.keys(m.values!))
          expect(k).toMatch(
            /^(loss|accuracy|auc|startLoss|startAccuracy|trainMs|correct|roc\.(pos|neg)\.([0-9]|1[0-9])|(n|sum|sumsq)\.\d+)$/,
          );
      }
      expect(audit.filter((a) => a.type === 'metrics' && a.values!['n.0'] !== undefined)).toHaveLength(1);
    }
    // The coordinator received what the workers logged: bytes up per round = 2 updates.
    for (const r of rounds) expect(r.bytesUp).toBe(2 * params * 4);
  });
});
