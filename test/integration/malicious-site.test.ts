// A site with a valid token cannot sink or fake an experiment: a raw client sends poisoned statistics,
// fake metrics, an inflated declaration and a huge update; each is refused or bounded, with the reason.
import { afterEach, describe, expect, it } from 'vitest';
import { type TestFederation, useTestFederation } from '../helpers/federation.js';
import type { Rogue, RogueOptions } from '../helpers/rogue.js';

const TOKENS = { cleveland: 'tok-cleveland-1', hungary: 'tok-hungary-22', rogue: 'tok-rogue-333' };
const honest = { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary };

describe('a malicious site', () => {
  const t = useTestFederation(afterEach);
  const rogues: Rogue[] = [];

  async function federation(rogue: RogueOptions): Promise<TestFederation> {
    rogues.length = 0;
    const f = await t.start(TOKENS);
    await t.workers(f, honest);
    rogues.push(await t.rogue(f, 'rogue', TOKENS.rogue, rogue));
    return f;
  }

  it('poisoned column statistics are left out with the reason; the global statistics stay sane', async () => {
    const f = await federation({
      stats: { examples: 100, values: { 'n.0': 1e-300, 'sum.0': 1e308, 'sumsq.0': 1e308 } },
      train: (n) => new Float32Array(n),
    });
    const id = await f.submit({ rounds: 1, clients: { min: 2 } });
    const rec = await f.waitFor(id);
    expect(rec.status).toBe('completed');
    expect(rec.stats?.['age']?.mean).toBeGreaterThan(30);
    expect(rec.stats?.['age']?.mean).toBeLessThan(70);
    const events = (await f.records.events(id)).map((e) => e.message).join('\n');
    expect(events).toMatch(/statistics of rogue left out: .*count 1e-300 is not a whole number/);
    expect(rogues[0]?.errors().map((e) => e.code)).toContain('BAD_METRICS');
  });

  it('fake evaluation metrics (accuracy 7.5, or 1.0 on 9e15 examples) are refused and cannot stop a run at its target', async () => {
    for (const fake of [
      { examples: 10, values: { accuracy: 7.5, loss: 0.1 } },
      { examples: 9e15, values: { accuracy: 1, loss: 0 } },
    ]) {
      const f = await federation({ evaluate: fake, train: (n) => new Float32Array(n) });
      const id = await f.submit({ rounds: 2, clients: { min: 3 }, eval: { every: 1, target: 0.99 } });
      const rec = await f.waitFor(id);
      expect(rec.status).toBe('completed');
      expect(rec.stopped).toBeUndefined(); // the target was not "reached" by a lie
      const rounds = await f.records.rounds(id);
      expect(rounds).toHaveLength(2);
      for (const r of rounds) {
        expect(r.siteEval['rogue']).toBeUndefined();
        expect(r.meanSiteAccuracy).toBeLessThanOrEqual(1);
      }
      expect(
        rogues
          .at(-1)
          ?.errors()
          .map((e) => e.message)
          .join('\n'),
      ).toMatch(
        /evaluate metrics: (accuracy 7.5 is outside \[0, 1\]|9000000000000000 examples, the site declared 100 rows)/,
      );
      await t.stopAll();
    }
  });

  it('an inflated declaration is refused at Hello; a huge update is scaled down to the server-side norm bound', async () => {
    const f = await federation({ train: (n) => new Float32Array(n).fill(1e30) });
    const inflated = await t.rogue(
      f,
      'rogue',
      TOKENS.rogue,
      { hello: { datasets: [{ name: 'x', examples: 9e15 }] } },
      false,
    );
    expect((await inflated.failed).details).toMatch(/Hello declares 9000000000000000 rows, at most 10000000/);
    // The first rogue is still connected (the refused session did not replace it).
    // The absolute bound alone (the round-relative one, clients.normBoundMultiple, is bounded-updates.test.ts's).
    const id = await f.submit({ rounds: 2, clients: { min: 3, maxUpdateNorm: 5, normBoundMultiple: 0 } });
    const rec = await f.waitFor(id);
    expect(rec.status).toBe('completed');
    const events = (await f.records.events(id)).map((e) => e.message).join('\n');
    expect(events).toMatch(/round 1: update of rogue bounded \(norm 3\.74e\+30 -> 5, clients\.maxUpdateNorm\)/); // 1e30 x sqrt(14)
    const rounds = await f.records.rounds(id);
    expect(rounds.at(-1)?.meanSiteAccuracy).toBeGreaterThan(0.5);
  });
});
