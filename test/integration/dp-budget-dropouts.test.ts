// dp.maxEpsilon with real dropouts under secure aggregation (issue 17): `select` prices a round with
// every sampled site adding its share of the noise, but a site that drops out after sharing keys takes
// its share with it. With 4 sites, z = 1 and one dropout a round, round 2 is priced at epsilon 7.755
// and would spend 8.421: with maxEpsilon 8 it must not be committed, and the experiment stops out of
// budget with round 1's model. Real coordinator, Redis, gRPC and TF.js workers (in this process, so
// the test can see which clients revealed their secrets).
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExperimentReport } from '../../coordinator/experiments/report.js';
import { DifferentialPrivacy } from '../../coordinator/privacy/differential-privacy.js';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { SecAggClient } from '../../shared/secagg/client.js';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';

const TOKENS = {
  cleveland: 'token-cleveland-dp-1',
  hungary: 'token-hungary-dp-22',
  switzerland: 'token-switz-dp-333',
  va: 'token-va-dp-4444',
};

const MAX_EPSILON = 8;
const EXPERIMENT = {
  rounds: 5,
  clients: { min: 4, fraction: 1 },
  // With 4 sites, surviving a dropout means assuming no corrupt site (else t = k = 3). One site
  // vanishes after share-keys every round: its mask is removed, its noise share is not in the sum.
  secagg: { mode: 'secaggplus' as const, corruptFraction: 0, dropout: { after: 'share-keys' as const, count: 1 } },
  dp: { noise: 1, clip: 1, maxEpsilon: MAX_EPSILON },
};

/** The priced and the actual epsilon of round 2, as the stop reason states them. */
const reason = (when: string) =>
  new RegExp(
    `^privacy budget: round 2 not committed \\(refused ${when}\\): priced at epsilon 7\\.755 with every site's noise \\(z 1\\), ` +
      'actual epsilon 8\\.421 with the noise shares of only 3 of 4 sites \\(effective z 0\\.866\\) > dp\\.maxEpsilon 8 ',
  );

describe('dp.maxEpsilon holds with real dropouts under secure aggregation', () => {
  let fed: TestFederation;
  let workers: AccordWorker[] = [];

  beforeAll(async () => {
    fed = await startFederation(TOKENS);
    workers = await startHeartWorkers(fed, TOKENS);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  /** Runs the experiment to its end; checks what every run must show: round 1 committed, round 2 not. */
  async function runOutOfBudget(when: string) {
    const unmask = vi.spyOn(SecAggClient.prototype, 'unmask');
    const id = await fed.submit(EXPERIMENT);
    const rec = await fed.waitFor(id, ['completed', 'failed'], 240_000);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    expect(rec.stopped).toMatch(reason(when));

    // Only round 1 was committed, at an epsilon within the budget; round 2's sum had too little noise.
    const rounds = await fed.records.rounds(id);
    expect(rounds.map((r) => r.round)).toEqual([1]);
    const [r1] = rounds;
    expect(r1!.secure).toMatchObject({ advertised: 4, survivors: 3 });
    expect(r1!.privacy!.effectiveNoiseMultiplier).toBeCloseTo(Math.sqrt(3 / 4), 10);
    expect(r1!.privacy!.epsilon).toBeCloseTo(5.586, 3);
    expect(r1!.privacy!.epsilon).toBeLessThanOrEqual(MAX_EPSILON);
    expect(rec.committed).toBe(1);
    const paths = new StorePaths(fed.store);
    expect(new Checkpoints(paths).latest(id)).toBe(1);
    expect(fs.existsSync(paths.candidate(id, 2))).toBe(false);

    // The report and the event log say why, with both epsilons; the exported model is round 1's.
    const events = (await fed.records.events(id)).map((e) => e.message);
    expect(events.some((m) => m.startsWith('stopped: ') && reason(when).test(m.slice('stopped: '.length)))).toBe(true);
    const report = JSON.parse(fs.readFileSync(paths.report(id), 'utf8')) as ExperimentReport;
    expect(report.experiment.stopped).toMatch(reason(when));
    expect(report.final?.round).toBe(1);
    expect(report.final?.epsilon).toBe(r1!.privacy!.epsilon);
    expect(report.privacy?.epsilon).toBe(r1!.privacy!.epsilon);
    expect(report.final!.epsilon!).toBeLessThanOrEqual(MAX_EPSILON);
    expect(fs.readFileSync(paths.reportMarkdown(id), 'utf8')).toMatch(
      /Stopped early: privacy budget: round 2 not committed .*priced at epsilon 7\.755.*actual epsilon 8\.421/,
    );
    expect(fs.existsSync(paths.modelDir(id))).toBe(true);

    // Which rounds the surviving clients revealed their secrets in (the unmasking stage).
    const revealed = (round: number) => unmask.mock.contexts.filter((c) => (c as SecAggClient).round === round).length;
    return { revealed };
  }

  it('a round priced within the budget but short of noise after a dropout is refused before unmasking', async () => {
    const { revealed } = await runOutOfBudget('before unmasking');
    expect(revealed(1)).toBe(3);
    // Nothing of round 2 was unmasked: the coordinator never learned a sum with too little noise.
    expect(revealed(2)).toBe(0);
  });

  it('the commit checks the noise actually added on its own: a round that got past unmasking is not committed', async () => {
    // As if the check before unmasking were missing (or the round were past it when the coordinator
    // restarted with it): only the commit stands between the round and the ledger.
    const real = DifferentialPrivacy.prototype.overBudgetAsAdded;
    const asAdded = vi.spyOn(DifferentialPrivacy.prototype, 'overBudgetAsAdded').mockImplementation(function (
      this: DifferentialPrivacy,
      ...args
    ) {
      return args[3] === 'before unmasking' ? undefined : real.apply(this, args);
    });
    const { revealed } = await runOutOfBudget('at commit');
    expect(revealed(2)).toBe(3);
    expect(asAdded.mock.calls.filter((c) => c[2] === 2).map((c) => c[3])).toEqual(['before unmasking', 'at commit']);
  });
});
