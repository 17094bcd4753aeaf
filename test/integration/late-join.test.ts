// Federated scaling with a column too small to release at every early site, and a site that joins
// after the statistics were combined: the experiment completes every round (it used to fail every
// round with MISSING_STATS). A column no site released has no global statistics: each site scales it
// with its own training rows, as under `standard` scaling; and when the first round is retried before
// any committed, the statistics are collected again, from the sites live then.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AccordWorker } from '../../worker/client.js';
import type { ModelTask } from '../../worker/task-context.js';
import { TaskRunner } from '../../worker/tasks.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';
import { waitUntil } from '../helpers/wait-log.js';

const TOKENS = {
  cleveland: 'tok-late-cleveland',
  hungary: 'tok-late-hungary',
  switzerland: 'tok-late-switz',
  va: 'tok-late-va',
};

describe('a late site and a suppressed column under federated scaling', () => {
  const feds: TestFederation[] = [];
  const workers: AccordWorker[] = [];
  afterAll(async () => {
    for (const w of workers) w.stop();
    await Promise.all(feds.map((f) => f.stop()));
  });

  it('completes every round; the late site trains with the statistics the others released', async () => {
    const f = await startFederation(TOKENS);
    feds.push(f);
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

  it('a retried first round collects the statistics again, with the site that joined since', async () => {
    // A federation of its own: each site's worker of the first test is still connected to that one.
    const f = await startFederation(TOKENS);
    feds.push(f);
    const { cleveland, va, ...early } = TOKENS;
    const stayers = await startHeartWorkers(f, early);
    const [leaver] = await startHeartWorkers(f, { va });
    workers.push(...stayers, leaver!);
    // va leaves the moment its round-1 training task reaches it, before it can send anything: round 1
    // then misses its quorum (3) whatever the machine's speed, and is retried.
    const left = new Promise<void>((resolve) => {
      const execute = TaskRunner.prototype.execute;
      vi.spyOn(TaskRunner.prototype, 'execute').mockImplementation(function (this: TaskRunner, task: ModelTask) {
        const self = this as unknown as { opts: { site: string } };
        if (self.opts.site === 'va' && task.kind === 'train' && task.header.round === 1) {
          leaver!.stop();
          resolve();
          return new Promise<undefined>(() => undefined);
        }
        return execute.call(this, task);
      });
    });
    const id = await f.submit({ rounds: 2, clients: { min: 3, fraction: 1, quorum: 3 } });
    await left;
    expect(Object.keys((await f.records.get(id))!.stats!)).not.toContain('ca');
    vi.restoreAllMocks();
    workers.push(...(await startHeartWorkers(f, { cleveland })));
    const rec = await f.waitFor(id, ['completed', 'failed'], 300_000);
    expect(rec.status, rec.error).toBe('completed');
    const events = (await f.records.events(id)).map((e) => e.message);
    expect(events.some((e) => /round 1 attempt 1 failed/.test(e))).toBe(true);
    expect(events.filter((e) => /federated scaling: column statistics/.test(e))).toHaveLength(2);
    // cleveland holds enough values of `ca` to release them: the column has global statistics now.
    expect(Object.keys(rec.stats!)).toContain('ca');
  }, 400_000);
});
