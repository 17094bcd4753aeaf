// The processes of a simulated federation: one coordinator and the workers hosting the sites, over loopback gRPC.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { keysOf } from '../coordinator/experiments/keys.js';
import { WorkerRegistry } from '../coordinator/sessions/registry.js';
import { AccordError } from '../shared/errors/index.js';
import { type RedisClient, type RedisTarget, targetFlags } from '../shared/redis-target.js';
import { attackOf, type ByzantineSites } from './byzantine.js';
import type { ShippedDataset } from './datasets.js';
import type { SimulationPlan } from './experiment.js';
import type { SimulateOptions } from './options.js';
import type { ProcessGroup } from './processes.js';
import { freePort } from './redis-server.js';
import { approvalsDir, identityFile, identityForPool, provisionSites, type SiteIdentities } from './site-identities.js';
import { type Stragglers, slowdownOf } from './stragglers.js';

export interface Federation {
  plan: SimulationPlan;
  opts: SimulateOptions;
  /** The run's output directory (tokens, pool files, audit logs, the coordinator's store). */
  out: string;
  /** The Redis the coordinator is given: a URL or a cluster. */
  redis: RedisTarget;
  byzantine: ByzantineSites | undefined;
  stragglers?: Stragglers | undefined;
  say: (line: string) => void;
}

interface Member {
  site: string;
  token: string;
}

const newToken = () => crypto.randomBytes(16).toString('hex');

/** `{ site: 'va', attack: undefined }` -> ['--site', 'va']: command-line flags in this order. */
function flags(values: Record<string, string | undefined>): string[] {
  return Object.entries(values).flatMap(([name, value]) => (value === undefined ? [] : [`--${name}`, value]));
}

/** Starts every process into `group`; a partitioned set returns once all its sites are connected. */
export async function startFederation(f: Federation, group: ProcessGroup, redis: RedisClient): Promise<void> {
  const ds = f.plan.dataset;
  if (ds.partitioned) {
    const members = f.plan.sites.map((site, index) => ({ site, index, token: newToken() }));
    const trust = provisionSites(f.out, f.plan.sites, f.opts.sitePolicy, false, f.plan.config.data);
    const coordinator = await startCoordinator(f, group, members, trust);
    await startPools(f, group, redis, coordinator, members, ds.partitioned, trust);
  } else {
    const members = Object.entries(ds.sites).map(([site, data]) => ({ site, data, token: newToken() }));
    const trust = provisionSites(f.out, Object.keys(ds.sites), f.opts.sitePolicy, true, f.plan.config.data);
    const coordinator = await startCoordinator(f, group, members, trust);
    for (const { site, token, data } of members) {
      const attack = attackOf(f.byzantine, site);
      const slowdown = slowdownOf(f.stragglers, site);
      const audit = path.join(f.out, 'audit', `${site}.jsonl`);
      // The token goes in the environment, never on the command line (where ps shows it).
      group.spawn(
        `worker-${site}`,
        [
          'worker',
          ...flags({
            coordinator,
            site,
            data,
            audit,
            backend: f.opts.backend,
            attack,
            policy: trust.policyFile,
            identity: identityFile(f.out, site),
            roster: trust.rosterFile,
            approvals: approvalsDir(f.out, site),
            slowdown: slowdown === undefined ? undefined : String(slowdown),
          }),
        ],
        { ACCORD_TOKEN: token },
      );
    }
    f.say(
      `started 1 coordinator and ${members.length} worker processes (${members.map((m) => m.site).join(', ')}); logs in ${group.logDir}`,
    );
  }
}

/** Starts the coordinator with the sites' tokens; returns its gRPC address. */
async function startCoordinator(
  f: Federation,
  group: ProcessGroup,
  members: Member[],
  trust: SiteIdentities,
): Promise<string> {
  const tokensFile = path.join(f.out, 'tokens.yaml');
  const tokens = Object.fromEntries(members.map((m) => [m.site, m.token]));
  fs.writeFileSync(tokensFile, YAML.stringify(tokens), { mode: 0o600 });
  const port = await freePort();
  const grpc = `127.0.0.1:${port}`;
  const store = path.join(f.out, 'store');
  // Heartbeats spaced out with the federation's size: 100,000 sessions at 2 s would be 50,000 messages a
  // second for the coordinator to read and the registry to record.
  const heartbeatMs = String(2000 * Math.max(1, Math.ceil(members.length / 10_000)));
  group.spawn(
    'coordinator',
    [
      'coordinator',
      ...targetFlags(f.redis),
      ...flags({
        grpc,
        store,
        tokens: tokensFile,
        roster: trust.rosterFile,
        instance: `sim-${port}`,
        backend: f.opts.backend,
        'heartbeat-ms': heartbeatMs,
      }),
    ],
    {},
    // A coordinator that dies (kill -9) is started again: the run goes on from the last committed round.
    true,
  );
  // Workers start once it listens: sites dialling a coordinator that is still loading its tokens would
  // only spin through their reconnect backoff (100,000 of them at once).
  await waitListening(port, group);
  return grpc;
}

async function waitListening(port: number, group: ProcessGroup, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  while (!(await accepts())) {
    group.assertRunning();
    if (Date.now() > until)
      throw new AccordError('TIMEOUT', `the coordinator did not listen on port ${port} within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** Many logical sites over a few processes: each site keeps its own session, token and partition. */
async function startPools(
  f: Federation,
  group: ProcessGroup,
  redis: RedisClient,
  coordinator: string,
  members: (Member & { index: number })[],
  part: NonNullable<ShippedDataset['partitioned']>,
  trust: SiteIdentities,
): Promise<void> {
  const { opts, plan } = f;
  const nClients = members.length;
  const processes = Math.max(1, Math.min(opts.pool ?? 4, nClients));
  const scheme = part.generated ? 'synthetic' : (opts.partition?.scheme ?? 'iid');
  for (let p = 0; p < processes; p++) {
    const poolFile = path.join(f.out, `pool-${p}.json`);
    // JSON.stringify leaves out the undefined alpha and attack.
    const sites = members
      .filter((m) => m.index % processes === p)
      .map(({ site, token, index }) => ({
        site,
        token,
        partition: {
          scheme,
          clients: nClients,
          seed: plan.config.seed,
          index,
          alpha: opts.partition?.alpha,
          beta: opts.partition?.beta,
          labels: opts.partition?.labels,
        },
        attack: attackOf(f.byzantine, site),
        slowdown: slowdownOf(f.stragglers, site),
        identity: identityForPool(trust.identities.get(site)!),
      }));
    const pool = {
      coordinator,
      data: part.dir,
      backend: opts.backend,
      policy: trust.policyFile,
      roster: trust.rosterFile,
      ...(opts.stubTraining ? { stubTraining: true } : {}),
      sites,
    };
    fs.writeFileSync(poolFile, JSON.stringify(pool), {
      mode: 0o600,
    });
    group.spawn(`pool-${p}`, ['worker-pool', poolFile]);
  }
  f.say(
    `started 1 coordinator and ${processes} worker processes hosting ${nClients} sites (${scheme} partition of ${plan.dataset.name}); logs in ${group.logDir}`,
  );
  // Sample from the whole federation: wait until every site is live in the registry. Count entries first
  // (reading 100,000 entries every poll would slow the registration it waits for); then check that they
  // are live (a shared --redis may hold stale entries from another run).
  const waitMs = Math.max(120_000, 5 * nClients);
  const until = Date.now() + waitMs;
  const registry = new WorkerRegistry(redis, 2000);
  const registered = async () =>
    (await redis.hlen(keysOf(redis).workers())) < nClients ? 0 : (await registry.live()).length;
  while ((await registered()) < nClients) {
    group.assertRunning();
    if (Date.now() > until)
      throw new AccordError(
        'TIMEOUT',
        `only ${await registered()} of ${nClients} sites connected within ${Math.round(waitMs / 1000)} s`,
      );
    await sleep(nClients > 10_000 ? 1000 : 200);
  }
}
