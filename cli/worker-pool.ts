// `accord worker-pool`: simulation only. Many logical sites in one process, each with its own gRPC
// session, token and data partition, so 100-1000 simulated clients fit on a laptop.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseAttack } from '../shared/attack.js';
import { ConfigError } from '../shared/errors/index.js';
import { createLogger } from '../shared/log/logger.js';
import type { BackendName } from '../shared/models/backend.js';
import { Roster } from '../shared/trust/roster.js';
import { AccordWorker } from '../worker/client.js';
import { TaskGate } from '../worker/gate.js';
import { loadSitePolicy } from '../worker/policy.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

/** Sites of a pool that connect at once. */
const CONNECT_WAVE = 250;

const poolSchema = z
  .object({
    coordinator: z.string(),
    data: z.string(),
    backend: z.string().default('auto'),
    /** Benchmarks only: sites answer with a fixed delta instead of training. */
    stubTraining: z.boolean().optional(),
    auditDir: z.string().optional(),
    /** A site policy file applied to every site of the pool. */
    policy: z.string().optional(),
    /** The federation's roster, pinned by every site of the pool. */
    roster: z.string().optional(),
    sites: z.array(
      z.object({
        site: z.string(),
        token: z.string(),
        attack: z.string().optional(),
        slowdown: z.number().min(1).optional(),
        /** The site's identity key (simulation_identities.ts identityForPool). */
        identity: z.object({ privateKey: z.string(), publicKey: z.string() }).optional(),
        partition: z
          .object({
            scheme: z.enum(['iid', 'dirichlet', 'shards', 'pathological', 'synthetic']),
            clients: z.number().int(),
            seed: z.number().int(),
            index: z.number().int(),
            alpha: z.number().optional(),
            beta: z.number().optional(),
            labels: z.number().int().optional(),
          })
          .optional(),
      }),
    ),
  })
  .strict();

export function register(program: Command): void {
  program
    .command('worker-pool <file>')
    .description(DESCRIPTIONS['worker-pool'])
    .action(
      action(async (file: string) => {
        let raw: unknown;
        try {
          raw = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (e) {
          throw new ConfigError(`${file}: ${(e as Error).message}`);
        }
        const r = poolSchema.safeParse(raw);
        if (!r.success)
          throw new ConfigError(
            `${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        const pool = r.data;
        const log = createLogger('pool', process.env['ACCORD_LOG_LEVEL'] ?? 'warn');
        const policy = pool.policy === undefined ? undefined : loadSitePolicy(pool.policy);
        const roster = pool.roster === undefined ? undefined : Roster.load(pool.roster);
        const identityOf = (k: { privateKey: string; publicKey: string }) => ({
          privateKey: crypto.createPrivateKey({
            key: Buffer.from(k.privateKey, 'base64'),
            format: 'der',
            type: 'pkcs8',
          }),
          publicKey: Buffer.from(k.publicKey, 'base64'),
        });
        // The sites take turns (one gate), so they can share one model per architecture.
        const gate = new TaskGate();
        const sharedModels = new Map<string, tf.LayersModel>();
        const workers = pool.sites.map(
          (s) =>
            new AccordWorker({
              coordinator: pool.coordinator,
              site: s.site,
              token: s.token,
              dataFile: pool.data,
              backend: pool.backend as BackendName | 'auto',
              ...(pool.auditDir ? { auditFile: path.join(pool.auditDir, `${s.site}.jsonl`) } : {}),
              ...(s.partition ? { partition: s.partition } : {}),
              ...(s.attack ? { attack: parseAttack(s.attack) } : {}),
              ...(s.slowdown ? { slowdown: s.slowdown } : {}),
              policy,
              ...(s.identity && roster ? { identity: identityOf(s.identity), roster } : {}),
              ...(pool.stubTraining ? { stubTraining: true } : {}),
              gate,
              sharedModels,
              log: log.child({ site: s.site }),
            }),
        );
        const stop = () => {
          for (const w of workers) w.stop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        log.warn({ sites: workers.length }, 'worker pool started');
        // Connect in waves: 25,000 sites dialling at once would queue their Hellos past the coordinator's
        // Hello timeout. The next wave starts once this one is welcomed (or a site failed).
        const runs: Promise<void>[] = [];
        for (let i = 0; i < workers.length; i += CONNECT_WAVE) {
          const wave = workers.slice(i, i + CONNECT_WAVE);
          runs.push(...wave.map((w) => w.run()));
          await Promise.race([Promise.all(wave.map((w) => w.ready)), Promise.all(runs)]);
        }
        await Promise.all(runs);
        process.exit(0);
      }),
    );
}
