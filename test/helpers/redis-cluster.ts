// A private Redis Cluster for tests: masters and replicas from the redis-server binary on free loopback
// ports, joined with `redis-cli --cluster create`, ready once every node reports cluster_state:ok and
// every replica is in sync with its master.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { type ClusterTarget, clusterTarget } from '../../shared/redis-target.js';
import { freePort, oneShotClient, redisServerBinary, spawnRedisServer } from '../../simulation/redis-server.js';

export interface ClusterNode {
  port: number;
  process: ChildProcess;
  /** Set once the process has exited. */
  exited: boolean;
}

export interface PrivateCluster {
  nodes: ClusterNode[];
  /** "127.0.0.1:P1,127.0.0.1:P2,...": every node, for --redis-cluster. */
  seeds: string;
  target: ClusterTarget;
  /** The port of the master that serves `key`'s slot now, as a live node sees it. */
  masterOf(key: string): Promise<number>;
  /** SIGKILL the node on `port`. */
  kill(port: number): Promise<void>;
  /** Resolves once a live node reports the cluster ok with `key`'s slot on a master other than `port`. */
  waitFailover(key: string, port: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** A short-lived client of one node (no reconnects: a dead node fails fast). */
async function onNode<T>(port: number, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = oneShotClient(port, 2000);
  try {
    await r.connect();
    return await f(r);
  } finally {
    r.disconnect();
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`Redis Cluster: ${what} within ${timeoutMs} ms${last ? ` (${last})` : ''}`);
    await sleep(100);
  }
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** The master port serving `slot`, from CLUSTER SLOTS. */
function slotOwner(slots: [number, number, [string, number, ...unknown[]], ...unknown[]][], slot: number) {
  const range = slots.find(([from, to]) => slot >= from && slot <= to);
  return range?.[2][1];
}

export async function startPrivateCluster(
  opts: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number } = {},
): Promise<PrivateCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 1;
  const bin = redisServerBinary();
  // redis-cli next to a redis-server given by path (REDIS_SERVER), else the one on PATH.
  const beside = path.join(path.dirname(bin), 'redis-cli');
  const cli = process.env['REDIS_CLI'] ?? (bin.includes(path.sep) && fs.existsSync(beside) ? beside : 'redis-cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cluster-'));
  const used = new Set<number>();
  const port = async () => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.exited) return resolve();
            n.process.once('exit', () => resolve());
            n.process.kill('SIGKILL');
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const p = await port();
      // The cluster bus port is given too: the default (port + 10000) may be taken.
      const bus = await port();
      const child = spawnRedisServer(bin, p, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${p}.conf`),
        '--cluster-port',
        String(bus),
        '--cluster-node-timeout',
        String(opts.nodeTimeoutMs ?? 2000),
        '--dir',
        dir,
      ]);
      const node: ClusterNode = { port: p, process: child, exited: false };
      child.once('exit', () => (node.exited = true));
      nodes.push(node);
    }
    for (const n of nodes)
      await until(`node ${n.port} did not answer`, 10_000, async () => {
        if (n.exited) throw new Error(`redis-server on port ${n.port} exited at start`);
        return (await onNode(n.port, (r) => r.ping())) === 'PONG' ? true : undefined;
      });
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    const created = spawn(
      cli,
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    created.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    created.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      created.once('error', reject);
      created.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}:\n${output}`);
    // Every node agrees the cluster is whole, and every replica has synced with its master.
    await until('the cluster did not become ok', 30_000, async () => {
      for (const n of nodes) {
        const info = await onNode(n.port, (r) => r.cluster('INFO'));
        if (infoField(info, 'cluster_state') !== 'ok') return undefined;
        if (infoField(info, 'cluster_slots_ok') !== '16384') return undefined;
        if (infoField(info, 'cluster_known_nodes') !== String(nodes.length)) return undefined;
        const repl = await onNode(n.port, (r) => r.info('replication'));
        if (infoField(repl, 'role') === 'slave' && infoField(repl, 'master_link_status') !== 'up') return undefined;
      }
      return true;
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const live = () => nodes.filter((n) => !n.exited);
  const masterOf = async (key: string): Promise<number> => {
    for (const n of live()) {
      try {
        return await onNode(n.port, async (r) => {
          const slot = Number(await r.cluster('KEYSLOT', key));
          const owner = slotOwner((await r.cluster('SLOTS')) as never, slot);
          if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
          return owner;
        });
      } catch {
        // ask the next node
      }
    }
    throw new Error('no live node answered');
  };
  const seeds = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  return {
    nodes,
    seeds,
    target: clusterTarget(seeds),
    masterOf,
    async kill(p) {
      const n = nodes.find((x) => x.port === p);
      if (!n || n.exited) return;
      const gone = new Promise<void>((resolve) => n.process.once('exit', () => resolve()));
      n.process.kill('SIGKILL');
      await gone;
    },
    waitFailover: (key, p, timeoutMs = 60_000) =>
      until(`no failover from port ${p}`, timeoutMs, async () => {
        const n = live()[0];
        if (!n) throw new Error('no live node');
        const info = await onNode(n.port, (r) => r.cluster('INFO'));
        if (infoField(info, 'cluster_state') !== 'ok') return undefined;
        const owner = await masterOf(key);
        return owner !== p ? owner : undefined;
      }),
    stop,
  };
}
