// The federation the recovery benchmarks break: a redis-server (with an append-only file, so it can be
// killed and started again with its data), coordinators from dist/ (what an installed package runs, so
// start-up is measured as users see it) and four heart-disease workers dialing all of them.
import { type ChildProcess, spawn } from 'node:child_process';
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
import { freePort, oneShotClient, redisServerBinary } from '../simulation/redis-server.js';

const SITES = Object.keys(HEART_DISEASE.sites) as (keyof typeof HEART_DISEASE.sites)[];
const POLL_MS = 2;
const DIST_BIN = path.join(PACKAGE_ROOT, 'dist', 'bin', 'accord.js');

/** Polls `f` every few ms until it gives a value; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`recovery bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export class RecoveryLab {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-bench-recovery-'));
  private redisProcess?: ChildProcess;
  private redisPort = 0;
  private client?: Redis;
  private records?: ExperimentRecords;
  private readonly children: Child[] = [];
  private readonly ports: number[] = [];
  private generation = 0;
  /** The running coordinator on each port. */
  readonly coordinators = new Map<number, Child>();

  /** Starts Redis, `coordinators` coordinators and the four workers (dialing every coordinator). */
  async start(coordinators = 1): Promise<void> {
    if (!fs.existsSync(DIST_BIN)) throw new Error('recovery bench: run `npm run build` first (it measures dist/)');
    this.redisPort = await freePort();
    await this.startRedis();
    this.client = new Redis(redisOptions(this.url));
    this.client.on('error', () => undefined);
    this.records = new ExperimentRecords(this.client);
    const tokens = Object.fromEntries(SITES.map((s) => [s, `token-${s}-bench`]));
    fs.writeFileSync(path.join(this.dir, 'tokens.yaml'), YAML.stringify(tokens));
    for (let i = 0; i < coordinators; i++) {
      const port = await freePort();
      this.ports.push(port);
      this.startCoordinator(port);
    }
    for (const site of SITES) {
      const args = ['worker', '--coordinator', this.ports.map((p) => `127.0.0.1:${p}`).join(','), '--site', site];
      args.push('--data', HEART_DISEASE.sites[site], '--audit', path.join(this.dir, `audit-${site}.jsonl`));
      this.children.push(this.spawn(`worker-${site}`, args, { ACCORD_TOKEN: tokens[site] }));
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  /** redis-server with an append-only file in the lab's folder: killed and started again, it keeps its data. */
  async startRedis(): Promise<void> {
    const args = ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes'];
    args.push('--appendfsync', 'always', '--dir', this.dir, '--daemonize', 'no', '--loglevel', 'warning');
    this.redisProcess = spawn(redisServerBinary(), args, { stdio: 'ignore' });
    await until('redis-server', async () => {
      const probe = oneShotClient(this.redisPort, 200);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    });
  }

  async killRedis(): Promise<void> {
    const p = this.redisProcess;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  private spawn(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
    return spawnAccord(name, args, this.dir, env, PACKAGE_ROOT, [DIST_BIN]);
  }

  /** Starts a coordinator on `port` (a new process: each restart has its own default instance name). */
  startCoordinator(port = this.ports[0]!): Child {
    const args = ['coordinator', '--redis', this.url, '--grpc', `127.0.0.1:${port}`];
    args.push('--store', path.join(this.dir, 'store'), '--tokens', path.join(this.dir, 'tokens.yaml'));
    const c = this.spawn(`coordinator-${++this.generation}`, args);
    this.children.push(c);
    this.coordinators.set(port, c);
    return c;
  }

  /** SIGKILLs the coordinator on `port`; resolves once it is gone, with the time of the kill. */
  async killCoordinator(port = this.ports[0]!): Promise<number> {
    const c = this.coordinators.get(port)!;
    c.process.kill('SIGKILL');
    const at = Date.now();
    await c.exited;
    return at;
  }

  /** The port of the coordinator the sites' sessions are on (from the registry). */
  async portHoldingSites(): Promise<number> {
    for (const [port, c] of this.coordinators) {
      const entries = await this.client!.hgetall(keysOf(this.client!).workers());
      if (Object.values(entries).some((e) => e.includes(`-${c.process.pid}"`))) return port;
    }
    return this.ports[0]!;
  }

  /** Submits a long heart-disease experiment (one epoch a round, evaluated every round). */
  submit(): Promise<string> {
    return submitExperiment(
      this.client!,
      redisOptions(this.url),
      parseExperiment({
        ...HEART_DISEASE.experiment,
        rounds: 10_000,
        clients: { min: SITES.length, fraction: 1 },
        eval: { every: 1 },
        train: { epochs: 1, batchSize: 32, learningRate: 0.01 },
      }),
    );
  }

  async cancel(id: string): Promise<void> {
    await this.records!.cancel(id, 'bench: next case').catch(() => undefined);
  }

  /** Committed rounds of `id` (0 while Redis is out of reach). */
  async committed(id: string): Promise<number> {
    try {
      return Number(await this.client!.hget(keysOf(this.client!).experiment(id), 'committed')) || 0;
    } catch {
      return 0;
    }
  }

  /** Waits for `id` to be in `phase`; its committed rounds then. */
  inPhase(id: string, phase: string): Promise<number> {
    return until(`phase ${phase}`, async () => {
      const [p, c] = await this.client!.hmget(keysOf(this.client!).experiment(id), 'phase', 'committed');
      return p === phase ? Number(c) : undefined;
    });
  }

  /** Waits for `id` to commit a round after `before`; the time it did. */
  async nextCommit(id: string, before: number): Promise<number> {
    await until('the next committed round', async () => ((await this.committed(id)) > before ? true : undefined));
    return Date.now();
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()));
    this.client?.disconnect();
    await this.killRedis();
    if (process.env['ACCORD_BENCH_KEEP']) process.stderr.write(`recovery bench: logs kept in ${this.dir}\n`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
