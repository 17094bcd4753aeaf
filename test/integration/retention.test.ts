// Five `accord simulate` runs on one Redis and one store, as an operator's lab would see them: two plain
// runs, one with secure aggregation, one cancelled mid-round with `accord cancel`, and one whose
// coordinator is SIGKILLed while it aggregates (simulate starts it again; the run completes). After them
// Redis holds only what the retention setting keeps (each experiment's record, rounds, events and trust
// records, from which its report is built, and the queues' own bookkeeping): no job, no queue or entry
// of a coordinator process. The store keeps checkpoints, models and reports: no spool, secure-
// aggregation state, candidate or temporary file of an ended experiment.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../coordinator/experiments/keys.js';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { waitUntil } from '../helpers/wait-log.js';

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The pids of processes whose command line holds every one of `parts`. */
function pidsWith(...parts: string[]): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((p) => cmd.includes(p))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('retention', () => {
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  const runs: Run[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-retention-'));
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGTERM');
    await Promise.all(runs.map((r) => r.exited));
    client?.disconnect();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('after five simulations (one cancelled, one coordinator killed while aggregating) Redis and the store keep only what reports need', async () => {
    redis = await startPrivateRedis();
    client = new Redis(redisOptions(redis.url));
    const records = new ExperimentRecords(client);
    const out = path.join(dir, 'lab');
    const store = path.join(out, 'store');
    const simulate = (rounds: number, extra: string[] = []): Run => {
      let text = '';
      const child = spawn(
        process.execPath,
        [
          ...ACCORD_ARGV,
          'simulate',
          '--dataset',
          'heart-disease',
          '--redis',
          redis!.url,
          '--out',
          out,
          '--rounds',
          String(rounds),
          ...extra,
        ],
        { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const run = { child, output: () => text, exited };
      runs.push(run);
      return run;
    };
    const newest = async (count: number) => {
      await waitUntil(async () => (await records.ids()).length >= count, 120_000, `experiment ${count}`);
      return (await records.ids()).at(-1)!;
    };

    // 1, 2: plain, and with secure aggregation (its state files must go too).
    for (const extra of [[], ['--secagg', 'secaggplus', '--corrupt-fraction', '0']]) {
      const r = simulate(2, extra);
      expect(await r.exited, r.output()).toBe(0);
    }

    // 3: cancelled mid-round from the command line. simulate waits for the coordinator to close it.
    const cancelled = simulate(200, ['--epochs', '5']);
    const cancelledId = await newest(3);
    await waitUntil(
      async () => {
        const rec = await records.get(cancelledId);
        return (rec?.committed ?? 0) >= 1 && rec?.phase === 'training';
      },
      120_000,
      'a round in training',
      20,
    );
    const cancel = spawnSync(process.execPath, [...ACCORD_ARGV, 'cancel', cancelledId, '--redis', redis.url], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(await cancelled.exited).not.toBe(0);
    expect(cancelled.output()).toMatch(
      /experiment cancelled: cancelled from the command line; its report and last committed model are in/,
    );
    expect(fs.existsSync(path.join(out, 'report.json'))).toBe(true);

    // 4: the coordinator is killed (SIGKILL) while it aggregates; simulate starts it again.
    const killed = simulate(40);
    const killedId = await newest(4);
    const phaseKey = keys.experiment(killedId);
    await waitUntil(async () => (await client!.hget(phaseKey, 'phase')) === 'aggregating', 240_000, 'aggregating', 2);
    const [pid, ...others] = pidsWith('coordinator', '--store', store);
    expect(pid, 'the simulation coordinator process').toBeDefined();
    expect(others).toEqual([]);
    process.kill(pid!, 'SIGKILL');
    expect(await killed.exited, killed.output()).toBe(0);
    expect(killed.output()).toMatch(/coordinator killed by SIGKILL; started again/);

    // 5: plain.
    const last = simulate(2);
    expect(await last.exited, last.output()).toBe(0);

    const ids = await records.ids();
    expect(ids).toHaveLength(5);
    const statuses = await Promise.all(ids.map(async (id) => (await records.get(id))!.status));
    expect(statuses).toEqual(['completed', 'completed', 'cancelled', 'completed', 'completed']);
    expect((await records.get(killedId))!.committed).toBe(40);

    // Redis: each experiment's own keys and the queues' bookkeeping; nothing else.
    const allowed = [
      /^accord:experiments$/,
      new RegExp(`^accord:exp:(${ids.join('|')})(:[a-z-]+)?$`),
      /^bull:(experiments|rounds):(meta|id|events|stalled-check)$/,
    ];
    const left = (await client.keys('*')).sort();
    expect(left.filter((k) => !allowed.some((re) => re.test(k)))).toEqual([]);
    for (const id of ids) expect(left.filter((k) => k.startsWith(`accord:exp:${id}`)).length).toBeLessThanOrEqual(10);

    // The store: checkpoints, models and reports of each experiment; nothing of rounds in flight.
    const files = (fs.readdirSync(store, { recursive: true }) as string[]).map((f) => f.split(path.sep));
    expect(files.filter((f) => f.some((p) => ['spool', 'secagg', 'candidates'].includes(p)))).toEqual([]);
    expect(files.filter((f) => f.at(-1)!.endsWith('.tmp'))).toEqual([]);
    for (const id of ids)
      for (const f of ['report.json', 'report.html', 'report.md', 'model/model.json'])
        expect(fs.existsSync(path.join(store, id, f)), `${id}/${f}`).toBe(true);
  }, 600_000);
});
