// Apps at real sites (issue 18): a researcher's app travels by digest, runs only where the site's policy
// allows it (by digest or by a reviewer's signature), in the site's sandbox; a site that does not allow it
// takes no part; a malicious app is stopped with a clear code and the worker carries on; a coordinator
// that serves other code than the manifest names is caught before anything is written. Real Redis,
// gRPC, BullMQ, in-process workers, a sandboxed child process per app run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { jobIds, QUEUE_EXPERIMENTS } from '../../coordinator/queues/names.js';
import { newExperimentId } from '../../coordinator/queues/submit.js';
import { appDigest, encodeApp, readAppFolder } from '../../shared/apps/bundle.js';
import { resolveApp } from '../../shared/apps/resolve.js';
import { addAppSignature, signApp } from '../../shared/apps/signature.js';
import { parseExperiment } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log/logger.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { redisOptions } from '../../shared/redis-url.js';
import { generateIdentity, publicKeyText } from '../../shared/trust/identity.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { AccordWorker } from '../../worker/client.js';
import { sitePolicySchema } from '../../worker/policy.js';
import { networkIsolation } from '../../worker/sandbox/index.js';
import { startFederation, type TestFederation, testPolicy } from '../helpers/federation.js';

type Site = keyof typeof HEART_DISEASE.sites;
const SITES = Object.keys(HEART_DISEASE.sites) as Site[];
/** Where the machine cannot cut an app's network, the policy says so (the socket test needs the cut). */
const ISOLATED = networkIsolation().kind === 'namespace';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-apps-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
/** Each federation's sites keep their approvals and app cache under here. */
let siteRoot = '';
/** A new app folder: the example app, or one whose hooks are `source`. */
function appFolder(source?: string): string {
  const dir = path.join(root, `app-${++n}`);
  fs.mkdirSync(dir);
  const example = path.join(PACKAGE_ROOT, 'examples', 'apps', 'heart-mlp', 'app.mjs');
  fs.writeFileSync(path.join(dir, 'app.mjs'), source ?? fs.readFileSync(example, 'utf8'));
  return dir;
}

/** A model hook every test app shares: logistic regression for the heart-disease columns. */
const MODEL = `
export function model(tf, shape) {
  return tf.sequential({ layers: [tf.layers.dense({ units: shape.outputUnits, activation: 'sigmoid', inputShape: [shape.inputSize] })] });
}`;

describe('apps at real sites', () => {
  let fed: TestFederation | undefined;
  const workers: AccordWorker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) w.stop();
    await fed?.stop();
    fed = undefined;
  });

  async function federation(apps: Partial<Record<Site, Record<string, unknown>>>): Promise<TestFederation> {
    const tokens = Object.fromEntries(Object.keys(apps).map((s) => [s, `tok-app-${s}`]));
    fed = await startFederation(tokens);
    siteRoot = fs.mkdtempSync(path.join(root, 'sites-'));
    for (const [site, rules] of Object.entries(apps) as [Site, Record<string, unknown>][]) {
      const trust = fed.trustOf(site);
      const w = new AccordWorker({
        coordinator: fed.address,
        site,
        token: tokens[site]!,
        dataFile: HEART_DISEASE.sites[site],
        identity: trust.identity,
        roster: trust.roster,
        policy: sitePolicySchema.parse({
          ...testPolicy(site),
          apps: { requireNetworkIsolation: ISOLATED, ...rules },
        }),
        approvalsDir: path.join(siteRoot, site),
        log: createLogger(site, process.env['ACCORD_LOG_LEVEL'] ?? 'silent'),
      });
      void w.run();
      await w.ready;
      workers.push(w);
    }
    return fed;
  }

  it('runs where the policy allows its digest or its reviewer, and nowhere else', async () => {
    const dir = appFolder();
    const digest = appDigest(readAppFolder(dir));
    const reviewer = generateIdentity();
    addAppSignature(dir, signApp(reviewer, digest));
    const f = await federation({
      cleveland: { allow: [`sha256:${digest}`], releaseMetrics: true },
      hungary: { signers: [publicKeyText(reviewer.publicKey)] },
      switzerland: { allow: [`sha256:${digest}`] },
      // Allows another app only, and trusts a reviewer who did not sign this one.
      va: { allow: [`sha256:${'0'.repeat(64)}`], signers: [publicKeyText(generateIdentity().publicKey)] },
    });
    const id = await f.submit({ model: { app: dir }, rounds: 3, clients: { min: 3, fraction: 1 } });
    // Only the submitter held the folder: the sites fetch the code from the coordinator by digest.
    fs.rmSync(dir, { recursive: true });
    const rec = await f.waitFor(id, ['completed', 'failed'], 240_000);
    expect(rec.status, rec.error).toBe('completed');
    expect(rec.config.model).toMatchObject({ app: { sha256: digest } });
    const refusals = await f.records.refusals(id);
    expect(Object.keys(refusals)).toEqual(['va']);
    expect(refusals['va']).toContain('apps.allow');
    const rounds = await f.records.rounds(id);
    expect(rounds.map((r) => r.participants.sort())).toEqual(Array(3).fill(['cleveland', 'hungary', 'switzerland']));
    // Each allowed site cached exactly the approved code; va never fetched it.
    for (const s of SITES) {
      const cached = path.join(siteRoot, s, 'apps', digest, 'app.mjs');
      expect(fs.existsSync(cached), s).toBe(s !== 'va');
    }
    // The app's own metrics leave only where the policy releases them.
    const last = rounds.at(-1)!.siteEval;
    expect(Object.keys(last['cleveland']?.app ?? {}).sort()).toEqual(['sensitivity', 'specificity']);
    expect(last['hungary']?.app).toBeUndefined();
    const evals = Object.values(last);
    expect(evals).toHaveLength(3);
    expect(evals.reduce((a, e) => a + e.accuracy, 0) / evals.length).toBeGreaterThan(0.7);
  }, 300_000);

  /** Each attack is one experiment of one round at one site: it fails with the code, nothing else. */
  const attacks = (coordinator: string): { name: string; code: string; hook: string; skip?: string | undefined }[] => [
    {
      name: 'reads a file outside its folder (another site file)',
      code: 'SANDBOX_DENIED',
      hook: `import fs from 'node:fs';
export function preprocess(tf, x) { fs.readFileSync(${JSON.stringify(HEART_DISEASE.sites.hungary)}); return x; }`,
    },
    {
      name: 'opens a socket to the coordinator',
      code: 'SANDBOX_APP_ERROR',
      hook: `import net from 'node:net';
export async function preprocess(tf, x) { return x; }
export async function train(tf, model) {
  const [host, port] = ${JSON.stringify(coordinator.split(':'))};
  await new Promise((resolve, reject) => { const s = net.connect(Number(port), host, () => { s.end(); resolve(); }); s.on('error', reject); });
  return { loss: 0.5 };
}`,
      skip: ISOLATED
        ? undefined
        : 'unprivileged user namespaces are off here: the permission model alone leaves sockets open',
    },
    {
      name: 'loops forever',
      code: 'SANDBOX_TIMEOUT',
      hook: 'export function train() { for (;;) {} }',
    },
    {
      name: 'allocates without bound',
      code: 'SANDBOX_MEMORY',
      hook: 'export function train() { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); }',
    },
  ];

  it('stops a malicious app with a clear code, and the worker carries on', async () => {
    const f = await federation({ cleveland: { allow: ['any'], timeoutSeconds: 8, memoryMB: 256 } });
    for (const a of attacks(f.address)) {
      if (a.skip) {
        console.warn(`skipped: ${a.name}: ${a.skip}`);
        continue;
      }
      const id = await f.submit({
        name: a.name,
        model: { app: appFolder(`${MODEL}\n${a.hook}`) },
        rounds: 1,
        roundAttempts: 1,
        clients: { min: 1, fraction: 1 },
      });
      const rec = await f.waitFor(id, ['completed', 'failed'], 120_000);
      expect(rec.status, a.name).toBe('failed');
      const said = JSON.stringify([rec.error, await f.records.events(id)]);
      expect(said, a.name).toContain(a.code);
    }
    // The same worker, still connected, trains the next experiment.
    const ok = await f.submit({ model: { app: appFolder() }, rounds: 1, clients: { min: 1, fraction: 1 } });
    expect((await f.waitFor(ok, ['completed', 'failed'], 120_000)).status).toBe('completed');
  }, 600_000);

  it('catches a coordinator that serves other code than the manifest names, before writing any', async () => {
    const f = await federation({ cleveland: { allow: ['any'] } });
    const cfg = parseExperiment({
      ...HEART_DISEASE.experiment,
      model: { app: appFolder() },
      rounds: 1,
      roundAttempts: 1,
      clients: { min: 1, fraction: 1 },
    });
    const approved = await resolveApp(appFolder(), root, cfg.data);
    const other = encodeApp(readAppFolder(appFolder(`${MODEL}\nexport function train() { return { loss: 0 }; }`)));
    // What a lying coordinator does: the manifest names the approved digest, the bundle is another app.
    const id = newExperimentId();
    await f.records.saveApp(id, other);
    await f.records.create(id, { ...cfg, model: approved.model });
    const queue = new Queue(QUEUE_EXPERIMENTS, { connection: redisOptions(f.redis.url) });
    await queue.add('start', { experimentId: id }, { jobId: jobIds.start(id) });
    await queue.close();
    const rec = await f.waitFor(id, ['completed', 'failed'], 120_000);
    expect(rec.status).toBe('failed');
    expect(JSON.stringify([rec.error, await f.records.events(id)])).toContain('BAD_APP');
    const cache = path.join(siteRoot, 'cleveland', 'apps');
    expect(fs.existsSync(cache) ? fs.readdirSync(cache) : []).toEqual([]);
  }, 300_000);
});
