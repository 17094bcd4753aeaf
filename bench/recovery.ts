// Recovery after a coordinator is SIGKILLed and restarted at once, per phase of a round (statistics,
// training, aggregating, evaluating): the time from the kill to the next committed round, median of
// `runs` kills each. Real processes as an operator runs them: the compiled `accord coordinator`, four
// heart-disease `accord worker`s and a private redis-server. Goal: under 5000 ms in each phase.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { keysOf } from '../coordinator/experiments/keys.js';
import { ExperimentRecords } from '../coordinator/experiments/records.js';
import { submitExperiment } from '../coordinator/queues/submit.js';
import { parseExperiment } from '../shared/config/load.js';
import { PACKAGE_ROOT } from '../shared/package-root.js';
import { redisOptions } from '../shared/redis-url.js';
import { HEART_DISEASE } from '../simulation/datasets.js';
import { type Child, spawnAccord } from '../simulation/processes.js';
import { freePort, startPrivateRedis } from '../simulation/redis-server.js';
import { median } from './median.js';

/** The phases a kill lands in, as the experiment record names them. */
export const RECOVERY_PHASES = ['statistics', 'training', 'aggregating', 'evaluating'] as const;
export type RecoveryPhase = (typeof RECOVERY_PHASES)[number];

export interface RecoveryResult {
  /** Median kill -> next committed round, ms, per phase. */
  medianMs: Record<RecoveryPhase, number>;
  /** Every measured kill, ms, per phase. */
  runsMs: Record<RecoveryPhase, number[]>;
  /** Median spawn -> "coordinator started" of the restarted coordinators, ms. */
  listenMs: number;
  /** Median of a round's duration without a kill (commit -> commit), ms: the floor a recovery adds to. */
  roundMs: number;
}

const SITES = Object.keys(HEART_DISEASE.sites) as (keyof typeof HEART_DISEASE.sites)[];
const POLL_MS = 2;

/** `accord` from dist/ (what an installed package runs), so start-up is measured as users see it. */
function spawnDist(name: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Child {
  return spawnAccord(name, args, dir, env, PACKAGE_ROOT, [path.join(PACKAGE_ROOT, 'dist', 'bin', 'accord.js')]);
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`recovery bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Log time of the first "coordinator started" line of `file`. */
function startedAt(file: string): number | undefined {
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('"coordinator started"')) continue;
    return (JSON.parse(line) as { time: number }).time;
  }
  return undefined;
}

export async function benchRecovery(runs = 3): Promise<RecoveryResult> {
  const bin = path.join(PACKAGE_ROOT, 'dist', 'bin', 'accord.js');
  if (!fs.existsSync(bin)) throw new Error('recovery bench: run `npm run build` first (it measures dist/)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bench-recovery-'));
  const redis = await startPrivateRedis();
  const client = new Redis(redisOptions(redis.url));
  const records = new ExperimentRecords(client);
  const tokens = Object.fromEntries(SITES.map((s) => [s, `token-${s}-bench`]));
  const tokensFile = path.join(dir, 'tokens.yaml');
  fs.writeFileSync(tokensFile, YAML.stringify(tokens));
  const port = await freePort();
  const coordinatorArgs = [
    'coordinator',
    '--redis',
    redis.url,
    '--grpc',
    `127.0.0.1:${port}`,
    '--store',
    path.join(dir, 'store'),
    '--tokens',
    tokensFile,
  ];
  const children: Child[] = [];
  let generation = 0;
  const startCoordinator = () => {
    const c = spawnDist(`coordinator-${++generation}`, coordinatorArgs, dir);
    children.push(c);
    return c;
  };
  const runsMs = Object.fromEntries(RECOVERY_PHASES.map((p) => [p, [] as number[]])) as Record<RecoveryPhase, number[]>;
  const listen: number[] = [];
  const rounds: number[] = [];
  try {
    let coordinator = startCoordinator();
    for (const site of SITES)
      children.push(
        spawnDist(
          `worker-${site}`,
          [
            'worker',
            '--coordinator',
            `127.0.0.1:${port}`,
            '--site',
            site,
            '--data',
            HEART_DISEASE.sites[site],
            '--audit',
            path.join(dir, `audit-${site}.jsonl`),
          ],
          dir,
          { ACCORD_TOKEN: tokens[site] },
        ),
      );
    const submit = () =>
      submitExperiment(
        client,
        redisOptions(redis.url),
        parseExperiment({
          ...HEART_DISEASE.experiment,
          rounds: 10_000,
          clients: { min: SITES.length, fraction: 1 },
          eval: { every: 1 },
          train: { epochs: 1, batchSize: 32, learningRate: 0.01 },
        }),
      );
    const committed = async (id: string) => (await records.get(id))?.committed ?? 0;
    /** Kills the coordinator once the experiment is in `phase`, restarts it, and times the next commit. */
    const killIn = async (id: string, phase: RecoveryPhase): Promise<number> => {
      const before = await until(`phase ${phase}`, async () => {
        const [p, c] = await client.hmget(keysOf(client).experiment(id), 'phase', 'committed');
        return p === phase ? Number(c) : undefined;
      });
      coordinator.process.kill('SIGKILL');
      const t0 = Date.now();
      await coordinator.exited;
      coordinator = startCoordinator();
      const started = coordinator;
      await until('the next committed round', async () => ((await committed(id)) > before ? true : undefined), 120_000);
      const ms = Date.now() - t0;
      if (process.env['ACCORD_BENCH_KEEP'])
        fs.appendFileSync(path.join(dir, 'kills.log'), `${started.name} ${phase} killed at ${t0}\n`);
      const up = await until('"coordinator started"', async () => startedAt(started.logFile), 30_000);
      listen.push(up - t0);
      return ms;
    };
    for (const phase of RECOVERY_PHASES) {
      for (let i = 0; i < runs; i++) {
        // Statistics run once, before round 1: each of those kills needs a new experiment.
        const id = await submit();
        if (phase !== 'statistics')
          await until('a committed round', async () => ((await committed(id)) >= 1 ? true : undefined));
        if (phase === 'training' && rounds.length === 0) {
          // A round without a kill, for scale.
          const c = await committed(id);
          await until('commit', async () => ((await committed(id)) > c ? true : undefined));
          const t = Date.now();
          await until('commit', async () => ((await committed(id)) > c + 1 ? true : undefined));
          rounds.push(Date.now() - t);
        }
        runsMs[phase].push(await killIn(id, phase));
        process.stderr.write(`  recovery ${phase} #${i + 1}: ${runsMs[phase].at(-1)} ms\n`);
        await records.cancel(id, 'bench: next kill').catch(() => undefined);
      }
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    client.disconnect();
    await redis.stop();
    if (process.env['ACCORD_BENCH_KEEP']) process.stderr.write(`recovery bench: logs kept in ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  const medianMs = Object.fromEntries(RECOVERY_PHASES.map((p) => [p, median(runsMs[p])])) as Record<
    RecoveryPhase,
    number
  >;
  return { medianMs, runsMs, listenMs: median(listen), roundMs: median(rounds) };
}

// `npx tsx bench/recovery.ts`: this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchRecovery(Number(process.env['ACCORD_BENCH_RUNS'] ?? 3));
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
