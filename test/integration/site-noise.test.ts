// A rule the site cannot check is enforced by the site itself: without secure aggregation the
// experiment's DP noise is added by the coordinator (a promise), so a site whose policy asks for a
// minimum noise multiplier adds that noise to its own clipped delta before it leaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log/logger.js';
import { generateIdentity } from '../../shared/trust/identity.js';
import { buildManifest } from '../../shared/trust/manifest.js';
import { Roster } from '../../shared/trust/roster.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { AccordWorker } from '../../worker/client.js';
import { sitePolicySchema } from '../../worker/policy.js';
import { initialWeights, MaliciousCoordinator, specUnder } from '../helpers/malicious-coordinator.js';

describe('a minimum noise the site cannot check', () => {
  const ids = { cleveland: generateIdentity(), hungary: generateIdentity() };
  const roster = Roster.fromKeys({ cleveland: ids.cleveland.publicKey, hungary: ids.hungary.publicKey });
  let coordinator: MaliciousCoordinator;
  const workers: AccordWorker[] = [];

  beforeAll(async () => {
    coordinator = await MaliciousCoordinator.start();
  });
  afterAll(() => {
    for (const w of workers) w.stop();
    coordinator.close();
  });

  async function updateNorm(site: 'cleveland' | 'hungary', minNoiseMultiplier: number): Promise<number> {
    const w = new AccordWorker({
      coordinator: coordinator.address,
      site,
      token: 't',
      dataFile: HEART_DISEASE.sites[site],
      backend: 'cpu',
      identity: ids[site],
      roster,
      policy: sitePolicySchema.parse({ autoApprove: true, minNoiseMultiplier }),
      log: createLogger(site, 'silent'),
    });
    workers.push(w);
    void w.run();
    const session = await coordinator.session(site);
    // Central DP in clear: z = 1, clip 1. The coordinator would add the noise; this one never does.
    const config = parseExperiment({
      ...HEART_DISEASE.experiment,
      data: { ...HEART_DISEASE.experiment.data, scaling: 'standard' },
      rounds: 2,
      dp: { noise: 1, clip: 1 },
    });
    const terms = buildManifest(`noise-${site}`, config, { sha256: roster.hash, sites: 2 });
    const model = await initialWeights(terms);
    session.train({ taskId: `t-${site}`, experimentId: `noise-${site}`, round: 1, spec: specUnder(terms), model });
    const chunk = await session.next((m) => m.body === 'updateChunk', 'the update');
    const v = new Float32Array(new Uint8Array(chunk.updateChunk!.data).slice().buffer);
    expect(v.length).toBe(model.values.length);
    expect(v.length).toBeGreaterThanOrEqual(14);
    return Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  }

  it('the site adds N(0, (z C)^2) itself: its update is far outside the clip, which it never is otherwise', async () => {
    const plain = await updateNorm('hungary', 0);
    expect(plain).toBeLessThanOrEqual(1 + 1e-5); // clipped to C = 1, nothing added
    // With z = 1 and C = 1 per coordinate, the norm is about sqrt(parameters) (about 3.7 for 14).
    const noisy = await updateNorm('cleveland', 1);
    // Chi with as many degrees of freedom as parameters: below 1.2 with probability under 1e-6 here.
    expect(noisy).toBeGreaterThan(1.2);
  });
});
