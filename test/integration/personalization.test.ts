// Personalization at a real site and in a whole simulated federation.
//
// What the site keeps never leaves it: a real `accord worker` process (its own identity, roster, policy
// and audit log) gets FedRep tasks from a scripted coordinator (test/helpers/malicious-coordinator.ts),
// which sees exactly what the site sends. The head's part of every update is 0, the site's audit notes
// what it kept and logs the chunks by the digest of what arrived, a task that drops the personalization
// the site approved is refused, and evaluations carry the personal model's metrics while the model
// itself is exported in the site's folder. Then `accord simulate --personalize` end to end.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { ExperimentInput } from '../../shared/config/schema.js';
import { type FlatWeights, sizeOf } from '../../shared/tensors/weights.js';
import { generateIdentity, saveIdentity } from '../../shared/trust/identity.js';
import { buildManifest, type SignedTerms } from '../../shared/trust/manifest.js';
import { Roster } from '../../shared/trust/roster.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import type { Child } from '../../simulation/processes.js';
import { simulate } from '../../simulation/run.js';
import { readAudit } from '../../worker/audit.js';
import { initialWeights, MaliciousCoordinator, type SiteSession, specUnder } from '../helpers/malicious-coordinator.js';
import { spawnHeartWorker } from '../helpers/worker-process.js';

/** An MLP of one hidden layer of 8: the head (the output layer) is its last 8 + 1 weights. */
const MODEL = { zoo: 'mlp' as const, hidden: [8] };
const HEAD_SIZE = 8 + 1;

describe('personalization at a real site (FedRep)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-personal-site-'));
  const identity = generateIdentity();
  const roster = Roster.fromKeys({ cleveland: identity.publicKey, hungary: generateIdentity().publicKey });
  let coordinator: MaliciousCoordinator;
  let child: Child;
  let session: SiteSession;
  let terms: SignedTerms;
  let model: FlatWeights;
  const audit = path.join(root, 'audit.jsonl');
  const approvals = path.join(root, 'approvals');

  function termsOf(id: string, input: Partial<ExperimentInput> = {}): SignedTerms {
    const config = parseExperiment({
      ...HEART_DISEASE.experiment,
      data: { ...HEART_DISEASE.experiment.data, scaling: 'standard' },
      model: MODEL,
      rounds: 3,
      personalization: { method: 'fedrep' },
      ...input,
    });
    return buildManifest(id, config, { sha256: roster.hash, sites: roster.sites.length });
  }

  /** The update the site sent for `taskId`, reassembled from its chunks, and each chunk's bytes. */
  async function updateOf(taskId: string): Promise<{ values: Float32Array; chunks: Buffer[] }> {
    const chunks: Buffer[] = [];
    for (;;) {
      const m = await session.next(
        (x) => x.updateChunk?.taskId === taskId,
        `update chunk ${chunks.length} of ${taskId}`,
      );
      chunks.push(Buffer.from(m.updateChunk!.data));
      if (m.updateChunk!.last) break;
    }
    const all = Buffer.concat(chunks);
    return { values: new Float32Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)), chunks };
  }

  beforeAll(async () => {
    coordinator = await MaliciousCoordinator.start();
    fs.mkdirSync(root, { recursive: true });
    saveIdentity(path.join(root, 'identity.key'), identity);
    fs.writeFileSync(path.join(root, 'roster.yaml'), roster.toYaml());
    fs.writeFileSync(path.join(root, 'policy.yaml'), 'autoApprove: true\n');
    child = spawnHeartWorker('cleveland', coordinator.address, 'whatever', root, [
      ...['--identity', path.join(root, 'identity.key'), '--roster', path.join(root, 'roster.yaml')],
      ...['--policy', path.join(root, 'policy.yaml'), '--approvals', approvals, '--audit', audit, '--backend', 'cpu'],
    ]);
    terms = termsOf('personal-1');
    [session, model] = await Promise.all([coordinator.session('cleveland'), initialWeights(terms)]);
  }, 120_000);

  afterAll(async () => {
    await child?.stop();
    coordinator?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("sends the body's update with the head's part 0, keeps the head, and says so in its audit log", async () => {
    const taskId = 'personal-1/r1/train';
    session.train({ taskId, experimentId: 'personal-1', round: 1, spec: specUnder(terms), model });
    const m = await session.answer(taskId);
    expect(m.body, JSON.stringify(m.error)).toBe('metrics');
    const { values, chunks } = await updateOf(taskId);
    expect(values.length).toBe(model.values.length);
    const head = values.subarray(values.length - HEAD_SIZE);
    const body = values.subarray(0, values.length - HEAD_SIZE);
    expect(Array.from(head).every((v) => v === 0)).toBe(true);
    expect(body.some((v) => v !== 0)).toBe(true);

    // The head the site kept has trained away from the initial one.
    const kept = fs.readFileSync(path.join(approvals, 'personal', 'personal-1', 'state.f32'));
    const keptHead = new Float32Array(kept.buffer.slice(kept.byteOffset, kept.byteOffset + kept.byteLength));
    expect(keptHead.length).toBe(HEAD_SIZE);
    const initialHead = model.values.subarray(model.values.length - HEAD_SIZE);
    expect(keptHead.some((v, i) => v !== initialHead[i])).toBe(true);

    // The audit chain: a note of what was kept, then the chunks, by the digest of what arrived here.
    const entries = readAudit(audit);
    const note = entries.find((e) => e.note && e.type === 'personalization');
    expect(note?.detail).toMatchObject({ taskId, method: 'fedrep', kept: 'head', values: HEAD_SIZE, sent: 'zeros' });
    const logged = entries.filter((e) => e.type === 'update_chunk' && e.taskId === taskId);
    expect(logged.map((e) => e.sha256)).toEqual(chunks.map((c) => createHash('sha256').update(c).digest('hex')));
    expect(logged[0]!.seq).toBeGreaterThan(note!.seq);
  });

  it('the next round trains from the global body with its own head, not the global head', async () => {
    // The coordinator sends a global model whose head is garbage: the site's head replaces it.
    const global = { specs: model.specs, values: model.values.slice() };
    global.values.fill(1000, global.values.length - HEAD_SIZE);
    const taskId = 'personal-1/r2/train';
    session.train({ taskId, experimentId: 'personal-1', round: 2, spec: specUnder(terms), model: global });
    const m = await session.answer(taskId);
    expect(m.body, JSON.stringify(m.error)).toBe('metrics');
    // A head of 1000s would make the loss huge (cross-entropy of saturated wrong outputs).
    expect(m.metrics!.values['loss']).toBeLessThan(5);
    const { values } = await updateOf(taskId);
    expect(Array.from(values.subarray(values.length - HEAD_SIZE)).every((v) => v === 0)).toBe(true);
  });

  it("evaluates the personal model beside the global one and exports it in the site's folder", async () => {
    const taskId = 'personal-1/r2/evaluate';
    session.evaluate({ taskId, experimentId: 'personal-1', round: 2, spec: specUnder(terms), model });
    const m = await session.answer(taskId);
    expect(m.body, JSON.stringify(m.error)).toBe('metrics');
    const v = m.metrics!.values;
    // The initial model's body with the head the site trained in two rounds, against the initial model.
    expect(v['personal.accuracy']).toBeGreaterThanOrEqual(0);
    expect(v['personal.accuracy']).toBeLessThanOrEqual(1);
    expect(v['personal.loss']).toBeLessThan(v['loss']!);
    expect(Number.isInteger(v['personal.correct'])).toBe(true);
    const exported = path.join(approvals, 'personal', 'personal-1', 'model');
    const json = JSON.parse(fs.readFileSync(path.join(exported, 'model.json'), 'utf8')) as {
      weightsManifest: { weights: { shape: number[] }[] }[];
    };
    const size = json.weightsManifest[0]!.weights.reduce((n, w) => n + sizeOf(w.shape), 0);
    expect(fs.statSync(path.join(exported, 'weights.bin')).size).toBe(4 * size);
  });

  it('a task that drops the personalization the site approved is refused, and nothing is sent', async () => {
    const taskId = 'personal-1/r3/train';
    const { personalization, ...plain } = specUnder(terms);
    expect(personalization?.method).toBe('fedrep');
    session.train({ taskId, experimentId: 'personal-1', round: 3, spec: plain, model });
    const m = await session.answer(taskId);
    expect(m.body).toBe('error');
    expect(m.error!.code).toBe('OUTSIDE_MANIFEST');
    expect(m.error!.message).toMatch(/personalization: none, the manifest says fedrep/);
    expect(readAudit(audit).some((e) => e.type === 'update_chunk' && e.taskId === taskId)).toBe(false);
  });
});

describe('accord simulate --personalize', () => {
  const out = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `accord-personal-${name}-`));

  it('fedrep on heart disease with --baselines: per hospital personalized, global (a FedAvg run) and alone', async () => {
    const dir = out('fedrep');
    const r = await simulate({
      dataset: 'heart-disease',
      rounds: 4,
      out: dir,
      baselines: true,
      backend: 'auto',
      progress: false,
      personalization: { method: 'fedrep' },
    });
    const sites = Object.keys(HEART_DISEASE.sites);
    const p = r.final!.personalization!;
    expect(p).toMatchObject({ method: 'fedrep', globalComparable: false });
    expect(Object.keys(p.siteAccuracy).sort()).toEqual([...sites].sort());
    for (const s of sites) expect(p.siteAccuracy[s]).toBeGreaterThan(0.5);
    // The global column: a run of the same experiment without personalization, first.
    const fed = r.baselines!.federated!;
    expect(fed.strategy).toBe('fedavg');
    expect(fed.experimentId).not.toBe(r.experiment.id);
    expect(Object.keys(fed.siteAccuracy).sort()).toEqual([...sites].sort());
    // The logreg head is the bias, kept at the sites: the global model's bias never moved from its
    // initial 0, while the feature weights did.
    const bin = fs.readFileSync(path.join(dir, 'model', 'weights.bin'));
    const weights = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    expect(weights.at(-1)).toBe(0);
    expect(weights.subarray(0, -1).some((v) => v !== 0)).toBe(true);
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/## Personalization/);
    for (const s of sites) expect(md).toMatch(new RegExp(`\\| ${s} \\| [0-9.]+% \\| [0-9.]+% \\| [0-9.]+% \\|`));
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toMatch(/<h2>Personalization<\/h2>/);
    // Each hospital's personal model, exported at the site, copied beside the report.
    for (const s of sites) expect(fs.existsSync(path.join(dir, 'personal', s, 'model.json'))).toBe(true);
  }, 600_000);

  it('a head that would keep the whole model at the sites fails the experiment at its start, named', async () => {
    // Logistic regression has one layer: head 1 is all of it (heart disease's default is its bias).
    await expect(
      simulate({
        dataset: 'heart-disease',
        rounds: 2,
        out: out('whole-head'),
        baselines: false,
        backend: 'auto',
        progress: false,
        personalization: { method: 'fedper', head: 1 },
      }),
    ).rejects.toThrow(
      /personalization.head: 1 layer\(s\) of a model with 1 layer\(s\) with weights would keep all of it/,
    );
  }, 600_000);

  it('fedper under secure aggregation and differential privacy on the shared part', async () => {
    const r = await simulate({
      dataset: 'heart-disease',
      rounds: 3,
      out: out('fedper-secagg-dp'),
      baselines: false,
      backend: 'auto',
      progress: false,
      secagg: { mode: 'secagg' },
      dp: { noise: 0.5, clip: 1, delta: 1e-5 },
      personalization: { method: 'fedper' },
    });
    expect(r.rounds).toHaveLength(3);
    expect(r.rounds.at(-1)!.secure).toBeDefined();
    expect(r.final!.epsilon).toBeGreaterThan(0);
    const p = r.final!.personalization!;
    expect(Object.keys(p.siteAccuracy)).toHaveLength(4);
    for (const a of Object.values(p.siteAccuracy)) expect(a).toBeGreaterThan(0.5);
  }, 600_000);

  it("ditto under secure aggregation: the global model is FedAvg's, each site also has its own", async () => {
    const r = await simulate({
      dataset: 'heart-disease',
      rounds: 3,
      out: out('ditto-secagg'),
      baselines: false,
      backend: 'auto',
      progress: false,
      secagg: { mode: 'secagg' },
      personalization: { method: 'ditto', lambda: 0.1 },
    });
    const p = r.final!.personalization!;
    expect(p.globalComparable).toBe(true);
    expect(r.rounds.at(-1)!.secure).toBeDefined();
    for (const s of Object.keys(HEART_DISEASE.sites)) expect(p.siteAccuracy[s]).toBeGreaterThan(0.5);
  }, 600_000);
});
