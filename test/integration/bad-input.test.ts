// Bad input from a worker gets a clear error, fails only that worker's task, and the round commits
// with the good workers. Each case runs a real one-round experiment: Redis, BullMQ, gRPC, TF.js.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { createLogger } from '../../shared/log/logger.js';
import { firstNonFinite } from '../../shared/tensors/bytes.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { AccordWorker } from '../../worker/client.js';
import { startFederation, startHeartWorkers, type TestFederation } from '../helpers/federation.js';
import { Rogue, type RogueTask } from '../helpers/rogue.js';

const TOKENS = { cleveland: 'token-cleveland-123', hungary: 'token-hungary-456', rogue: 'token-rogue-789' };

describe('bad input from workers', () => {
  let fed: TestFederation;
  const good: AccordWorker[] = [];

  beforeAll(async () => {
    fed = await startFederation(TOKENS);
    good.push(...(await startHeartWorkers(fed, { cleveland: TOKENS.cleveland, hungary: TOKENS.hungary })));
  });

  afterAll(async () => {
    for (const w of good) w.stop();
    await fed?.stop();
  });

  /** Runs one round with the rogue misbehaving; returns the round record and what the rogue was told. */
  async function roundWith(misbehave: (r: Rogue, t: RogueTask) => void | Promise<void>, taskMs = 20_000) {
    const rogue = new Rogue(fed.address, 'rogue', TOKENS.rogue, { identity: fed.identities['rogue']! });
    await rogue.welcomed;
    const id = await fed.submit({
      rounds: 1,
      clients: { min: 3, fraction: 1, quorum: 2 },
      timeouts: { taskMs, selectMs: 30_000 },
    });
    const task = await rogue.nextTrainTask();
    await misbehave(rogue, task);
    const rec = await fed.waitFor(id);
    expect(rec.status, rec.error).toBe('completed');
    const [round] = await fed.records.rounds(id);
    rogue.close();
    // The round went on with the good workers, and the new model is finite.
    expect(round!.participants).toEqual(['cleveland', 'hungary']);
    const cp = new Checkpoints(new StorePaths(fed.store)).read(id, 1);
    expect(firstNonFinite(cp.weights.values)).toBe(-1);
    return { failure: round!.failures['rogue'] ?? '', told: rogue.errors() };
  }

  it('an update of the wrong length', async () => {
    const { failure, told } = await roundWith((r, t) => {
      r.metrics(t);
      r.chunk(t.header.taskId, 0, true, new Float32Array(t.params + 3));
    });
    expect(failure).toMatch(/more than the model's \d+ values \(wrong shape\)/);
    expect(told[0]?.code).toBe('WRONG_LENGTH');
  });

  it('an update that is too short', async () => {
    const { failure } = await roundWith((r, t) => {
      r.metrics(t);
      r.chunk(t.header.taskId, 0, true, new Float32Array(t.params - 1));
    });
    expect(failure).toMatch(/values, the model has \d+ \(wrong shape\)/);
  });

  it('NaN or Inf in an update', async () => {
    const { failure, told } = await roundWith((r, t) => {
      r.metrics(t);
      const v = new Float32Array(t.params);
      v[3] = NaN;
      r.chunk(t.header.taskId, 0, true, v);
    });
    expect(failure).toMatch(/value 3 is NaN/);
    expect(told[0]?.code).toBe('NON_FINITE');
  });

  it('a chunk over 1 MiB', async () => {
    const { failure, told } = await roundWith((r, t) => {
      r.metrics(t);
      r.chunk(t.header.taskId, 0, true, Buffer.alloc(1024 * 1024 + 8));
    });
    expect(failure).toMatch(/exceeds the 1 MiB limit/);
    expect(told[0]?.code).toBe('CHUNK_TOO_LARGE');
  });

  it('a chunk out of sequence', async () => {
    const { failure, told } = await roundWith((r, t) => {
      r.metrics(t);
      r.chunk(t.header.taskId, 1, true, new Float32Array(t.params));
    });
    expect(failure).toMatch(/out of sequence \(got 1, expected 0\)/);
    expect(told[0]?.code).toBe('CHUNK_OUT_OF_SEQUENCE');
  });

  it('metrics for another round (a replay)', async () => {
    const { failure, told } = await roundWith((r, t) => r.metrics(t, t.header.round + 7));
    expect(failure).toMatch(/metrics for round 8, task .* is round 1 \(replayed\?\)/);
    expect(told[0]?.code).toBe('WRONG_ROUND');
  });

  it('an update for another task: refused, and the task times out without hurting the round', async () => {
    const { failure, told } = await roundWith((r, t) => {
      r.metrics(t);
      r.chunk(t.header.taskId.replace('-r1-', '-r9-'), 0, true, new Float32Array(t.params));
    }, 2500);
    expect(told[0]?.code).toBe('UNKNOWN_TASK');
    expect(told[0]?.message).toMatch(/update for unknown or finished task/);
    expect(failure).toMatch(/missed the deadline/);
  });

  it('a worker that disconnects mid-upload', async () => {
    const { failure } = await roundWith(async (r, t) => {
      r.metrics(t);
      r.chunk(t.header.taskId, 0, false, new Float32Array(4));
      await new Promise((res) => setTimeout(res, 100));
      r.close();
    });
    expect(failure).toMatch(/disconnected mid-upload/);
  });

  it('an unknown site or a wrong token is refused with UNAUTHENTICATED', async () => {
    const stranger = new Rogue(fed.address, 'stranger', 'whatever-token');
    const e1 = await stranger.failed;
    expect(e1.code).toBe(16);
    expect(e1.details).toMatch(/unknown site or wrong token for site "stranger"/);
    const liar = new Rogue(fed.address, 'rogue', 'not-the-right-token');
    const e2 = await liar.failed;
    // The same answer: a stranger cannot tell which site names exist.
    expect(e2.details.replace('rogue', 'stranger')).toBe(e1.details);
    stranger.close();
    liar.close();
    // Neither appears among the registered workers.
    const live = await fed.client.hkeys('accord:workers');
    expect(live).not.toContain('stranger');
  });

  it('a Hello with an oversized string or too many data sets is refused, and nothing of it is stored', async () => {
    const huge = new Rogue(fed.address, 'rogue', TOKENS.rogue, { hello: { device: 'x'.repeat(500_000) } });
    const e1 = await huge.failed;
    expect(e1.code).toBe(3); // INVALID_ARGUMENT
    expect(e1.details).toMatch(/Hello\.device is 500000 characters, at most 64/);
    const datasets = Array.from({ length: 20_000 }, (_, i) => ({ name: `d${i}`, examples: 1 }));
    const many = new Rogue(fed.address, 'rogue', TOKENS.rogue, { hello: { datasets } });
    const e2 = await many.failed;
    expect(e2.details).toMatch(/Hello declares 20000 data sets, at most 16/);
    huge.close();
    many.close();
    expect(await fed.client.hget('accord:workers', 'rogue')).toBeNull();
  });

  it('a worker with a wrong token gets a clear fatal error, not endless retries', async () => {
    const w = new AccordWorker({
      coordinator: fed.address,
      site: 'cleveland',
      token: 'wrong-token-000',
      dataFile: HEART_DISEASE.sites.cleveland,
      log: createLogger('x', 'silent'),
    });
    await expect(w.run()).rejects.toThrow(/coordinator refused site "cleveland".*unknown site or wrong token/);
  });
});
