// Sites trust no one: a coordinator that lies (test/helpers/malicious-coordinator.ts, built from the
// proto alone) talks to real `accord worker` processes, each with its own identity key, the pinned
// roster, a policy, an approvals folder and a hash-chained audit log. Every attack must be refused at
// the site, with the reason in the site's log and the error code at the coordinator, and the site's
// audit chain must show nothing sent beyond the manifest's terms. Sites colluding with the coordinator
// are identities the test holds: they are on the roster, so the round keys they sign are valid.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperiment } from '../../shared/config/load.js';
import type { ExperimentInput } from '../../shared/config/schema.js';
import { perSiteNoiseStd } from '../../shared/privacy/noise.js';
import type { SecAggRequest } from '../../shared/protocol/load.js';
import { protocolContext, SecAggClient } from '../../shared/secagg/client.js';
import { graphSeedOf } from '../../shared/secagg/graph.js';
import { generateKeyPair } from '../../shared/secagg/keys.js';
import { roundGraph } from '../../shared/secagg/parameters.js';
import { levelsFor } from '../../shared/secagg/quantize.js';
import type { FlatWeights } from '../../shared/tensors/weights.js';
import { type Approval, approvalProblem } from '../../shared/trust/approval.js';
import { headIn, verifyAuditHead, verifyChain } from '../../shared/trust/audit-chain.js';
import { generateIdentity, type Identity, saveIdentity } from '../../shared/trust/identity.js';
import { buildManifest, type SignedTerms } from '../../shared/trust/manifest.js';
import { Roster } from '../../shared/trust/roster.js';
import { signRoundKeys, verifyRoundKeys } from '../../shared/trust/round-keys.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type Child, tail } from '../../simulation/processes.js';
import { type AuditEntry, readAudit } from '../../worker/audit.js';
import { initialWeights, MaliciousCoordinator, type SiteSession, specUnder } from '../helpers/malicious-coordinator.js';
import { waitUntil } from '../helpers/wait-log.js';
import { spawnHeartWorker } from '../helpers/worker-process.js';

/** Round keys as share-keys shows them. */
interface Keys {
  site: string;
  cPk: Buffer;
  sPk: Buffer;
  gPk: Buffer;
  keySignature: Buffer;
}

/** A real site process talking to the malicious coordinator. */
interface Site {
  name: 'cleveland' | 'hungary';
  child: Child;
  session: SiteSession;
  audit: string;
  approvals: string;
}

const COLLUDERS = ['mallory-1', 'mallory-2', 'mallory-3', 'mallory-4', 'mallory-5'];
/** Honest roster sites that are not running: the coordinator can only pretend to be them. */
const ABSENT = ['switzerland', 'va'];

describe('a malicious coordinator against real sites', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-malicious-coordinator-'));
  const identities: Record<string, Identity> = Object.fromEntries(
    ['cleveland', 'hungary', ...ABSENT, ...COLLUDERS].map((s) => [s, generateIdentity()]),
  );
  const roster = Roster.fromKeys(Object.fromEntries(Object.entries(identities).map(([s, id]) => [s, id.publicKey])));
  /** The coordinator's own identity: on no roster. */
  const coordinatorKey = generateIdentity();
  const children: Child[] = [];
  let coordinator: MaliciousCoordinator;
  let victim: Site;
  let manual: Site;
  let model: FlatWeights;

  /** The manifest of experiment `id`: heart disease, 3 rounds, secure aggregation unless `input` says otherwise. */
  function termsOf(id: string, input: Partial<ExperimentInput> = {}): SignedTerms {
    const config = parseExperiment({
      ...HEART_DISEASE.experiment,
      // Each site scales with its own statistics: no round 0 of column sums to script.
      data: { ...HEART_DISEASE.experiment.data, scaling: 'standard' },
      rounds: 3,
      clients: { min: 3, fraction: 1 },
      secagg: { mode: 'secagg' },
      ...input,
    });
    return buildManifest(id, config, { sha256: roster.hash, sites: roster.sites.length });
  }

  async function startSite(name: Site['name'], policy: string): Promise<Site> {
    const dir = path.join(root, name);
    const files = {
      identity: path.join(dir, 'identity.key'),
      roster: path.join(root, 'roster.yaml'),
      policy: path.join(dir, 'policy.yaml'),
      approvals: path.join(dir, 'approvals'),
      audit: path.join(dir, 'audit.jsonl'),
    };
    saveIdentity(files.identity, identities[name]!);
    fs.writeFileSync(files.policy, policy);
    const child = spawnHeartWorker(name, coordinator.address, `whatever-${name}`, dir, [
      ...['--identity', files.identity, '--roster', files.roster, '--policy', files.policy],
      ...['--approvals', files.approvals, '--audit', files.audit, '--backend', 'cpu'],
    ]);
    children.push(child);
    const died = child.exited.then((code) => {
      throw new Error(`${name} exited with code ${code}:\n${tail(child.logFile)}`);
    });
    const session = await Promise.race([coordinator.session(name), died]);
    return { name, child, session, audit: files.audit, approvals: files.approvals };
  }

  beforeAll(async () => {
    coordinator = await MaliciousCoordinator.start();
    fs.writeFileSync(path.join(root, 'roster.yaml'), roster.toYaml());
    [victim, manual, model] = await Promise.all([
      startSite('cleveland', 'autoApprove: true\n'),
      startSite('hungary', 'autoApprove: false\n'),
      initialWeights(termsOf('any')),
    ]);
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    coordinator?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  // ---- what the site wrote down ----

  /** The site's log records (pino JSON lines of the worker's stderr). */
  function logOf(site: Site): Record<string, unknown>[] {
    return fs
      .readFileSync(site.child.logFile, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  async function logRecord(site: Site, match: (r: Record<string, unknown>) => boolean, what: string) {
    const found = () => logOf(site).find(match);
    await waitUntil(async () => found() !== undefined, 10_000, `${site.name} to log ${what}`);
    return found()!;
  }

  /** The site's audit chain, verified whole. */
  function auditOf(site: Site): { lines: string[]; entries: AuditEntry[] } {
    const lines = fs.readFileSync(site.audit, 'utf8').split('\n');
    const check = verifyChain(lines);
    expect(check, `${site.name}'s audit chain`).toMatchObject({ ok: true });
    return { lines, entries: readAudit(site.audit) };
  }

  function label(e: AuditEntry): string {
    const d = (e.detail ?? {}) as { stage?: string; code?: string; shares?: unknown[] };
    if (e.type === 'secagg_response')
      return `secagg_response:${d.stage}${d.shares?.length ? `+${d.shares.length} shares` : ''}`;
    if (e.type === 'error') return `error:${d.code}`;
    return e.type;
  }

  /** What the site sent about tasks whose ids start with `prefix`, in order, per its audit chain. */
  function sentAbout(site: Site, prefix: string): string[] {
    return auditOf(site)
      .entries.filter((e) => !e.note && e.taskId?.startsWith(prefix))
      .map(label);
  }

  // ---- what the site told the coordinator ----

  /** The site refused `taskId`: the code and reason at the coordinator, in the site's log and on its record. */
  async function expectRefusal(site: Site, taskId: string, code: string, reason: RegExp): Promise<void> {
    const m = await site.session.answer(taskId);
    expect(m.body, `${site.name}'s answer to ${taskId}`).toBe('error');
    expect(m.error!.code, `${taskId}: ${m.error!.message}`).toBe(code);
    expect(m.error!.message).toMatch(reason);
    const logged = await logRecord(
      site,
      (r) => r.msg === 'task failed' && r.task === taskId,
      `the refusal of ${taskId}`,
    );
    expect(logged).toMatchObject({ code });
    expect(String(logged.err)).toMatch(reason);
    const note = auditOf(site).entries.find((e) => e.note && (e.detail as { taskId?: string }).taskId === taskId);
    expect(note, `a refusal note for ${taskId}`).toMatchObject({ type: 'refusal', detail: { code } });
  }

  /** The approval the site sent for `terms` verifies against its roster key. */
  async function expectApproval(site: Site, terms: SignedTerms): Promise<void> {
    const a = (await site.session.next((m) => m.approval?.manifestHash === terms.hash, `approval of ${terms.hash}`))
      .approval!;
    expect(a).toMatchObject({ site: site.name, experimentId: terms.manifest.experimentId, how: 'policy' });
    expect(approvalProblem(a as Approval, roster.keyOf(site.name), terms.hash)).toBeUndefined();
    // and it is the approval the site keeps
    expect(fs.existsSync(path.join(site.approvals, 'approved', `${terms.hash}.json`))).toBe(true);
  }

  /** The audit head the site sent after `taskId` is signed by its roster key and is in its chain. */
  async function expectHead(site: Site, taskId: string): Promise<void> {
    const h = (await site.session.next((m) => m.auditHead?.taskId === taskId, `audit head after ${taskId}`)).auditHead!;
    const head = { entries: Number(h.entries), hash: h.hash };
    expect(verifyAuditHead(roster.keyOf(site.name)!, site.name, head, h.signature)).toBe(true);
    expect(headIn(auditOf(site).lines, head)).toBe(true);
  }

  // ---- the coordinator's moves ----

  /** Round 1 of a secure experiment: the site trains (its delta stays) and advertises signed round keys. */
  async function trainAndAdvertise(site: Site, terms: SignedTerms): Promise<Keys> {
    const experimentId = terms.manifest.experimentId;
    const train = `${experimentId}/r1/train`;
    site.session.train({ taskId: train, experimentId, round: 1, spec: specUnder(terms), model });
    const trained = await site.session.answer(train);
    expect(trained.body, JSON.stringify(trained.error)).toBe('metrics');
    expect(Number(trained.metrics!.examples)).toBe(0); // secure: not even the row count leaves
    await expectApproval(site, terms);
    await expectHead(site, train);
    const advertise = `${experimentId}/r1/advertise-keys`;
    site.session.secagg({
      taskId: advertise,
      experimentId,
      round: 1,
      stage: 'advertise-keys',
      manifestHash: terms.hash,
    });
    const r = (await site.session.answer(advertise)).secaggResponse!;
    const keys = { site: site.name, cPk: r.cPk, sPk: r.sPk, gPk: r.gPk, keySignature: r.keySignature };
    // What the site advertised is signed by its roster key for this manifest, experiment and round.
    const signed = { manifestHash: terms.hash, context: protocolContext(experimentId, 1), round: 1, site: site.name };
    expect(verifyRoundKeys(roster.keyOf(site.name)!, { ...signed, cPk: r.cPk, sPk: r.sPk }, r.keySignature)).toBe(true);
    expect(r.gPk.equals(roster.keyOf(site.name)!)).toBe(true);
    return keys;
  }

  /** Round keys the coordinator made for `site`, signed by `signer` (none: unsigned) and shown with identity key `gPk`. */
  function forged(terms: SignedTerms, site: string, signer: Identity | undefined, gPk: Buffer): Keys {
    const [c, s] = [generateKeyPair(), generateKeyPair()];
    const k = { manifestHash: terms.hash, context: protocolContext(terms.manifest.experimentId, 1), round: 1, site };
    const keySignature = signer
      ? signRoundKeys(signer, { ...k, cPk: c.publicKey, sPk: s.publicKey })
      : Buffer.alloc(64);
    return { site, cPk: c.publicKey, sPk: s.publicKey, gPk, keySignature };
  }

  /** A colluding roster site: plays the protocol with its real identity, for the coordinator. */
  function colluder(terms: SignedTerms, site: string) {
    const identity = identities[site]!;
    const context = protocolContext(terms.manifest.experimentId, 1);
    const client = new SecAggClient(context, 1, site, identity);
    const { cPk, sPk, gPk } = client.advertise();
    const keys: Keys = {
      site,
      cPk: Buffer.from(cPk),
      sPk: Buffer.from(sPk),
      gPk: Buffer.from(gPk),
      keySignature: signRoundKeys(identity, { manifestHash: terms.hash, context, round: 1, site, cPk, sPk }),
    };
    return { client, keys };
  }

  /** Share-keys among `peers`, with the neighbours and threshold the manifest gives, or `threshold`. */
  function shareKeys(terms: SignedTerms, taskId: string, peers: Keys[], threshold?: number): SecAggRequest {
    const g = roundGraph(terms.manifest.config.secagg, peers.length);
    return {
      taskId,
      experimentId: terms.manifest.experimentId,
      round: 1,
      stage: 'share-keys',
      manifestHash: terms.hash,
      peers,
      neighbours: g.degree === 'all' ? 0 : g.degree,
      threshold: threshold ?? g.threshold,
      graphSeed: graphSeedOf(peers),
    };
  }

  // ---- the attacks ----

  it('a: round keys the coordinator made for roster sites are refused (BAD_PEER_SIGNATURE), nothing shared', async () => {
    const terms = termsOf('attack-a', { secagg: { mode: 'secaggplus' } });
    const mine = await trainAndAdvertise(victim, terms);
    const cases = [
      // Keys for switzerland and va under the coordinator's own identity key, signed with it.
      {
        taskId: 'attack-a/r1/share-keys-own-key',
        peers: ABSENT.map((s) => forged(terms, s, coordinatorKey, coordinatorKey.publicKey)),
      },
      // Their real roster keys shown, but the round keys unsigned.
      {
        taskId: 'attack-a/r1/share-keys-unsigned',
        peers: ABSENT.map((s) => forged(terms, s, undefined, roster.keyOf(s)!)),
      },
    ];
    for (const c of cases) {
      victim.session.secagg(shareKeys(terms, c.taskId, [mine, ...c.peers]));
      await expectRefusal(
        victim,
        c.taskId,
        'BAD_PEER_SIGNATURE',
        /round keys shown for switzerland are not signed by switzerland's roster key/,
      );
    }
    expect(sentAbout(victim, 'attack-a/')).toEqual([
      'metrics',
      'audit_head',
      'secagg_response:advertise-keys',
      'error:BAD_PEER_SIGNATURE',
      'error:BAD_PEER_SIGNATURE',
    ]);
  });

  it('b: a threshold below what the manifest gives for the round is refused (OUTSIDE_MANIFEST)', async () => {
    const terms = termsOf('attack-b', { clients: { min: 6, fraction: 1 } });
    const mine = await trainAndAdvertise(victim, terms);
    const peers = [mine, ...COLLUDERS.map((s) => colluder(terms, s).keys)];
    const { threshold } = roundGraph(terms.manifest.config.secagg, peers.length);
    const lowered = threshold - 1;
    // Still above half the neighbourhood, so the protocol alone would accept it: only the manifest tells.
    expect(lowered).toBeGreaterThan((peers.length - 1) / 2);
    victim.session.secagg(shareKeys(terms, 'attack-b/r1/share-keys-lowered', peers, lowered));
    await expectRefusal(
      victim,
      'attack-b/r1/share-keys-lowered',
      'OUTSIDE_MANIFEST',
      new RegExp(`threshold ${lowered}; the manifest gives all and ${threshold} for 6 sites`),
    );
    // The same peers at the manifest's threshold: the site shares, so the threshold alone was refused.
    victim.session.secagg(shareKeys(terms, 'attack-b/r1/share-keys', peers));
    expect((await victim.session.answer('attack-b/r1/share-keys')).secaggResponse?.shares).toHaveLength(5);
    expect(sentAbout(victim, 'attack-b/')).toEqual([
      'metrics',
      'audit_head',
      'secagg_response:advertise-keys',
      'error:OUTSIDE_MANIFEST',
      'secagg_response:share-keys+5 shares',
    ]);
  });

  it('c: peers not on the roster are refused (UNKNOWN_PEER), nothing shared', async () => {
    const terms = termsOf('attack-c', { secagg: { mode: 'secaggplus' } });
    const mine = await trainAndAdvertise(victim, terms);
    const fakes = ['eve-1', 'eve-2'].map((s) => forged(terms, s, coordinatorKey, coordinatorKey.publicKey));
    victim.session.secagg(shareKeys(terms, 'attack-c/r1/share-keys', [mine, ...fakes]));
    await expectRefusal(
      victim,
      'attack-c/r1/share-keys',
      'UNKNOWN_PEER',
      /secure aggregation with eve-1, who is not on this site's roster/,
    );
    expect(sentAbout(victim, 'attack-c/')).toEqual([
      'metrics',
      'audit_head',
      'secagg_response:advertise-keys',
      'error:UNKNOWN_PEER',
    ]);
  });

  it('d: masked input without the DP noise the manifest gives is refused (OUTSIDE_MANIFEST), no update leaves', async () => {
    const terms = termsOf('attack-d', { dp: { noise: 1, clip: 1 } });
    const c = terms.manifest.config;
    const mine = await trainAndAdvertise(victim, terms);
    const colluders = COLLUDERS.slice(0, 2).map((s) => colluder(terms, s));
    const peers = [mine, ...colluders.map((x) => x.keys)];
    const req = shareKeys(terms, 'attack-d/r1/share-keys', peers);
    victim.session.secagg(req);
    // Share-keys is what the manifest gives: the site shares with the (colluding) roster sites.
    expect((await victim.session.answer('attack-d/r1/share-keys')).secaggResponse?.shares).toHaveLength(2);
    const graph = { degree: 'all' as const, threshold: Number(req.threshold), graphSeed: String(req.graphSeed) };
    const sealed = (await Promise.all(colluders.map((x) => x.client.shareKeys(peers, graph))))
      .flat()
      .filter((s) => s.to === victim.name)
      .map((s) => ({ ...s, sealed: Buffer.from(s.sealed) }));
    const masked = (taskId: string, noiseStd: number) =>
      victim.session.secagg({
        taskId,
        experimentId: 'attack-d',
        round: 1,
        stage: 'masked-input',
        manifestHash: terms.hash,
        shares: sealed,
        sharers: peers.map((p) => p.site),
        quant: {
          range: Math.max(c.secagg.clip, 1),
          levels: levelsFor(peers.length, c.secagg.bits),
          weightScale: peers.length,
          noiseStd,
          uniformWeight: true,
        },
      });
    const noise = perSiteNoiseStd(c.dp!.noise * c.dp!.clip, peers.length, c.secagg.colludingSites);
    masked('attack-d/r1/masked-input-no-noise', 0);
    await expectRefusal(
      victim,
      'attack-d/r1/masked-input-no-noise',
      'OUTSIDE_MANIFEST',
      new RegExp(`asked to add noise of std 0; the manifest gives ${noise} for 3 sites`),
    );
    // With the manifest's noise share, the same request is answered: the noise alone was refused.
    masked('attack-d/r1/masked-input', noise);
    expect((await victim.session.answer('attack-d/r1/masked-input')).body).toBe('updateChunk');
    expect(sentAbout(victim, 'attack-d/r1/masked-input-no-noise')).toEqual(['error:OUTSIDE_MANIFEST']);
    expect(sentAbout(victim, 'attack-d/')).toEqual([
      'metrics',
      'audit_head',
      'secagg_response:advertise-keys',
      'secagg_response:share-keys+2 shares',
      'error:OUTSIDE_MANIFEST',
      'update_chunk',
    ]);
  });

  it('e: a second manifest for an experiment already approved is refused (MANIFEST_CHANGED)', async () => {
    const clear = { secagg: { mode: 'off' as const } };
    const a = termsOf('attack-e', clear);
    const b = termsOf('attack-e', { ...clear, rounds: 10 });
    expect(b.hash).not.toBe(a.hash);
    victim.session.train({
      taskId: 'attack-e/r1/train',
      experimentId: 'attack-e',
      round: 1,
      spec: specUnder(a),
      model,
    });
    const first = await victim.session.answer('attack-e/r1/train');
    expect(first.body, JSON.stringify(first.error)).toBe('metrics');
    expect(Number(first.metrics!.examples)).toBeGreaterThan(0); // in clear, as manifest A says
    await expectApproval(victim, a);
    await expectHead(victim, 'attack-e/r1/train');

    victim.session.train({
      taskId: 'attack-e/r2/train',
      experimentId: 'attack-e',
      round: 2,
      spec: specUnder(b),
      model,
    });
    await expectRefusal(
      victim,
      'attack-e/r2/train',
      'MANIFEST_CHANGED',
      new RegExp(`attack-e now comes with manifest ${b.hash.slice(0, 16)}; this site approved ${a.hash.slice(0, 16)}`),
    );
    await expectHead(victim, 'attack-e/r2/train');
    expect(victim.session.received.some((m) => m.approval?.manifestHash === b.hash)).toBe(false);
    expect(fs.existsSync(path.join(victim.approvals, 'approved', `${b.hash}.json`))).toBe(false);
    expect(sentAbout(victim, 'attack-e/r1/')).toEqual(['metrics', 'update_chunk', 'audit_head']);
    expect(sentAbout(victim, 'attack-e/r2/')).toEqual(['error:MANIFEST_CHANGED', 'audit_head']);
  });

  describe('f: a task outside the approved manifest is refused (OUTSIDE_MANIFEST), nothing computed', () => {
    const terms = () => termsOf('attack-f');
    it.each([
      {
        what: 'another learning rate',
        taskId: 'attack-f/r1/train-lr',
        round: 1,
        change: (t: SignedTerms) => ({ train: { ...t.manifest.config.train, learningRate: 0.9 } }),
        reason: /train\.learningRate: 0\.9, the manifest says 0\.3/,
      },
      {
        what: 'the delta in clear under a secure manifest',
        taskId: 'attack-f/r1/train-in-clear',
        round: 1,
        change: () => ({ secure: false }),
        reason: /secure aggregation: off, the manifest says secagg/,
      },
      {
        what: "a round beyond the manifest's rounds",
        taskId: 'attack-f/r4/train',
        round: 4,
        change: () => ({}),
        reason: /round 4: the manifest has rounds 1 to 3/,
      },
    ])('$what', async ({ taskId, round, change, reason }) => {
      const t = terms();
      victim.session.train({ taskId, experimentId: 'attack-f', round, spec: specUnder(t, change(t)), model });
      await expectRefusal(victim, taskId, 'OUTSIDE_MANIFEST', reason);
      await expectHead(victim, taskId);
      expect(sentAbout(victim, taskId)).toEqual(['error:OUTSIDE_MANIFEST', 'audit_head']);
    });
  });

  it('g: without autoApprove the site waits for a person (NOT_APPROVED), keeps the manifest pending, trains nothing', async () => {
    const terms = termsOf('attack-g');
    manual.session.train({
      taskId: 'attack-g/r1/train',
      experimentId: 'attack-g',
      round: 1,
      spec: specUnder(terms),
      model,
    });
    await expectRefusal(
      manual,
      'attack-g/r1/train',
      'NOT_APPROVED',
      /is not approved by this site: approval is manual/,
    );
    await logRecord(
      manual,
      (r) => r.manifest === terms.hash && String(r.msg).startsWith('experiment awaits approval (approval is manual)'),
      'the manifest awaiting approval',
    );
    await expectHead(manual, 'attack-g/r1/train');
    const pending = path.join(manual.approvals, 'pending', `${terms.hash}.json`);
    expect(JSON.parse(fs.readFileSync(pending, 'utf8'))).toEqual(JSON.parse(terms.json));
    expect(fs.existsSync(path.join(manual.approvals, 'approved', `${terms.hash}.json`))).toBe(false);
    expect(manual.session.received.some((m) => m.body === 'approval')).toBe(false);
    expect(logOf(manual).some((r) => r.msg === 'local data loaded')).toBe(false); // not even read
    expect(sentAbout(manual, 'attack-g/')).toEqual(['error:NOT_APPROVED', 'audit_head']);
  });
});
