// A coordinator killed mid-experiment (SIGKILL) is replaced by a new process on the same Redis and
// store, started as the README starts one (no --instance: each gets its own default name). The
// experiment resumes from the last committed round with no manual step, no committed round is lost or
// redone, and the replacement takes over the dead one's jobs at once (its Redis connection is gone)
// rather than waiting for their locks to expire.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { submitExperiment } from '../../coordinator/queues/submit.js';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { parseExperiment } from '../../shared/config/load.js';
import { redisOptions } from '../../shared/redis-url.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { spawnAccord } from '../../simulation/processes.js';
import { freePort } from '../../simulation/redis-server.js';
import { waitUntil } from '../helpers/wait-log.js';
import { spawnHeartWorker, TWO_SITE_TOKENS, useProcessFederation } from '../helpers/worker-process.js';

const LOCK_MS = 120_000;

/** The pino time of the first log line with this message. */
function loggedAt(logFile: string, msg: string): number | undefined {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number };
    if (entry.msg === msg) return entry.time;
  }
  return undefined;
}

describe.each(['sync', 'async'] as const)('coordinator restart (%s mode)', (mode) => {
  const fed = useProcessFederation(afterAll);
  const children = fed.children;

  it('resumes from the last committed round after the coordinator is killed', async () => {
    const { redis, client, dir, tokensFile, store } = await fed.setUp(`restart-${mode}`);
    const tokens = TWO_SITE_TOKENS;
    const port = await freePort();
    const coordinatorArgs = [
      'coordinator',
      '--redis',
      redis.url,
      '--grpc',
      `127.0.0.1:${port}`,
      '--store',
      store,
      '--tokens',
      tokensFile,
      // Locks far longer than the test's bound on recovery: only the early takeover can meet it.
      '--lock-ms',
      String(LOCK_MS),
    ];
    const first = spawnAccord('coordinator-1', coordinatorArgs, dir);
    children.push(first);
    for (const site of ['cleveland', 'hungary'] as const)
      children.push(
        spawnHeartWorker(site, `127.0.0.1:${port}`, tokens[site], dir, ['--audit', path.join(dir, `${site}.jsonl`)]),
      );

    const rounds = 8;
    // Slow rounds down a little (many local epochs) so the kill lands mid-experiment.
    const cfg = parseExperiment({
      ...HEART_DISEASE.experiment,
      rounds,
      clients: { min: 2, fraction: 1 },
      // Async: both sites train at once, a version every update (FedBuff with K = 1).
      ...(mode === 'async' ? { mode, async: { concurrency: 2, bufferSize: 1 } } : {}),
      train: { epochs: 40, batchSize: 16, learningRate: 0.01 },
    });
    const id = await submitExperiment(client, redisOptions(redis.url), cfg);
    const records = new ExperimentRecords(client);
    await waitUntil(async () => ((await records.get(id))?.committed ?? 0) >= 2, 60_000, 'two committed rounds');
    first.process.kill('SIGKILL');
    await first.exited;
    const committedAtKill = (await records.get(id))!.committed;
    expect(committedAtKill).toBeLessThan(rounds);
    const before = (await records.rounds(id)).filter((r) => r.round <= committedAtKill);

    const killedAt = Date.now();
    const second = spawnAccord('coordinator-2', coordinatorArgs, dir);
    children.push(second);
    await waitUntil(
      async () => ((await records.get(id))?.committed ?? 0) > committedAtKill,
      LOCK_MS / 2 - 15_000,
      "the next round on the replacement, well before the dead coordinator's locks expire",
    );
    const next = (await records.rounds(id)).find((r) => r.round === committedAtKill + 1)!;
    const startedAt = loggedAt(second.logFile, 'coordinator started')!;
    // The measured figure (goal: under 5 s from the replacement's start); the assertion above is the
    // behaviour: a takeover by lock expiry could not happen before LOCK_MS / 2 after the kill.
    console.log(
      `restart (${mode}): next round committed ${next.committedAt - startedAt} ms after the replacement started, ${next.committedAt - killedAt} ms after the kill`,
    );
    expect(fs.readFileSync(second.logFile, 'utf8')).toContain('released the job lock of a dead coordinator');
    expect(fs.readFileSync(second.logFile, 'utf8')).toContain('adopted the tasks of a coordinator that is gone');
    await waitUntil(
      async () => ['completed', 'failed'].includes((await records.get(id))?.status ?? ''),
      90_000,
      'the experiment to finish',
    );
    const rec = (await records.get(id))!;
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('completed');
    const done = await records.rounds(id);
    expect(done.map((r) => r.round)).toEqual([...Array(rounds)].map((_, i) => i + 1));
    // Async: each version folded exactly K = 1 update; a task retried by the replacement was not buffered twice.
    if (mode === 'async') for (const r of done) expect(r.participants).toHaveLength(1);
    // Rounds committed before the kill were not redone: their records are unchanged.
    for (const b of before) expect(done.find((r) => r.round === b.round)!.committedAt).toBe(b.committedAt);
    const cps = new Checkpoints(new StorePaths(store));
    expect(cps.latest(id)).toBe(rounds);
    expect(fs.existsSync(path.join(store, id, 'model', 'model.json'))).toBe(true);
  });
});
