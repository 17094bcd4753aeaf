// Recovery, as an operator meets it, with real processes (bench/recovery-lab.ts): the time from a
// failure to the next committed round. Goal: under 5000 ms in every case.
// - phases: the only coordinator is SIGKILLed in each phase of a round (statistics, training,
//   aggregating, evaluating) and started again at once;
// - failover: of two coordinators, the one holding the sites' sessions is SIGKILLed mid-round and not
//   restarted (the sites dial the other);
// - redis: redis-server (append-only file) is SIGKILLed mid-round and started again after `redisDownMs`;
//   timed from its return.
// Each figure is the median of `runs`; a round without a failure is measured beside them for scale.
import fs from 'node:fs';
import { median } from './median.js';
import { RecoveryLab } from './recovery-lab.js';

/** The phases a kill lands in, as the experiment record names them. */
export const RECOVERY_PHASES = ['statistics', 'training', 'aggregating', 'evaluating'] as const;
export type RecoveryPhase = (typeof RECOVERY_PHASES)[number];

export interface RecoveryResult {
  /** Median kill -> next committed round, ms, per phase (the coordinator restarted at once). */
  medianMs: Record<RecoveryPhase, number>;
  /** Median kill -> next committed round, ms, with a second coordinator running (no restart). */
  failoverMs: number;
  /** Median Redis back -> next committed round, ms, after Redis was down `redisDownMs`. */
  redisMs: number;
  redisDownMs: number;
  /** Every measured run, ms. */
  runsMs: Record<RecoveryPhase | 'failover' | 'redis', number[]>;
  /** Median restart -> "coordinator started" (listening), ms. */
  listenMs: number;
  /** A round's duration without a failure (commit -> commit), ms: the floor a recovery adds to. */
  roundMs: number;
}

const say = (line: string) => process.stderr.write(`  recovery ${line}\n`);

/** Log time of the first "coordinator started" line of `file`. */
function startedAt(file: string): number | undefined {
  for (const line of fs.readFileSync(file, 'utf8').split('\n'))
    if (line.includes('"coordinator started"')) return (JSON.parse(line) as { time: number }).time;
  return undefined;
}

/** A failure that landed after the round had committed measures nothing: that run is done again. */
async function again(lab: RecoveryLab, id: string, what: string): Promise<void> {
  say(`${what}: the failure landed after the round committed; again`);
  await lab.cancel(id);
}

async function phases(runs: number, out: RecoveryResult['runsMs'], listen: number[], rounds: number[]) {
  const lab = new RecoveryLab();
  try {
    await lab.start(1);
    for (const phase of RECOVERY_PHASES)
      for (let i = 0; i < runs; ) {
        // Statistics run once, before round 1: each of those kills needs a new experiment.
        const id = await lab.submit();
        if (phase !== 'statistics') await lab.nextCommit(id, 0);
        if (rounds.length === 0 && phase === 'training') {
          const c = await lab.committed(id);
          const t = await lab.nextCommit(id, c);
          rounds.push((await lab.nextCommit(id, c + 1)) - t);
        }
        const before = await lab.inPhase(id, phase);
        const killedAt = await lab.killCoordinator();
        const missed = (await lab.committed(id)) > before;
        const restarted = lab.startCoordinator();
        if (missed) {
          await again(lab, id, phase);
          continue;
        }
        out[phase].push((await lab.nextCommit(id, before)) - killedAt);
        const up = startedAt(restarted.logFile);
        if (up !== undefined) listen.push(up - killedAt);
        say(`${phase} #${++i}: ${out[phase].at(-1)} ms`);
        await lab.cancel(id);
      }
  } finally {
    await lab.stop();
  }
}

async function failover(runs: number, out: number[]) {
  const lab = new RecoveryLab();
  try {
    await lab.start(2);
    for (let i = 0; i < runs; ) {
      const id = await lab.submit();
      await lab.nextCommit(id, 0);
      const before = await lab.inPhase(id, 'training');
      const port = await lab.portHoldingSites();
      const killedAt = await lab.killCoordinator(port);
      const missed = (await lab.committed(id)) > before;
      if (!missed) out.push((await lab.nextCommit(id, before)) - killedAt);
      lab.startCoordinator(port); // two again for the next run
      if (missed) await again(lab, id, 'failover');
      else {
        say(`failover #${++i}: ${out.at(-1)} ms`);
        await lab.cancel(id);
      }
    }
  } finally {
    await lab.stop();
  }
}

async function redisOutage(runs: number, downMs: number, out: number[]) {
  const lab = new RecoveryLab();
  try {
    await lab.start(1);
    for (let i = 0; i < runs; ) {
      const id = await lab.submit();
      await lab.nextCommit(id, 0);
      const before = await lab.inPhase(id, 'training');
      await lab.killRedis();
      await new Promise((r) => setTimeout(r, downMs));
      await lab.startRedis();
      const backAt = Date.now();
      // The coordinator needs a reconnect (100 ms or more) to commit anything: a count above `before`
      // read at once means the round had committed before Redis was killed.
      if ((await lab.committed(id)) > before) {
        await again(lab, id, 'redis');
        continue;
      }
      out.push((await lab.nextCommit(id, before)) - backAt);
      say(`redis down ${downMs / 1000} s #${++i}: ${out.at(-1)} ms after it is back`);
      await lab.cancel(id);
    }
  } finally {
    await lab.stop();
  }
}

export async function benchRecovery(runs = 3, redisDownMs = 20_000): Promise<RecoveryResult> {
  const runsMs: RecoveryResult['runsMs'] = {
    statistics: [],
    training: [],
    aggregating: [],
    evaluating: [],
    failover: [],
    redis: [],
  };
  const listen: number[] = [];
  const rounds: number[] = [];
  await phases(runs, runsMs, listen, rounds);
  await failover(runs, runsMs.failover);
  await redisOutage(runs, redisDownMs, runsMs.redis);
  const medianMs = Object.fromEntries(RECOVERY_PHASES.map((p) => [p, median(runsMs[p])])) as Record<
    RecoveryPhase,
    number
  >;
  return {
    medianMs,
    failoverMs: median(runsMs.failover),
    redisMs: median(runsMs.redis),
    redisDownMs,
    runsMs,
    listenMs: median(listen),
    roundMs: median(rounds),
  };
}

// `npm run bench:recovery`: this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const r = await benchRecovery(env('ACCORD_BENCH_RUNS', 3), env('ACCORD_BENCH_REDIS_DOWN_MS', 20_000));
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
