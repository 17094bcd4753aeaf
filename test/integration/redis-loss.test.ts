// Redis losing its data (a restart without persistence): connected workers are registered again and a
// new experiment runs, without any worker reconnecting.
import { afterAll, describe, expect, it } from 'vitest';
import type { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';

const TOKENS = { cleveland: 'tok-cleveland-1', hungary: 'tok-hungary-22' };

describe('after Redis loses its data', () => {
  let fed: TestFederation | undefined;
  let workers: AccordWorker[] = [];
  afterAll(async () => {
    for (const w of workers) w.stop();
    await fed?.stop();
  });

  it('the registry heals and a new experiment completes', async () => {
    fed = await startFederation(TOKENS);
    workers = await startHeartWorkers(fed, TOKENS);
    expect((await fed.client.hkeys('accord:workers')).sort()).toEqual(['cleveland', 'hungary']);
    await fed.client.flushall();
    const until = Date.now() + 60_000;
    while ((await fed.client.hkeys('accord:workers')).length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    expect((await fed.client.hkeys('accord:workers')).sort()).toEqual(['cleveland', 'hungary']);
    const id = await fed.submit({ rounds: 1, clients: { min: 2 } });
    expect((await fed.waitFor(id, ['completed', 'failed'], 120_000)).status).toBe('completed');
    // Nobody reconnected: the same sessions did the work.
    expect(workers.every((w) => w.completed > 0)).toBe(true);
  });
});
