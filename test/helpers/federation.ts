// Test harness: a private redis-server, an in-process coordinator on a loopback port, and helpers to
// submit experiments and wait for them. Everything is real: Redis, BullMQ, gRPC.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { type ExperimentRecord, ExperimentRecords } from '../../coordinator/experiments/records.js';
import { submitExperiment } from '../../coordinator/queues/submit.js';
import { Coordinator } from '../../coordinator/server.js';
import { TokenBook } from '../../coordinator/sessions/auth.js';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig, ExperimentInput } from '../../shared/config/schema.js';
import type { ColumnSums } from '../../shared/data/column-sums.js';
import { createLogger, type Logger } from '../../shared/log/logger.js';
import { redisOptions } from '../../shared/redis-url.js';
import { generateIdentity, type Identity, saveIdentity } from '../../shared/trust/identity.js';
import { Roster } from '../../shared/trust/roster.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { AccordWorker } from '../../worker/client.js';
import { type SitePolicy, sitePolicySchema } from '../../worker/policy.js';
import { siteDataView, splitKeyOf } from '../../worker/site-data.js';
import { releasedColumnSums } from '../../worker/site-statistics.js';
import { Rogue, type RogueOptions } from './rogue.js';

export interface TestFederation {
  redis: PrivateRedis;
  client: Redis;
  coordinator: Coordinator;
  address: string;
  store: string;
  records: ExperimentRecords;
  /** Each site's identity key (made here, as each site would make its own) and the roster of them all. */
  identities: Record<string, Identity>;
  roster: Roster;
  /** What a site's worker needs to verify peers and approve experiments (its policy approves them). */
  trustOf(site: string): { identity: Identity; roster: Roster; policy: SitePolicy };
  /** The same for a worker process: writes the site's key, the roster and a policy under `dir`; returns the flags. */
  trustFlags(site: string, dir: string, policy?: string): string[];
  submit(input: Partial<ExperimentInput>): Promise<string>;
  waitFor(id: string, status?: ExperimentRecord['status'][], timeoutMs?: number): Promise<ExperimentRecord>;
  stop(): Promise<void>;
}

/**
 * The policy of a test site: approves by policy, treats chol 0 as missing as the heart-disease config
 * does, and keys its own split with a fixed secret, so runs compare on the same rows.
 */
export function testPolicy(site: string): Record<string, unknown> {
  return { autoApprove: true, data: { zeroMeansMissing: ['chol'], splitKey: `accord-test-split-key-${site}` } };
}

/** The column sums test site `site` releases of `file` under `data` (its policy's split and cells). */
export function releasedBy(site: string, file: string, data: CsvDataConfig): ColumnSums {
  const rules = sitePolicySchema.parse(testPolicy(site)).data;
  const view = siteDataView(data, rules, splitKeyOf(rules, undefined));
  return releasedColumnSums(file, view.data as CsvDataConfig, view.split).sums;
}

export async function startFederation(
  tokens: Record<string, string>,
  opts: { heartbeatMs?: number; log?: Logger } = {},
): Promise<TestFederation> {
  const identities = Object.fromEntries(Object.keys(tokens).map((s) => [s, generateIdentity()]));
  const roster = Roster.fromKeys(Object.fromEntries(Object.entries(identities).map(([s, id]) => [s, id.publicKey])));
  const redis = await startPrivateRedis();
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-store-'));
  const coordinator = new Coordinator({
    redisUrl: redis.url,
    grpcAddress: '127.0.0.1:0',
    storeDir: store,
    tokens: TokenBook.fromMap(tokens),
    instance: 'test',
    heartbeatMs: opts.heartbeatMs ?? 1000,
    selectPollMs: 100,
    httpAddress: '127.0.0.1:0',
    roster,
    log: opts.log ?? createLogger('coordinator', process.env['ACCORD_LOG_LEVEL'] ?? 'silent'),
  });
  await coordinator.start();
  const client = new Redis(redisOptions(redis.url));
  const records = new ExperimentRecords(client);
  return {
    redis,
    client,
    coordinator,
    address: `127.0.0.1:${coordinator.port}`,
    store,
    records,
    identities,
    roster,
    trustOf(site) {
      const identity = identities[site];
      if (!identity) throw new Error(`no identity for ${site}: give it a token in startFederation`);
      return { identity, roster, policy: sitePolicySchema.parse(testPolicy(site)) };
    },
    trustFlags(site, dir, policy = YAML.stringify(testPolicy(site))) {
      const identity = identities[site];
      if (!identity) throw new Error(`no identity for ${site}: give it a token in startFederation`);
      const files = {
        identity: path.join(dir, `${site}-identity.key`),
        roster: path.join(dir, 'roster.yaml'),
        policy: path.join(dir, `${site}-policy.yaml`),
      };
      saveIdentity(files.identity, identity);
      fs.writeFileSync(files.roster, roster.toYaml());
      fs.writeFileSync(files.policy, policy);
      return [
        ...['--identity', files.identity, '--roster', files.roster, '--policy', files.policy],
        ...['--approvals', path.join(dir, `${site}-approvals`)],
      ];
    },
    submit: (input) =>
      submitExperiment(client, redisOptions(redis.url), parseExperiment({ ...HEART_DISEASE.experiment, ...input })),
    async waitFor(id, status = ['completed', 'failed'], timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const r = await records.get(id);
        if (r && status.includes(r.status)) return r;
        if (Date.now() > end)
          throw new Error(`experiment ${id} still ${r?.status} (${r?.phase}) after ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    async stop() {
      await coordinator.stop();
      client.disconnect();
      await redis.stop();
    },
  };
}

/** Starts one in-process worker per heart-disease site in `tokens` and waits until each is connected. */
export async function startHeartWorkers(
  fed: TestFederation,
  tokens: Partial<Record<keyof typeof HEART_DISEASE.sites, string>>,
): Promise<AccordWorker[]> {
  const workers: AccordWorker[] = [];
  for (const [site, token] of Object.entries(tokens) as [keyof typeof HEART_DISEASE.sites, string][]) {
    const w = new AccordWorker({
      coordinator: fed.address,
      site,
      token,
      dataFile: HEART_DISEASE.sites[site],
      ...fed.trustOf(site),
      log: createLogger(site, 'silent'),
    });
    void w.run();
    await w.ready;
    workers.push(w);
  }
  return workers;
}

/** A private redis-server and a client for one test file (started before its tests, stopped after). */
export function usePrivateRedis(hooks: {
  beforeAll: (f: () => Promise<void>) => void;
  afterAll: (f: () => Promise<void>) => void;
}): { readonly redis: Redis; readonly url: string } {
  let server: PrivateRedis | undefined;
  let client: Redis | undefined;
  hooks.beforeAll(async () => {
    server = await startPrivateRedis();
    client = new Redis(redisOptions(server.url));
  });
  hooks.afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return {
    get redis() {
      if (!client) throw new Error('the private Redis is not started yet (use it inside a test)');
      return client;
    },
    get url() {
      if (!server) throw new Error('the private Redis is not started yet (use it inside a test)');
      return server.url;
    },
  };
}

/**
 * A federation per test, with in-process workers and raw-protocol rogues, all stopped after each test
 * (or earlier, by `stopAll`, to start another within one test).
 */
export function useTestFederation(afterEach: (f: () => Promise<void>) => void) {
  let fed: TestFederation | undefined;
  const workers: AccordWorker[] = [];
  const rogues: Rogue[] = [];
  async function stopAll(): Promise<void> {
    for (const w of workers.splice(0)) w.stop();
    for (const r of rogues.splice(0)) r.close();
    await fed?.stop();
    fed = undefined;
  }
  afterEach(stopAll);
  return {
    stopAll,
    async start(tokens: Record<string, string>): Promise<TestFederation> {
      fed = await startFederation(tokens);
      return fed;
    },
    async workers(f: TestFederation, tokens: Parameters<typeof startHeartWorkers>[1]): Promise<void> {
      workers.push(...(await startHeartWorkers(f, tokens)));
    },
    /** A rogue site (test/helpers/rogue.ts); `welcomed` false to see it refused. */
    async rogue(f: TestFederation, site: string, token: string, opts: RogueOptions, welcomed = true): Promise<Rogue> {
      // A rogue on the roster approves and signs with its identity, as any valid site can.
      const identity = f.identities[site];
      const r = new Rogue(f.address, site, token, { ...opts, ...(identity ? { identity } : {}) });
      rogues.push(r);
      if (welcomed) await r.welcomed;
      return r;
    },
  };
}
