// A heart-disease worker as its own process (`accord worker`), as a hospital runs it: the token comes
// from the environment, never the command line. Shared by the tests that run a federation of processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { redisOptions } from '../../shared/redis-url.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type Child, spawnAccord } from '../../simulation/processes.js';
import { type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';

/**
 * Starts `accord worker` for `site` with its heart-disease file, dialing `coordinator` (one address, or
 * several comma-separated for failover); `extra` adds flags (e.g. `--audit FILE`). Logs go to `dir`.
 */
export function spawnHeartWorker(
  site: keyof typeof HEART_DISEASE.sites,
  coordinator: string,
  token: string,
  dir: string,
  extra: string[] = [],
): Child {
  // The audit log goes to the test's folder unless the test names one (the CLI's default is the
  // working directory, the repository when tests run).
  const audit = extra.includes('--audit') ? [] : ['--audit', path.join(dir, `audit-${site}.jsonl`)];
  return spawnAccord(
    `worker-${site}`,
    ['worker', '--coordinator', coordinator, '--site', site, '--data', HEART_DISEASE.sites[site], ...audit, ...extra],
    dir,
    { ACCORD_TOKEN: token },
  );
}

/** The two sites of the process-level federation tests, each with its own token. */
export const TWO_SITE_TOKENS = { cleveland: 'token-cleveland-123', hungary: 'token-hungary-456' } as const;

/** A test folder holding the two sites' tokens file (`tokens`), with `store` for the coordinators. */
export function federationFolder(name: string): { dir: string; tokensFile: string; store: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `accord-${name}-`));
  const tokensFile = path.join(dir, 'tokens.yaml');
  fs.writeFileSync(tokensFile, YAML.stringify(TWO_SITE_TOKENS));
  return { dir, tokensFile, store: path.join(dir, 'store') };
}

/**
 * The processes a test file starts (coordinators, workers) and its private Redis with a client,
 * all stopped after the file's tests.
 */
export function useProcessFederation(afterAll: (f: () => Promise<void>) => void) {
  const children: Child[] = [];
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    client?.disconnect();
    await redis?.stop();
  });
  return {
    children,
    /** Starts the private Redis and makes the test's folder. */
    async setUp(name: string) {
      redis = await startPrivateRedis();
      client = new Redis(redisOptions(redis.url));
      return { redis, client, ...federationFolder(name) };
    },
  };
}
