// Secure aggregation through the real coordinator, gRPC and TF.js workers (in this process, so the
// test can watch both sides): the coordinator only ever receives masked vectors, and the unmasked sum
// is exactly the sum of the surviving sites' quantised updates.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { SpoolWriter } from '../../coordinator/store/spool.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { SecAggClient } from '../../shared/secagg/client.js';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';
import { missingTool, runsWith } from '../helpers/optional.js';
import { Rogue } from '../helpers/rogue.js';
import { correlation } from '../helpers/stats.js';

/** Every unmasked sum, by round (round 0: the column statistics of federated scaling). */
const unmasked = new Map<number, Uint32Array>();
vi.mock('../../shared/secagg/server.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../shared/secagg/server.js')>();
  return {
    ...real,
    unmaskSum: async (...args: Parameters<typeof real.unmaskSum>) => {
      const out = await real.unmaskSum(...args);
      unmasked.set(args[1].round, Uint32Array.from(out));
      return out;
    },
  };
});

const TOKENS = {
  cleveland: 'token-cleveland-123',
  hungary: 'token-hungary-456',
  switzerland: 'token-switzerland-7',
  va: 'token-va-000000',
};
const ROGUE_TOKEN = 'token-rogue-secure-1';

describe('secure aggregation over the wire', () => {
  let fed: TestFederation;
  let workers: AccordWorker[] = [];

  beforeAll(async () => {
    fed = await startFederation({ ...TOKENS, rogue: ROGUE_TOKEN });
    workers = await startHeartWorkers(fed, TOKENS);
  });
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
    vi.restoreAllMocks();
  });

  it('the coordinator sees only masked vectors; the unmasked sum is the exact sum of quantised updates', async () => {
    // Everything the coordinator writes from the wire (updates and masked inputs) goes through the spool.
    const received = new Map<string, Buffer[]>();
    const realWrite = SpoolWriter.prototype.write;
    vi.spyOn(SpoolWriter.prototype, 'write').mockImplementation(function (
      this: SpoolWriter,
      bytes: Uint8Array,
      offset: number,
    ) {
      const list = received.get(this.file) ?? [];
      list[offset] = Buffer.from(bytes);
      received.set(this.file, list);
      return realWrite.call(this, bytes, offset);
    });
    // What each site masked (its quantised update), seen at the site.
    const quantised: { site: string; round: number; input: Uint32Array }[] = [];
    const realMasked = SecAggClient.prototype.maskedInput;
    vi.spyOn(SecAggClient.prototype, 'maskedInput').mockImplementation(function (
      this: SecAggClient,
      ...args: Parameters<typeof realMasked>
    ) {
      quantised.push({ site: this.self, round: this.round, input: Uint32Array.from(args[2]) });
      return realMasked.apply(this, args);
    });

    // An MLP (961 parameters) so that correlations are measured over enough values to mean something.
    const id = await fed.submit({
      rounds: 2,
      model: { zoo: 'mlp', hidden: [64] },
      clients: { min: 4, fraction: 1 },
      // With 4 sites, surviving a dropout means assuming no corrupt site (else t = k = 3).
      secagg: { mode: 'secaggplus', corruptFraction: 0, dropout: { after: 'share-keys', count: 1 } },
    });
    const rec = await fed.waitFor(id);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const rounds = await fed.records.rounds(id);
    expect(rounds).toHaveLength(2);
    // The masked vectors are the round's upload: at least 4 bytes per word from each survivor.
    for (const r of rounds) {
      const words = quantised.find((q) => q.round === r.round)!.input.length;
      expect(r.bytesUp).toBeGreaterThanOrEqual(4 * words * r.participants.length);
    }

    // Nothing but masked inputs arrived: no plain float32 update file was spooled.
    const files = [...received.keys()];
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => /masked-[a-z]+\.u32$/.test(f))).toBe(true);

    for (const r of rounds) {
      expect(r.secure!.survivors).toBe(3);
      expect(r.secure!.dropped).toHaveLength(1);
      expect(r.participants).toHaveLength(3);
      const dropped = r.secure!.dropped[0]!;
      expect(r.failures[dropped]).toMatch(/simulated dropout/);
      const mine = quantised.filter((q) => q.round === r.round);
      expect(mine.map((q) => q.site).sort()).toEqual(
        Object.keys(TOKENS)
          .filter((s) => s !== dropped)
          .sort(),
      );
      const recvd = files
        .filter((f) => f.includes(`/r${r.round}-`))
        .map((f) => {
          const parts = received.get(f)!;
          return new Uint32Array(new Uint8Array(Buffer.concat(parts.filter(Boolean))).buffer);
        });
      expect(recvd).toHaveLength(3);
      for (const y of recvd) {
        for (const q of mine) {
          expect(y.length).toBe(q.input.length);
          expect(y.some((v, i) => v !== q.input[i])).toBe(true); // never an update itself
          expect(Math.abs(correlation(y, q.input))).toBeLessThan(0.2); // nor anything like one (|r| of random pairs here is ~0.03)
        }
      }
      // The unmasked sum equals the plain sum (mod 2^32) of the survivors' quantised updates, exactly.
      const expected = new Uint32Array(mine[0]!.input.length);
      for (const q of mine) for (let i = 0; i < expected.length; i++) expected[i] = expected[i]! + q.input[i]!;
      const got = unmasked.get(r.round)!;
      expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    }
    // The model improved under secure aggregation.
    expect(rounds[1]!.meanSiteAccuracy).toBeGreaterThan(0.6);
  });

  async function withRogue(masked: 'wrong-length' | 'twice') {
    // The rogue is on the roster (a valid site that misbehaves), so it signs its round keys.
    const rogue = new Rogue(fed.address, 'rogue', ROGUE_TOKEN, {
      secure: { masked },
      identity: fed.identities['rogue']!,
    });
    await rogue.welcomed;
    const id = await fed.submit({ rounds: 1, clients: { min: 5, fraction: 1, quorum: 4 }, secagg: { mode: 'secagg' } });
    const rec = await fed.waitFor(id);
    rogue.close();
    expect(rec.error).toBeUndefined();
    const [round] = await fed.records.rounds(id);
    return { round: round!, told: rogue.errors() };
  }

  it('a masked vector of the wrong length is refused; the sender counts as dropped and the round recovers', async () => {
    const { round, told } = await withRogue('wrong-length');
    expect(told[0]?.code).toBe('WRONG_LENGTH');
    expect(round.failures['rogue']).toMatch(
      /masked-input: masked input from rogue: \d+ values, the model has \d+ \(wrong shape\)/,
    );
    expect(round.secure!.dropped).toEqual(['rogue']);
    expect(round.participants).toEqual(['cleveland', 'hungary', 'switzerland', 'va']);
  });

  it('a client that sends its masked input twice: the second copy is refused and counted nowhere', async () => {
    const { round, told } = await withRogue('twice');
    expect(['DUPLICATE_UPLOAD', 'UNKNOWN_TASK']).toContain(told[0]?.code);
    expect(told[0]?.message).toMatch(/already uploaded in full|unknown or finished task/);
    expect(round.secure!.survivors).toBe(5);
    expect(round.participants).toContain('rogue');
    expect(Number.isFinite(round.meanSiteAccuracy)).toBe(true);
  });

  it('fewer than t survivors: the round fails before anything is revealed, the model is untouched, and it is retried', async () => {
    const unmask = vi.spyOn(SecAggClient.prototype, 'unmask');
    const id = await fed.submit({
      rounds: 1,
      roundAttempts: 2,
      clients: { min: 4, fraction: 1 },
      secagg: { mode: 'secagg', threshold: 3, dropout: { after: 'masked-input', count: 2 } },
    });
    const rec = await fed.waitFor(id);
    expect(rec.status).toBe('failed');
    // Attempt 1 fails for lack of survivors; in attempt 2 every site that already sent its masked
    // update for round 1 refuses to send another (two sums of the same round could be subtracted).
    expect(rec.error).toMatch(
      /round 1 failed 2 times; last: secure aggregation, masked-input: 0 masked inputs arrived/,
    );
    const events = await fed.records.events(id);
    const failed = events.filter((e) => /round 1 attempt \d failed/.test(e.message)).map((e) => e.message);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/need 3 shares, only \d of its neighbours remain/);
    // Round 0 (the column statistics) completes; in round 1 no client revealed anything.
    expect(unmask.mock.contexts.filter((c) => (c as SecAggClient).round === 1)).toHaveLength(0);
    expect(new Checkpoints(new StorePaths(fed.store)).latest(id)).toBe(0);
    unmask.mockRestore();
  });

  it('differential privacy: epsilon per round grows, and dp.maxEpsilon stops the run at the budget', async () => {
    const id = await fed.submit({
      rounds: 10,
      clients: { min: 4, fraction: 1 },
      dp: { noise: 1, clip: 1, maxEpsilon: 10 },
    });
    const rec = await fed.waitFor(id);
    expect(rec.status).toBe('completed');
    expect(rec.stopped).toMatch(/privacy budget: round 4 would spend epsilon 10\.\d+ > dp\.maxEpsilon 10/);
    const rounds = await fed.records.rounds(id);
    expect(rounds).toHaveLength(3);
    const eps = rounds.map((r) => r.privacy!.epsilon);
    expect(eps[0]).toBeGreaterThan(0);
    for (let i = 1; i < eps.length; i++) expect(eps[i]).toBeGreaterThan(eps[i - 1]!);
    expect(eps[2]).toBeLessThanOrEqual(10);
    expect(rounds[0]!.privacy).toMatchObject({ delta: 1e-5, noiseMultiplier: 1, samplingRate: 1, clip: 1 });
  });

  it('eval.every: sites evaluate every n rounds and after the last; AUC for binary labels', async () => {
    const id = await fed.submit({ rounds: 3, clients: { min: 4, fraction: 1 }, eval: { every: 2 } });
    expect((await fed.waitFor(id)).status).toBe('completed');
    const rounds = await fed.records.rounds(id);
    expect(rounds.map((r) => r.evaluated)).toEqual([false, true, true]);
    expect(Object.keys(rounds[0]!.siteEval)).toEqual([]);
    expect(Object.keys(rounds[1]!.siteEval).sort()).toEqual(Object.keys(TOKENS).sort());
    for (const e of Object.values(rounds[2]!.siteEval)) expect(e.auc).toBeGreaterThan(0.5);
    expect(rounds[2]!.auc).toBeGreaterThan(0.5);
  });

  it.runIf(runsWith('promtool'))("the metrics scrape is a file Prometheus's own checker accepts", async () => {
    expect(missingTool('promtool')).toBeUndefined();
    const body = await (await fetch(`http://127.0.0.1:${fed.coordinator.httpPort}/metrics`)).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('serves Prometheus metrics: sessions, tasks, bytes, committed rounds', async () => {
    const res = await fetch(`http://127.0.0.1:${fed.coordinator.httpPort}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/^accord_connected_workers 4$/m);
    expect(Number(/^accord_rounds_committed_total (\d+)$/m.exec(body)![1])).toBeGreaterThan(0);
    expect(body).toMatch(/^accord_tasks_total\{kind="train",outcome="ok"\} \d+$/m);
    expect(body).toMatch(/^accord_bytes_total\{direction="up"\} \d+/m);
    expect(body).toMatch(/^accord_round_jobs\{state="waiting"\} \d+$/m);
    // Standard Node.js names (stock dashboards).
    expect(body).toMatch(/^process_cpu_seconds_total /m);
    // Every series the shipped Grafana dashboard queries is one this scrape has (histograms by base name).
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(PACKAGE_ROOT, 'deploy/grafana/accord-dashboard.json'), 'utf8'),
    ) as {
      panels: { targets: { expr: string }[] }[];
    };
    const queried = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) =>
          [...t.expr.matchAll(/\b(?:accord|process|nodejs)_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
        ),
      ),
    );
    expect(queried.size).toBeGreaterThanOrEqual(8);
    for (const name of queried) expect(body, `dashboard queries ${name}`).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect((await fetch(`http://127.0.0.1:${fed.coordinator.httpPort}/healthz`)).status).toBe(200);
  });

  it('serves a status page: every experiment with its latest round, and the connected workers', async () => {
    const res = await fetch(`http://127.0.0.1:${fed.coordinator.httpPort}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    const experiments = await fed.records.list();
    expect(experiments.length).toBeGreaterThan(0);
    expect(html).toContain(`Experiments (${experiments.length})`);
    for (const e of experiments) expect(html).toContain(e.id);
    expect(html).toContain('Connected workers (4)');
    for (const site of Object.keys(TOKENS)) expect(html).toContain(`<td>${site}</td>`);
  });

  it('a page per experiment: charts, participation, and its report and model to download', async () => {
    const base = `http://127.0.0.1:${fed.coordinator.httpPort}`;
    const done = (await fed.records.list()).find((e) => e.status === 'completed' && e.committed >= 2)!;
    expect(done).toBeDefined();
    expect(await (await fetch(`${base}/`)).text()).toContain(`<a href="/experiments/${done.id}">`);
    const page = await fetch(`${base}/experiments/${done.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('aria-label="Accuracy per round"');
    const rounds = await fed.records.rounds(done.id);
    // One point per committed round on the accuracy chart; the participation rows cover every round
    // (consecutive rounds with the same participation share a row, "rounds 2–3").
    expect(html.match(/<title>mean site accuracy, round \d+:/g)).toHaveLength(rounds.filter((r) => r.evaluated).length);
    const covered = [...html.matchAll(/<tr><td>rounds? (\d+)(?:–(\d+))?<\/td>/g)].flatMap((m) => {
      const [first, last] = [Number(m[1]), Number(m[2] ?? m[1])];
      return Array.from({ length: last - first + 1 }, (_, i) => first + i);
    });
    expect(covered).toEqual(rounds.map((r) => r.round));
    const report = (await (await fetch(`${base}/experiments/${done.id}/report.json`)).json()) as {
      experiment: { id: string };
      rounds: unknown[];
    };
    expect(report.experiment.id).toBe(done.id);
    expect(report.rounds).toHaveLength(rounds.length);
    const model = await fetch(`${base}/experiments/${done.id}/model/model.json`);
    expect(model.status).toBe(200);
    expect(((await model.json()) as { weightsManifest: unknown[] }).weightsManifest.length).toBeGreaterThan(0);
    const weights = await fetch(`${base}/experiments/${done.id}/model/weights.bin`);
    expect((await weights.arrayBuffer()).byteLength).toBeGreaterThan(0);
    // Unknown experiments and anything that is not an experiment id are 404s.
    for (const bad of [
      '/experiments/exp-nope',
      '/experiments/exp-nope/report.json',
      '/experiments/..%2F..%2Fetc',
      '/experiments/a/model/x',
    ])
      expect((await fetch(`${base}${bad}`)).status, bad).toBe(404);
  });
});
