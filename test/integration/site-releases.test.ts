// What a site releases is the site's to decide: a lying coordinator (test/helpers/malicious-coordinator.ts,
// built from the proto alone) against real in-process workers, each with its identity, the pinned
// roster and a policy. Each attack is one the issue measured on the old main; each test also shows,
// with the project's own functions, what the attack would have taught without the site's defence,
// so the test fails when the defence is removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig, ExperimentInput } from '../../shared/config/schema.js';
import { siteColumnSums } from '../../shared/data/column-sums.js';
import { readCsvFile } from '../../shared/data/csv.js';
import { prepareSite } from '../../shared/data/features.js';
import { createLogger } from '../../shared/log/logger.js';
import { dpSgdSchedule } from '../../shared/models/dp-sgd.js';
import { RdpAccountant } from '../../shared/privacy/rdp.js';
import { chunkF32 } from '../../shared/protocol/chunks.js';
import { encodeTaskSpec, type TaskSpec } from '../../shared/protocol/task-spec.js';
import type { FlatWeights } from '../../shared/tensors/weights.js';
import { generateIdentity, type Identity } from '../../shared/trust/identity.js';
import { buildManifest, type SignedTerms } from '../../shared/trust/manifest.js';
import { Roster } from '../../shared/trust/roster.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { AccordWorker } from '../../worker/client.js';
import { sitePolicySchema } from '../../worker/policy.js';
import { siteDataView, splitKeyOf } from '../../worker/site-data.js';
import { initialWeights, MaliciousCoordinator, type SiteSession, specUnder } from '../helpers/malicious-coordinator.js';

const SITES = ['cleveland', 'hungary', 'va', 'switzerland'] as const;
type Site = (typeof SITES)[number];

describe('what a site releases is its own to decide (a lying coordinator against real sites)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-site-releases-'));
  const identities = Object.fromEntries(SITES.map((s) => [s, generateIdentity()])) as Record<Site, Identity>;
  const roster = Roster.fromKeys(Object.fromEntries(SITES.map((s) => [s, identities[s].publicKey])));
  /** va's file: cleveland's rows, one cell replaced by a record number (text where a number belongs). */
  const oracleFile = path.join(root, 'va-with-mrn.csv');
  const workers: AccordWorker[] = [];
  const sessions = {} as Record<Site, SiteSession>;
  let coordinator: MaliciousCoordinator;
  let model: FlatWeights;
  /** hungary's cap on record-level epsilon: between one DP-SGD round and two. */
  let hungaryCap = 0;
  let hungaryRoundEpsilon = 0;

  const baseData = { ...HEART_DISEASE.experiment.data, scaling: 'federated' } as const;

  function termsOf(id: string, input: Partial<ExperimentInput> = {}): SignedTerms {
    const config = parseExperiment({
      ...HEART_DISEASE.experiment,
      data: baseData,
      rounds: 3,
      clients: { min: 2, fraction: 1 },
      ...input,
    });
    return buildManifest(id, config, { sha256: roster.hash, sites: roster.sites.length });
  }

  function csvOf(terms: SignedTerms): CsvDataConfig {
    const d = terms.manifest.config.data;
    if (d.format !== 'csv') throw new Error('csv expected');
    return d;
  }

  async function startSite(site: Site, dataFile: string, policy: Record<string, unknown>): Promise<void> {
    const dir = path.join(root, site);
    const w = new AccordWorker({
      coordinator: coordinator.address,
      site,
      token: `whatever-${site}`,
      dataFile,
      identity: identities[site],
      roster,
      policy: sitePolicySchema.parse(policy),
      approvalsDir: path.join(dir, 'approvals'),
      auditFile: path.join(dir, 'audit.jsonl'),
      backend: 'cpu',
      log: createLogger(site, 'silent'),
    });
    workers.push(w);
    void w.run();
    sessions[site] = await coordinator.session(site);
  }

  function stats(site: Site, taskId: string, terms: SignedTerms, spec: TaskSpec = specUnder(terms)): void {
    sessions[site].send({
      statsTask: {
        header: {
          taskId,
          experimentId: terms.manifest.experimentId,
          round: 0,
          attempt: 1,
          deadlineUnixMs: Date.now() + 120_000,
          modelBytes: 0,
          tensors: [],
          spec: encodeTaskSpec(spec),
        },
      },
    });
  }

  function evaluate(site: Site, taskId: string, terms: SignedTerms, round: number, weights: FlatWeights): void {
    sessions[site].send({
      evaluateTask: {
        header: {
          taskId,
          experimentId: terms.manifest.experimentId,
          round,
          attempt: 1,
          deadlineUnixMs: Date.now() + 120_000,
          modelBytes: weights.values.byteLength,
          tensors: weights.specs,
          spec: encodeTaskSpec(specUnder(terms)),
        },
      },
    });
    for (const c of chunkF32(weights.values))
      sessions[site].send({ modelChunk: { taskId, seq: c.seq, last: c.last, data: c.data } });
  }

  /** A model that differs from `w` in one weight: a question the coordinator made up. */
  function crafted(w: FlatWeights, at = 0): FlatWeights {
    const values = Float32Array.from(w.values);
    values[at] = (values[at] ?? 0) + 3;
    return { specs: w.specs, values };
  }

  beforeAll(async () => {
    coordinator = await MaliciousCoordinator.start();
    model = await initialWeights(termsOf('any'));
    const lines = fs.readFileSync(HEART_DISEASE.sites.cleveland, 'utf8').split('\n');
    const cells = lines[9]!.split(',');
    cells[4] = 'MRN-0042917';
    lines[9] = cells.join(',');
    fs.writeFileSync(oracleFile, lines.join('\n'));

    // hungary's cap: what one DP-SGD round of experiment "dp-*" costs its training rows, computed
    // here with the site's own split key, and a cap between one round and two.
    const hungaryPolicy = {
      autoApprove: true,
      data: { splitKey: 'hungary-split-secret-0001' },
      metrics: { minTestRows: 100_000 },
      budget: { statistics: 1 },
    };
    const rules = sitePolicySchema.parse(hungaryPolicy).data;
    const view = siteDataView(
      csvOf(termsOf('x', { data: { ...baseData, scaling: 'standard' } })),
      rules,
      splitKeyOf(rules, undefined),
    );
    const data = view.data as CsvDataConfig;
    const rows = prepareSite(readCsvFile(HEART_DISEASE.sites.hungary, data), data, view.split).train.n;
    const { q, steps } = dpSgdSchedule(rows, { batchSize: 16, epochs: 1 });
    hungaryRoundEpsilon = new RdpAccountant().compose(q, 1.1, steps).epsilon(1e-5);
    hungaryCap = (hungaryRoundEpsilon + new RdpAccountant().compose(q, 1.1, 2 * steps).epsilon(1e-5)) / 2;

    await Promise.all([
      startSite('cleveland', HEART_DISEASE.sites.cleveland, { autoApprove: true }),
      startSite('hungary', HEART_DISEASE.sites.hungary, { ...hungaryPolicy, maxRecordEpsilon: hungaryCap }),
      startSite('va', oracleFile, { autoApprove: true }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    coordinator?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('differencing: moving the test fraction, the seed or the label between experiments gives the same sums', async () => {
    const asked = [
      termsOf('diff-a', { data: { ...baseData, testFraction: 0.12 } }),
      termsOf('diff-b', { data: { ...baseData, testFraction: 0.13 } }),
      termsOf('diff-c', { data: { ...baseData, testFraction: 0.12, splitSeed: 7, binarise: '> 1' } }),
    ];
    const answers = [];
    for (const t of asked) {
      stats('cleveland', `${t.manifest.experimentId}/stats`, t);
      const m = await sessions.cleveland.answer(`${t.manifest.experimentId}/stats`);
      expect(m.body, JSON.stringify(m.error)).toBe('metrics');
      answers.push({ examples: Number(m.metrics!.examples), values: m.metrics!.values });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // Without the site's split, the experiment's split moves: the two answers differ by the rows
    // that changed side, one patient's values when the fractions differ by a row.
    const [a, b] = asked.map(csvOf);
    const exp = [a!, b!].map((d) => siteColumnSums(readCsvFile(HEART_DISEASE.sites.cleveland, d), d));
    expect(exp[0]!.rows).not.toBe(exp[1]!.rows);
    expect(exp[0]!.columns['age']!.sum).not.toBe(exp[1]!.columns['age']!.sum);
  });

  it('the missing-value oracle: a coordinator-chosen missing list changes no answer', async () => {
    const withMrn = termsOf('oracle-a', { data: { ...baseData, missing: ['?', 'NaN', 'MRN-0042917'] } });
    const without = termsOf('oracle-b', { data: { ...baseData, missing: ['?', 'NaN'] } });
    const answers = [];
    for (const t of [withMrn, without]) {
      stats('va', `${t.manifest.experimentId}/stats`, t);
      const m = await sessions.va.answer(`${t.manifest.experimentId}/stats`);
      answers.push({ body: m.body, code: m.error?.code, message: m.error?.message });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]!.body).toBe('error');
    expect(answers[0]!.code).toBe('DATA_INVALID');
    expect(answers[0]!.message).not.toContain('MRN');
    // Without the site's own missing list, the guess decides the outcome: one bit per experiment.
    expect(() => readCsvFile(oracleFile, csvOf(withMrn))).not.toThrow();
    expect(() => readCsvFile(oracleFile, csvOf(without))).toThrow(/non-numeric/);
  });

  it('crafted models: metrics only for the initial model the manifest gives and one model per round and attempt', async () => {
    const t = termsOf('craft', { roundAttempts: 1, data: { ...baseData, scaling: 'standard' } });
    const id = t.manifest.experimentId;
    // Training from an initial model that is not the manifest's is refused: its start metrics would
    // answer the coordinator's question.
    sessions.cleveland.train({
      taskId: `${id}/r1/train-x`,
      experimentId: id,
      round: 1,
      spec: specUnder(t),
      model: crafted(model),
    });
    expect((await sessions.cleveland.answer(`${id}/r1/train-x`)).error?.code).toBe('UNTIED_MODEL');
    // The real initial model trains, and its start metrics are rounded as the site's policy says.
    sessions.cleveland.train({ taskId: `${id}/r1/train`, experimentId: id, round: 1, spec: specUnder(t), model });
    const trained = await sessions.cleveland.answer(`${id}/r1/train`);
    expect(trained.body, JSON.stringify(trained.error)).toBe('metrics');
    const acc = trained.metrics!.values['startAccuracy']!;
    expect(Math.round(acc * 100)).toBeCloseTo(acc * 100, 8);
    // Round 1's model: the coordinator chooses it once (roundAttempts 1); a second version is refused.
    evaluate('cleveland', `${id}/r1/evaluate`, t, 1, crafted(model, 1));
    const first = await sessions.cleveland.answer(`${id}/r1/evaluate`);
    expect(first.body, JSON.stringify(first.error)).toBe('metrics');
    evaluate('cleveland', `${id}/r1/evaluate-again`, t, 1, crafted(model, 2));
    expect((await sessions.cleveland.answer(`${id}/r1/evaluate-again`)).error?.code).toBe('UNTIED_MODEL');
    // The same model again is the same question: answered, and the same answer.
    evaluate('cleveland', `${id}/r1/evaluate-same`, t, 1, crafted(model, 1));
    const same = await sessions.cleveland.answer(`${id}/r1/evaluate-same`);
    expect(same.metrics?.values).toEqual(first.metrics!.values);
  });

  it("metrics from fewer test rows than the site's minimum are refused (TEST_TOO_SMALL)", async () => {
    const t = termsOf('small', { data: { ...baseData, scaling: 'standard' } });
    evaluate('hungary', 'small/r1/evaluate', t, 1, crafted(model));
    const m = await sessions.hungary.answer('small/r1/evaluate');
    expect(m.error?.code).toBe('TEST_TOO_SMALL');
    expect(m.error?.message).toMatch(/minTestRows/);
  });

  it("the statistics budget spans experiments: hungary's one release is spent by the first", async () => {
    const first = termsOf('budget-1');
    const second = termsOf('budget-2');
    stats('hungary', 'budget-1/stats', first);
    expect((await sessions.hungary.answer('budget-1/stats')).body).toBe('metrics');
    stats('hungary', 'budget-2/stats', second);
    const m = await sessions.hungary.answer('budget-2/stats');
    expect(m.error?.code).toBe('BUDGET_SPENT');
    expect(m.error?.message).toMatch(/budget\.statistics/);
  });

  it("record-level epsilon composes over experiments on the same rows, and the site's cap refuses the round that would pass it", async () => {
    const dp = { dpSgd: { noiseMultiplier: 1.1, clip: 1, delta: 1e-5 } };
    const train = { ...HEART_DISEASE.experiment.train, batchSize: 16, epochs: 1, ...dp };
    const one = termsOf('dp-1', { train, data: { ...baseData, scaling: 'standard' } });
    const two = termsOf('dp-2', { train, data: { ...baseData, scaling: 'standard' } });
    const go = async (t: SignedTerms) => {
      const id = t.manifest.experimentId;
      sessions.hungary.train({ taskId: `${id}/r1/train`, experimentId: id, round: 1, spec: specUnder(t), model });
      return sessions.hungary.answer(`${id}/r1/train`);
    };
    const first = await go(one);
    expect(first.body, JSON.stringify(first.error)).toBe('metrics');
    expect(first.metrics!.values['recordEpsilon']).toBeCloseTo(hungaryRoundEpsilon, 2);
    // A second experiment on the same rows would take them past the cap: refused before training.
    const second = await go(two);
    expect(second.error?.code).toBe('BUDGET_SPENT');
    expect(second.error?.message).toMatch(/maxRecordEpsilon/);
    // Per experiment, the second would have looked as cheap as the first (the old ledger's view).
    expect(hungaryRoundEpsilon).toBeLessThan(hungaryCap);
  });
});
