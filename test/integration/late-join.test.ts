// Federated scaling with a column too small to release at every early site, and a site that joins
// after the statistics were combined: the experiment completes every round (it used to fail every
// round with MISSING_STATS). A column no site released has no global statistics: each site scales it
// with its own training rows, as under `standard` scaling.
import { afterAll, describe, expect, it } from 'vitest';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';
import { waitUntil } from '../helpers/wait-log.js';

const TOKENS = {
  cleveland: 'tok-late-cleveland',
  hungary: 'tok-late-hungary',
  switzerland: 'tok-late-switz',
  va: 'tok-late-va',
};

describe('a late site and a suppressed column under federated scaling', () => {
  let fed: TestFederation | undefined;
  const workers: AccordWorker[] = [];
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  it('completes every round; the late site trains with the statistics the others released', async () => {
    fed = await startFederation(TOKENS);
    const f = fed;
    const { cleveland, ...early } = TOKENS;
    workers.push(...(await startHeartWorkers(f, early)));
    // Enough rounds that the late site is selected in some of them (it joins within a second or two).
    const id = await f.submit({ rounds: 30, clients: { min: 3 }, eval: { every: 30 } });
    await waitUntil(async () => (await f.records.get(id))?.stats !== undefined, 120_000, 'the global statistics');
    // hungary, switzerland and va each hold fewer than 5 values of `ca`: none of them released it.
    expect(Object.keys((await f.records.get(id))!.stats!)).not.toContain('ca');
    workers.push(...(await startHeartWorkers(f, { cleveland })));
    const rec = await f.waitFor(id, ['completed', 'failed'], 300_000);
    expect(rec.status, rec.error).toBe('completed');
    const rounds = await f.records.rounds(id);
    expect(rounds).toHaveLength(30);
    expect(rounds.some((r) => r.train['cleveland'] !== undefined)).toBe(true);
    const events = (await f.records.events(id)).map((e) => e.message).join('\n');
    expect(events).not.toMatch(/MISSING_STATS/);
  }, 400_000);
});
