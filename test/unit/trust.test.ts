// The trust layer: the manifest a site approves, the departures a task may make from it, signed
// approvals, the pinned roster, the site's SiteTrust gate, and the offline check of a report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ExperimentRecord } from '../../coordinator/experiments/records.js';
import { taskSpecFor } from '../../coordinator/rounds/task-spec.js';
import { parseExperiment } from '../../shared/config/load.js';
import type { CsvDataConfig, ExperimentInput } from '../../shared/config/schema.js';
import { createLogger } from '../../shared/log/logger.js';
import type { TaskSpec } from '../../shared/protocol/task-spec.js';
import { type Approval, approvalProblem, signApproval } from '../../shared/trust/approval.js';
import { generateIdentity, type Identity, publicKeyText } from '../../shared/trust/identity.js';
import { buildManifest, MANIFEST_FORMAT, parseManifest, type SignedTerms } from '../../shared/trust/manifest.js';
import { Roster } from '../../shared/trust/roster.js';
import { type ReportToVerify, verifyReport } from '../../shared/trust/verify-report.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { ApprovalStore } from '../../worker/approvals.js';
import { AuditLog, type SignedAuditHead } from '../../worker/audit.js';
import { departure } from '../../worker/manifest-guard.js';
import { sitePolicySchema } from '../../worker/policy.js';
import { ReleaseLedger } from '../../worker/release-ledger.js';
import { SiteTrust } from '../../worker/site-trust.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-trust-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const ids: Record<'a' | 'b' | 'c', Identity> = { a: generateIdentity(), b: generateIdentity(), c: generateIdentity() };
const roster = Roster.fromKeys({ a: ids.a.publicKey, b: ids.b.publicKey, c: ids.c.publicKey });
const rosterRef = (r: Roster = roster) => ({ sha256: r.hash, sites: r.sites.length });

/** Heart disease with federated scaling, 5 rounds, SecAgg+, DP and FedProx: every kind of term set. */
function config(over: Partial<ExperimentInput> = {}) {
  return parseExperiment({
    ...HEART_DISEASE.experiment,
    rounds: 5,
    clients: { min: 3, fraction: 1 },
    secagg: { mode: 'secaggplus' },
    dp: { noise: 1, clip: 0.7 },
    strategy: { name: 'fedprox', mu: 0.5 },
    ...over,
  });
}

const termsOf = (id = 'exp-1', over: Partial<ExperimentInput> = {}, r: Roster = roster) =>
  buildManifest(id, config(over), rosterRef(r));

/** What the coordinator keeps for a running experiment, federated statistics included. */
function recordOf(terms: SignedTerms): ExperimentRecord {
  return {
    id: terms.manifest.experimentId,
    name: 'heart-disease',
    status: 'running',
    config: terms.manifest.config,
    createdAt: 0,
    updatedAt: 0,
    round: 1,
    committed: 0,
    phase: 'training',
    stats: { age: { fill: 54, mean: 54, std: 9 } },
    manifest: terms.json,
    manifestHash: terms.hash,
  };
}

/** The error `f` throws (it must throw one). */
function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
}

async function rejected(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('manifest', () => {
  it('round-trips through its canonical text, with the same hash', () => {
    const terms = termsOf();
    expect(terms.manifest.format).toBe(MANIFEST_FORMAT);
    expect(terms.hash).toMatch(/^[0-9a-f]{64}$/);
    const back = parseManifest(terms.json, terms.hash);
    expect(back.hash).toBe(terms.hash);
    expect(back.manifest).toEqual(terms.manifest);
    expect(parseManifest(terms.json).hash).toBe(terms.hash);
    // The same terms built again hash the same (the hash names the experiment on the wire).
    expect(termsOf().hash).toBe(terms.hash);
    // Key order in the text does not matter: the hash is of the canonical form.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(terms.json)).reverse()));
    expect(parseManifest(reordered, terms.hash).hash).toBe(terms.hash);
  });

  it('the hash changes when any term changes', () => {
    const base = termsOf().hash;
    const other = Roster.fromKeys({ a: ids.a.publicKey, b: ids.b.publicKey, d: generateIdentity().publicKey });
    const variants: Record<string, string> = {
      rounds: termsOf('exp-1', { rounds: 6 }).hash,
      'dp noise': termsOf('exp-1', { dp: { noise: 1.1, clip: 0.7 } }).hash,
      'secagg threshold': termsOf('exp-1', { secagg: { mode: 'secaggplus', threshold: 0.8 } }).hash,
      colludingSites: termsOf('exp-1', { secagg: { mode: 'secaggplus', colludingSites: 1 } }).hash,
      'data.missing': termsOf('exp-1', { data: { ...HEART_DISEASE.experiment.data, missing: ['?'] } }).hash,
      'roster hash': termsOf('exp-1', {}, other).hash,
      experimentId: termsOf('exp-2').hash,
    };
    for (const [what, hash] of Object.entries(variants)) expect(hash, what).not.toBe(base);
    expect(new Set(Object.values(variants)).size).toBe(Object.keys(variants).length);
  });

  it('rejects a wrong expected hash, non-JSON, a config left to defaults and another format', () => {
    const terms = termsOf();
    const wrong = thrown(() => parseManifest(terms.json, 'f'.repeat(64)));
    expect(wrong.code).toBe('BAD_MANIFEST');
    expect(wrong.message).toMatch(`hashes to ${terms.hash.slice(0, 16)}, not ffffffffffffffff`);
    // One byte of the text changed: it no longer hashes to what the site was told.
    const edited = terms.json.replace('"rounds":5', '"rounds":50');
    expect(edited).not.toBe(terms.json);
    expect(thrown(() => parseManifest(edited, terms.hash)).message).toMatch(/hashes to/);
    const notJson = thrown(() => parseManifest(`${terms.json.slice(0, -1)},`));
    expect([notJson.code, notJson.message]).toEqual(['BAD_MANIFEST', 'the manifest is not JSON']);
    // A defaulted key left out: the parsed config would hold a setting nobody saw hashed.
    for (const drop of [
      (c: Record<string, Record<string, unknown>>) => delete c['train']!['restrictedSoftmax'],
      (c: Record<string, Record<string, unknown>>) => delete c['secagg']!['securityBits'],
      (c: Record<string, unknown>) => delete c['roundAttempts'],
    ]) {
      const raw = JSON.parse(terms.json);
      drop(raw.config);
      const e = thrown(() => parseManifest(JSON.stringify(raw)));
      expect(e.code).toBe('BAD_MANIFEST');
      expect(e.message).toMatch(/leaves settings to defaults/);
    }
    const v2 = thrown(() => parseManifest(JSON.stringify({ ...JSON.parse(terms.json), format: 'accord-manifest/2' })));
    expect([v2.code, v2.message]).toEqual(['BAD_MANIFEST', "the manifest's format is not accord-manifest/1"]);
    expect(thrown(() => parseManifest('null')).message).toMatch(/format is not/);
    // A config the schema refuses is named by its field.
    const bad = JSON.parse(terms.json);
    bad.config.rounds = 0;
    expect(thrown(() => parseManifest(JSON.stringify(bad))).message).toMatch(/^manifest config: rounds:/);
  });
});

describe('departure from the approved manifest', () => {
  const terms = termsOf();
  const m = terms.manifest;
  const honest = (round = 1) => taskSpecFor(recordOf(terms), round, 3);
  const csv = (s: TaskSpec): CsvDataConfig => {
    if (s.data.format !== 'csv') throw new Error('csv data expected');
    return s.data;
  };

  it('an honest task keeps to the manifest', () => {
    for (let round = 1; round <= 5; round++) {
      expect(departure(m, 'train', round, honest(round))).toBeUndefined();
      expect(departure(m, 'evaluate', round, honest(round))).toBeUndefined();
    }
    expect(honest().train.proximalMu).toBe(0.5); // FedProx's mu, set by the strategy
    expect(csv(honest()).stats).toBeDefined(); // the federation's statistics (an outcome, not a term)
    expect(departure(m, 'stats', 0, taskSpecFor({ ...recordOf(terms), stats: undefined }, 0, 0))).toBeUndefined();
  });

  it('names each departure', () => {
    const spec = honest();
    const cases: [string, TaskSpec, RegExp, number?][] = [
      ['data.missing', { ...spec, data: { ...csv(spec), missing: ['?'] } }, /^data: the settings differ/],
      ['model', { ...spec, model: { zoo: 'mlp', hidden: [8] } }, /^model: differs from the manifest/],
      [
        'learningRate',
        { ...spec, train: { ...spec.train, learningRate: 3 } },
        /^train\.learningRate: 3, the manifest says 0\.3/,
      ],
      [
        'proximalMu',
        { ...spec, train: { ...spec.train, proximalMu: 0 } },
        /^train\.proximalMu: 0, the manifest gives 0\.5/,
      ],
      ['secure', { ...spec, secure: false }, /^secure aggregation: off, the manifest says secaggplus/],
      ['dpClip', { ...spec, dpClip: 5 }, /^DP clip: 5, the manifest says 0\.7/],
      ['dpClip unset', { ...spec, dpClip: undefined }, /^DP clip: none, the manifest says 0\.7/],
      ['dpNoiseMultiplier', { ...spec, dpNoiseMultiplier: 0 }, /^DP noise multiplier: 0, the manifest says 1/],
      ['seed', { ...spec, seed: 2 }, /^seed: 2, the manifest says 1/],
      ['rounds', { ...spec, rounds: 50 }, /^rounds: 50, the manifest says 5/],
      ['round 0', spec, /^round 0: the manifest has rounds 1 to 5/, 0],
      ['beyond rounds', spec, /^round 6: the manifest has rounds 1 to 5/, 6],
    ];
    for (const [what, s, why, round] of cases) expect(departure(m, 'train', round ?? 1, s), what).toMatch(why);
    expect(departure(m, 'evaluate', 6, spec)).toMatch(/^round 6:/);
    expect(departure(m, 'stats', 3, spec)).toMatch(/^column statistics are asked once, in round 0, not in round 3/);
  });

  it('column statistics belong to federated scaling only', () => {
    const standard = termsOf('exp-s', { data: { ...HEART_DISEASE.experiment.data, scaling: 'standard' } });
    const rec = { ...recordOf(standard), stats: undefined };
    const spec = taskSpecFor(rec, 1, 3);
    expect(departure(standard.manifest, 'train', 1, spec)).toBeUndefined();
    expect(departure(standard.manifest, 'stats', 0, taskSpecFor(rec, 0, 0))).toMatch(
      /^column statistics: the manifest does not ask for them \(data\.scaling is not federated, no data\.analysis\)/,
    );
    // Statistics slipped into the data of a site that scales by its own rows: they would change its model.
    const injected = { ...spec, data: { ...csv(spec), stats: { age: { fill: 0, mean: 0, std: 1 } } } };
    expect(departure(standard.manifest, 'train', 1, injected)).toMatch(
      /^data\.stats: column statistics the manifest does not provide for/,
    );
    // Under federated scaling the coordinator's statistics are expected.
    expect(
      departure(m, 'train', 1, { ...honest(), data: { ...csv(honest()), stats: { x: { fill: 1, mean: 1, std: 2 } } } }),
    ).toBeUndefined();
  });
});

describe('approvals', () => {
  const terms = termsOf();

  it('a real approval verifies against the roster key and the manifest hash', () => {
    const a = signApproval(ids.a, 'a', terms, 'policy');
    expect(a).toMatchObject({ site: 'a', experimentId: 'exp-1', manifestHash: terms.hash, how: 'policy' });
    expect(approvalProblem(a, roster.keyOf('a'), terms.hash)).toBeUndefined();
    expect(approvalProblem(a, roster.keyOf('a'))).toBeUndefined();
  });

  it('rejects another site key, another manifest, a tampered field and a site off the roster', () => {
    const a = signApproval(ids.a, 'a', terms, 'policy');
    // b signs in a's name, or a's approval is checked against b's roster entry.
    expect(approvalProblem(signApproval(ids.b, 'a', terms, 'policy'), roster.keyOf('a'), terms.hash)).toBe(
      "a's approval is signed by a key that is not its roster key",
    );
    expect(approvalProblem(a, roster.keyOf('b'), terms.hash)).toMatch(/not its roster key/);
    const other = termsOf('exp-1', { rounds: 6 });
    expect(approvalProblem(a, roster.keyOf('a'), other.hash)).toBe(
      `a approved manifest ${terms.hash.slice(0, 16)}, not ${other.hash.slice(0, 16)}`,
    );
    const tampered: Approval[] = [
      { ...a, how: 'manual' },
      { ...a, approvedAt: new Date(0).toISOString() },
      { ...a, experimentId: 'exp-2' },
      { ...a, manifestHash: other.hash },
    ];
    for (const t of tampered)
      expect(approvalProblem(t, roster.keyOf('a'))).toBe("a's approval signature does not verify");
    const x = generateIdentity();
    expect(approvalProblem(signApproval(x, 'x', terms, 'manual'), roster.keyOf('x'), terms.hash)).toBe(
      'x is not on the roster',
    );
  });
});

describe('roster', () => {
  const text = (id: Identity) => publicKeyText(id.publicKey);

  it('rejects one key under two names, a malformed key and an empty roster', () => {
    const twice = thrown(() => Roster.parse({ sites: { a: text(ids.a), b: text(ids.a) } }));
    expect([twice.code, twice.message]).toEqual(['BAD_ROSTER', 'roster: b and a share one public key']);
    // A site listed twice in the file (the later entry would silently win) is refused by name.
    const file = path.join(os.tmpdir(), `accord-roster-twice-${process.pid}.yaml`);
    fs.writeFileSync(file, `sites:\n  a: ${text(ids.a)}\n  b: ${text(ids.b)}\n  a: ${text(ids.b)}\n`);
    expect(thrown(() => Roster.load(file)).message).toMatch(/"a" is listed twice/);
    fs.rmSync(file);
    for (const bad of ['ed25519:abc', `rsa:${text(ids.a).slice(8)}`, text(ids.a).slice(0, -4), ''])
      expect(thrown(() => Roster.parse({ sites: { a: bad } })).message).toMatch(
        /sites\.a: expected ed25519:<base64 of 32 bytes>/,
      );
    expect(thrown(() => Roster.parse({ sites: {} }, 'pinned')).message).toBe('pinned: lists no site');
    expect(thrown(() => Roster.parse({ sites: { 'a b': text(ids.a) } })).code).toBe('BAD_ROSTER');
    expect(thrown(() => Roster.parse({ sites: { a: text(ids.a) }, extra: 1 })).code).toBe('BAD_ROSTER');
  });

  it('its hash does not depend on key order, and is the hash of the roster built from keys', () => {
    const one = Roster.parse({ sites: { a: text(ids.a), b: text(ids.b), c: text(ids.c) } });
    const two = Roster.parse({ sites: { c: text(ids.c), a: text(ids.a), b: text(ids.b) } });
    expect(one.hash).toBe(two.hash);
    expect(one.hash).toBe(roster.hash);
    expect(Roster.parse(roster.toJSON()).hash).toBe(roster.hash);
    expect(one.keyOf('b')?.equals(ids.b.publicKey)).toBe(true);
    expect(one.keyOf('d')).toBeUndefined();
    // Another key for one site is another roster.
    expect(Roster.fromKeys({ a: ids.a.publicKey, b: ids.b.publicKey, c: generateIdentity().publicKey }).hash).not.toBe(
      roster.hash,
    );
  });
});

describe('SiteTrust', () => {
  const silent = createLogger('trust-test', 'silent');
  const spec = (t: SignedTerms) => ({ manifestHash: t.hash, manifestJson: t.json });

  function siteTrust(opts: { policy?: object | undefined; dir?: string; roster?: Roster } = {}) {
    const onApproval = vi.fn(async (_a: Approval, _t: SignedTerms) => {});
    const store = new ApprovalStore(opts.dir);
    const trust = new SiteTrust({
      site: 'a',
      identity: ids.a,
      roster: opts.roster ?? roster,
      policy: opts.policy === undefined ? undefined : sitePolicySchema.parse(opts.policy),
      store,
      log: silent,
      onApproval,
    });
    return { trust, store, onApproval };
  }

  it('refuses a roster that lists another key for the site, or not the site at all', () => {
    const moved = Roster.fromKeys({ a: generateIdentity().publicKey, b: ids.b.publicKey });
    const e = thrown(() => siteTrust({ roster: moved }));
    expect(e.code).toBe('ROSTER_MISMATCH');
    expect(e.message).toMatch(/the roster lists a with key [0-9a-f]{16}, but this site's identity is/);
    const without = Roster.fromKeys({ b: ids.b.publicKey });
    expect(thrown(() => siteTrust({ roster: without })).message).toMatch(/does not list this site \(a\)/);
  });

  it('an auto-approving policy approves once, signs it, and tells the coordinator once', async () => {
    const { trust, store, onApproval } = siteTrust({ policy: { autoApprove: true } });
    const terms = termsOf();
    const got = await trust.termsFor('exp-1', spec(terms));
    expect(got.hash).toBe(terms.hash);
    await trust.termsFor('exp-1', spec(terms));
    expect(onApproval).toHaveBeenCalledTimes(1);
    const [approval] = onApproval.mock.calls[0]!;
    expect(approval).toMatchObject({ site: 'a', how: 'policy', manifestHash: terms.hash });
    expect(approvalProblem(approval, roster.keyOf('a'), terms.hash)).toBeUndefined();
    expect(store.approved(terms.hash)).toEqual(approval);
    expect(trust.approvedTerms('exp-1', terms.hash).hash).toBe(terms.hash);
    // On a new session (another coordinator, or a restart) the approval is sent again, once.
    trust.resendApprovals();
    await trust.termsFor('exp-1', spec(terms));
    expect(onApproval).toHaveBeenCalledTimes(2);
  });

  it('a manifest that breaks the policy is refused outright: nobody is asked to approve it', async () => {
    const dir = path.join(root, 'approvals-refused');
    const { trust, store, onApproval } = siteTrust({ policy: { autoApprove: true, maxRounds: 3 }, dir });
    const terms = termsOf();
    const e = await rejected(trust.termsFor('exp-1', spec(terms)));
    expect(e.code).toBe('POLICY_REFUSED');
    expect(e.message).toMatch(/refused by the site's policy: maxRounds: the experiment runs 5 rounds/);
    expect(fs.existsSync(store.pendingFile(terms.hash))).toBe(false);
    expect(onApproval).not.toHaveBeenCalled();
  });

  it('with manual approval a manifest stays pending; a person approves it later', async () => {
    const dir = path.join(root, 'approvals-a');
    const { trust, store, onApproval } = siteTrust({ policy: { maxRounds: 10 }, dir });
    const terms = termsOf();
    const e = await rejected(trust.termsFor('exp-1', spec(terms)));
    expect(e.code).toBe('NOT_APPROVED');
    expect(e.message).toMatch(/is not approved by this site: approval is manual/);
    expect(e.message).toContain(`accord approve ${store.pendingFile(terms.hash)}`);
    expect(fs.existsSync(store.pendingFile(terms.hash))).toBe(true);
    expect(onApproval).not.toHaveBeenCalled();
    expect(thrown(() => trust.approvedTerms('exp-1', terms.hash)).code).toBe('NOT_APPROVED');
    await trust.pollApprovals(); // nobody approved yet
    expect(onApproval).not.toHaveBeenCalled();
    // accord approve, in another process: reads the pending file, signs, writes approved/<hash>.json.
    const pending = parseManifest(fs.readFileSync(store.pendingFile(terms.hash), 'utf8'));
    expect(pending.hash).toBe(terms.hash);
    new ApprovalStore(dir).save(signApproval(ids.a, 'a', pending, 'manual'), pending);
    expect(fs.existsSync(store.pendingFile(terms.hash))).toBe(false);
    await trust.pollApprovals();
    expect(onApproval).toHaveBeenCalledTimes(1);
    const [approval, sentTerms] = onApproval.mock.calls[0]!;
    expect(approval).toMatchObject({ site: 'a', how: 'manual', manifestHash: terms.hash });
    expect(sentTerms.hash).toBe(terms.hash);
    await trust.pollApprovals();
    expect(onApproval).toHaveBeenCalledTimes(1);
    // The task now runs, without sending the approval again.
    expect((await trust.termsFor('exp-1', spec(terms))).hash).toBe(terms.hash);
    expect(onApproval).toHaveBeenCalledTimes(1);
    // A new process on the same directory finds the approval on disk.
    const again = siteTrust({ policy: {}, dir });
    expect((await again.trust.termsFor('exp-1', spec(terms))).hash).toBe(terms.hash);
    expect(again.onApproval).toHaveBeenCalledTimes(1);
  });

  it('without a policy every manifest waits for a person', async () => {
    const { trust, onApproval } = siteTrust();
    const e = await rejected(trust.termsFor('exp-1', spec(termsOf())));
    expect([e.code, e.message]).toEqual([
      'NOT_APPROVED',
      expect.stringMatching(/is not approved by this site: approval is manual$/),
    ]);
    expect(onApproval).not.toHaveBeenCalled();
  });

  it('refuses a changed manifest, another roster, another experiment, no manifest and unapproved terms', async () => {
    const { trust } = siteTrust({ policy: { autoApprove: true } });
    const terms = termsOf();
    await trust.termsFor('exp-1', spec(terms));
    const changed = await rejected(trust.termsFor('exp-1', spec(termsOf('exp-1', { rounds: 4 }))));
    expect(changed.code).toBe('MANIFEST_CHANGED');
    expect(changed.message).toMatch(`this site approved ${terms.hash.slice(0, 16)}`);
    const elsewhere = Roster.fromKeys({ a: ids.a.publicKey, b: ids.b.publicKey });
    const otherRoster = await rejected(trust.termsFor('exp-2', spec(termsOf('exp-2', {}, elsewhere))));
    expect(otherRoster.code).toBe('ROSTER_MISMATCH');
    expect(otherRoster.message).toMatch(`this site pinned ${roster.hash.slice(0, 16)}`);
    expect((await rejected(trust.termsFor('exp-3', spec(terms)))).code).toBe('OUTSIDE_MANIFEST');
    const none = await rejected(trust.termsFor('exp-1', { manifestHash: '', manifestJson: '' }));
    expect(none.code).toBe('BAD_MANIFEST');
    // The text must hash to the hash the task names.
    const four = termsOf('exp-4', { rounds: 4 });
    const lying = await rejected(
      trust.termsFor('exp-4', { manifestHash: four.hash, manifestJson: termsOf('exp-4').json }),
    );
    expect(lying.code).toBe('BAD_MANIFEST');
    expect(lying.message).toMatch(/the manifest hashes to/);
    // Once a hash is known, its checked terms are what the task runs under, whatever text comes along.
    const known = await trust.termsFor('exp-1', { manifestHash: terms.hash, manifestJson: four.json });
    expect(known.manifest.config.rounds).toBe(5);
    const unapproved = thrown(() => trust.approvedTerms('exp-1', termsOf('exp-1', { rounds: 4 }).hash));
    expect(unapproved.code).toBe('NOT_APPROVED');
    expect(thrown(() => trust.approvedTerms('exp-1', '')).message).toMatch(/manifest \(none\)/);
    expect(thrown(() => trust.approvedTerms('exp-9', terms.hash)).code).toBe('OUTSIDE_MANIFEST');
  });
});

describe('verifyReport', () => {
  const terms = termsOf();

  /** A real audit log of `site`: three entries, the head signed with its identity. */
  function auditOf(site: 'a' | 'b'): { lines: string[]; head: SignedAuditHead } {
    const file = path.join(root, `audit-${site}-${Math.random().toString(36).slice(2)}.jsonl`);
    const log = new AuditLog(file, { site, identity: ids[site] });
    log.note('approval', { experiment: 'exp-1', manifest: terms.hash });
    log.note('update', { round: 1, bytes: 128 });
    log.note('update', { round: 2, bytes: 128 });
    const head = log.signedHead()!;
    log.close();
    return { lines: fs.readFileSync(file, 'utf8').split('\n'), head };
  }

  function fixture() {
    const logs = { a: auditOf('a'), b: auditOf('b') };
    const report = {
      experiment: { id: 'exp-1' },
      rounds: [
        { participants: ['a', 'b'], train: { a: {}, b: {} } },
        { participants: ['a', 'b'], siteEval: { a: {}, b: {} } },
      ],
      trust: {
        manifestHash: terms.hash,
        manifest: JSON.parse(terms.json),
        roster: roster.toJSON(),
        approvals: [signApproval(ids.a, 'a', terms, 'policy'), signApproval(ids.b, 'b', terms, 'manual')],
        auditHeads: { a: logs.a.head, b: logs.b.head },
      },
    } satisfies ReportToVerify;
    const lines: Record<string, string[]> = { a: logs.a.lines, b: logs.b.lines };
    return { report, lines, auditLines: (s: string) => lines[s] };
  }

  it('an honest report verifies', () => {
    const f = fixture();
    const v = verifyReport(f.report, { roster, auditLines: f.auditLines });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.lines.join('\n')).toMatch(/approvals: 2 valid \(a, b\); 2 sites took part/);
    expect(v.lines.join('\n')).toMatch(/a: audit head signed and found in its intact log \(entry 3 of 3\)/);
    // Only the verifier's own copy of the roster counts: the report's alone proves nothing.
    expect(verifyReport(f.report, { auditLines: f.auditLines }).problems.join('\n')).toMatch(
      /no roster to check against/,
    );
  });

  it('a forged approval signature, or a missing approval, fails naming the site', () => {
    const f = fixture();
    // b signs an approval in a's name and puts a's public key on it.
    const forged = { ...signApproval(ids.b, 'a', terms, 'policy'), publicKey: publicKeyText(ids.a.publicKey) };
    const v = verifyReport(
      {
        ...f.report,
        trust: { ...f.report.trust, approvals: [forged, f.report.trust.approvals[1]] },
      },
      { roster },
    );
    expect(v.ok).toBe(false);
    expect(v.problems).toContain("a's approval signature does not verify");
    expect(v.problems).toContain('a took part but the report holds no valid approval from it');
    const missing = verifyReport(
      {
        ...f.report,
        trust: { ...f.report.trust, approvals: [f.report.trust.approvals[0]] },
      },
      { roster },
    );
    expect(missing.ok).toBe(false);
    expect(missing.problems).toEqual(['b took part but the report holds no valid approval from it']);
    // An approval of other terms does not count either.
    const other = signApproval(ids.b, 'b', termsOf('exp-1', { rounds: 6 }), 'policy');
    const stale = verifyReport(
      {
        ...f.report,
        trust: { ...f.report.trust, approvals: [f.report.trust.approvals[0], other] },
      },
      { roster },
    );
    expect(stale.problems.join('\n')).toMatch(/b approved manifest/);
  });

  it('a roster that is not the one the manifest names fails', () => {
    const f = fixture();
    const bigger = Roster.fromKeys({
      a: ids.a.publicKey,
      b: ids.b.publicKey,
      c: ids.c.publicKey,
      d: generateIdentity().publicKey,
    });
    const v = verifyReport({ ...f.report, trust: { ...f.report.trust, roster: bigger.toJSON() } }, { roster });
    expect(v.ok).toBe(false);
    expect(v.problems).toContain('the roster the report carries is not the one given');
    expect(verifyReport(f.report, { roster: bigger }).problems.join('\n')).toMatch(/the roster hashes to/);
  });

  it('a truncated log (the head is not in it) or an edited line fails naming the site', () => {
    const f = fixture();
    const truncated = verifyReport(f.report, {
      roster,
      auditLines: (s) => (s === 'a' ? f.lines['a']!.slice(0, 2) : f.lines[s]),
    });
    expect(truncated.ok).toBe(false);
    expect(truncated.problems).toEqual([
      `a: the signed head (entry 3, ${f.report.trust.auditHeads.a.hash.slice(0, 16)}) is not in its audit log`,
    ]);
    const edited = [...f.lines['b']!];
    const entry = JSON.parse(edited[1]!);
    entry.detail.bytes = 64;
    edited[1] = JSON.stringify(entry);
    const v = verifyReport(f.report, { roster, auditLines: (s) => (s === 'b' ? edited : f.lines[s]) });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual(['b: audit log line 2: entry 2 was changed: its hash does not match its content']);
    // A head signed by another key (or edited after signing) is refused before the log is read.
    const headForged = { ...f.report.trust.auditHeads.a, entries: 2 };
    const h = verifyReport(
      {
        ...f.report,
        trust: { ...f.report.trust, auditHeads: { ...f.report.trust.auditHeads, a: headForged } },
      },
      { roster },
    );
    expect(h.problems.join('\n')).toMatch(/a: the audit head [0-9a-f]{16} is not signed by a's roster key/);
  });

  it('a site that took part without a signed audit head in the report fails', () => {
    const f = fixture();
    const v = verifyReport(
      { ...f.report, trust: { ...f.report.trust, auditHeads: { a: f.report.trust.auditHeads.a } } },
      { roster, auditLines: f.auditLines },
    );
    expect(v.problems).toEqual(['b took part but the report holds no signed audit head from it']);
  });

  it('a report without a manifest, or whose manifest does not hash to its hash, fails', () => {
    const f = fixture();
    expect(verifyReport({ ...f.report, trust: {} }, { roster }).ok).toBe(false);
    const m = { ...f.report.trust.manifest, experimentId: 'exp-2' };
    const v = verifyReport({ ...f.report, trust: { ...f.report.trust, manifest: m } }, { roster });
    expect(v.problems.join('\n')).toMatch(/the manifest hashes to [0-9a-f]{16}, the report says/);
    expect(v.problems.join('\n')).toMatch(/the manifest is for experiment exp-2, the report for exp-1/);
  });
});

describe('release ledger', () => {
  it('keeps retried attempts within roundAttempts and a masked or noised update to one per round, across restarts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-ledger-'));
    const terms = buildManifest('exp-ledger', parseExperiment({ ...HEART_DISEASE.experiment, roundAttempts: 3 }), {
      sha256: 'r',
      sites: 3,
    });
    const ledger = new ReleaseLedger(dir);
    ledger.claim(terms, 'train', 1, 1);
    ledger.claim(terms, 'train', 1, 2); // a retried round: allowed within the manifest's attempts
    ledger.claim(terms, 'train', 1, 2); // the same attempt asked again (a retried job): no change
    expect(thrown(() => ledger.claim(terms, 'train', 1, 4)).code).toBe('OUTSIDE_MANIFEST');
    expect(thrown(() => ledger.claim(terms, 'evaluate', 2, 0)).code).toBe('OUTSIDE_MANIFEST');
    ledger.claim(terms, 'update-once', 1, 1);
    ledger.claim(terms, 'update-once', 1, 1);
    const again = thrown(() => ledger.claim(terms, 'update-once', 1, 2));
    expect(again.code).toBe('OUTSIDE_MANIFEST');
    expect(again.message).toMatch(/already released its noised update in attempt 1/);
    ledger.claim(terms, 'update-once', 2, 2); // another round is another release
    // A restarted worker remembers what it released.
    expect(thrown(() => new ReleaseLedger(dir).claim(terms, 'update-once', 1, 3)).code).toBe('OUTSIDE_MANIFEST');
  });
});
