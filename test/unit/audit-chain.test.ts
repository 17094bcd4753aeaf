// The site's audit log is tamper-evident: a real AuditLog file, then each kind of tampering (a field
// changed, a line deleted, two lines swapped, the tail cut off) is named at its line, and the signed
// head catches what the chain alone cannot. `accord audit verify` is run as users run it.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccordError } from '../../shared/errors/index.js';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { headIn, signAuditHead, verifyAuditHead, verifyChain } from '../../shared/trust/audit-chain.js';
import { generateIdentity } from '../../shared/trust/identity.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { AuditLog, readAudit } from '../../worker/audit.js';

const TOKEN = 'super-secret-token-0123456789';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-audit-'));
const id = generateIdentity();
const gPk = crypto.randomBytes(32);
const seedCommitment = crypto.randomBytes(32);
const signature = crypto.randomBytes(64);
const keySignature = crypto.randomBytes(64);
const sealed = crypto.randomBytes(94);
const chunk = crypto.randomBytes(4000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A log of one site's session: hello, metrics, an update in two chunks, secure-aggregation keys. */
function writeLog(name: string): { file: string; log: AuditLog } {
  const file = path.join(dir, name);
  const log = new AuditLog(file, { site: 'cleveland', identity: id });
  log.record({
    hello: { siteId: 'cleveland', token: TOKEN, datasets: [{ name: 'heart', examples: 303 }], backend: 'cpu' },
  });
  log.record({ metrics: { taskId: 't1', round: 1, examples: 303, values: { loss: 0.5, accuracy: 0.75 } } });
  log.record({ updateChunk: { taskId: 't1', seq: 0, last: false, data: chunk } });
  log.record({ updateChunk: { taskId: 't1', seq: 1, last: true, data: chunk.subarray(0, 100) } });
  log.record({
    secaggResponse: {
      taskId: 't2',
      stage: 'advertise-keys',
      cPk: crypto.randomBytes(32),
      sPk: crypto.randomBytes(32),
      gPk,
      keySignature,
    },
  });
  log.record({
    secaggResponse: {
      taskId: 't3',
      stage: 'share-keys',
      seedCommitment,
      shares: [{ from: 'cleveland', to: 'va', sealed }],
    },
  });
  log.record({ secaggResponse: { taskId: 't4', stage: 'consistency-check', signature } });
  log.note('approval', { experimentId: 'e1', how: 'policy' });
  log.record({ heartbeat: { unixMs: 1234 } });
  return { file, log };
}

const linesOf = (file: string) => fs.readFileSync(file, 'utf8').split('\n');

function tampered(file: string, name: string, edit: (lines: string[]) => string[]): string {
  const out = path.join(dir, name);
  const lines = linesOf(file).filter(Boolean);
  fs.writeFileSync(out, `${edit(lines).join('\n')}\n`);
  return out;
}

function accord(args: string[]) {
  const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
    encoding: 'utf8',
    cwd: PACKAGE_ROOT,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('audit chain', () => {
  const { file, log } = writeLog('site.jsonl');
  const signed = log.signedHead()!;
  log.close();

  it('an intact log verifies, keeps its convenience fields and logs every field that left', () => {
    const check = verifyChain(linesOf(file));
    expect(check).toEqual({ ok: true, head: { entries: 9, hash: signed.hash } });
    expect(signed.entries).toBe(9);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(TOKEN);
    for (const b of [gPk, seedCommitment, signature, keySignature]) expect(text).toContain(b.toString('base64'));
    // Payloads by size and digest only.
    expect(text).not.toContain(chunk.toString('base64').slice(0, 40));
    expect(text).not.toContain(sealed.toString('base64'));

    const entries = readAudit(file);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(entries.map((e) => e.type)).toEqual([
      'hello',
      'metrics',
      'update_chunk',
      'update_chunk',
      'secagg_response',
      'secagg_response',
      'secagg_response',
      'approval',
      'heartbeat',
    ]);
    expect(entries[0]!.detail).toMatchObject({ siteId: 'cleveland', token: '<redacted>' });
    expect(entries[1]).toMatchObject({ taskId: 't1', round: 1, examples: 303, values: { loss: 0.5, accuracy: 0.75 } });
    expect(entries[2]).toMatchObject({
      taskId: 't1',
      chunk: 0,
      last: false,
      bytes: 4000,
      sha256: crypto.createHash('sha256').update(chunk).digest('hex'),
    });
    expect(entries[3]).toMatchObject({ chunk: 1, last: true, bytes: 100 });
    expect(entries[5]!.detail).toMatchObject({
      stage: 'share-keys',
      shares: [{ from: 'cleveland', to: 'va', sealed: { bytes: 94 } }],
    });
    expect(entries[7]).toMatchObject({ type: 'approval', note: true, detail: { experimentId: 'e1' } });
    expect(entries[8]!.detail).toEqual({ unixMs: 1234 });
  });

  it('a changed field is named at its line', () => {
    const bad = tampered(file, 'edited.jsonl', (l) => {
      l[1] = l[1]!.replace('"examples":303', '"examples":30');
      return l;
    });
    expect(verifyChain(linesOf(bad))).toEqual({
      ok: false,
      line: 2,
      problem: 'entry 2 was changed: its hash does not match its content',
    });
  });

  it('a line rewritten with its hash recomputed is named by the next entry', () => {
    const bad = tampered(file, 'rehashed.jsonl', (l) => {
      const e = JSON.parse(l[2]!) as Record<string, unknown>;
      e['bytes'] = 1;
      const { hash, ...rest } = e;
      void hash;
      const sorted = JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))));
      e['hash'] = crypto.createHash('sha256').update(sorted).digest('hex');
      l[2] = JSON.stringify(e);
      return l;
    });
    expect(verifyChain(linesOf(bad))).toEqual({
      ok: false,
      line: 3,
      problem: 'entry 3 was changed: entry 4 (line 4) records a different hash for it',
    });
  });

  it('a deleted middle line names the missing entry and where', () => {
    const bad = tampered(file, 'deleted.jsonl', (l) => l.filter((_, i) => i !== 4));
    expect(verifyChain(linesOf(bad))).toEqual({ ok: false, line: 5, problem: 'entry 5 is missing before line 5' });
  });

  it('two swapped lines are found at the first of them', () => {
    const bad = tampered(file, 'swapped.jsonl', (l) => {
      [l[3], l[4]] = [l[4]!, l[3]!];
      return l;
    });
    expect(verifyChain(linesOf(bad))).toEqual({
      ok: false,
      line: 4,
      problem: 'entry 4 is out of order: it is at line 5',
    });
  });

  it('a line that is not JSON is named', () => {
    const bad = tampered(file, 'garbled.jsonl', (l) => {
      l[6] = l[6]!.slice(0, 20);
      return l;
    });
    expect(verifyChain(linesOf(bad))).toEqual({ ok: false, line: 7, problem: 'not JSON' });
  });

  it('a cut tail still chains, but no longer holds the signed head; the signature binds the head', () => {
    const cut = tampered(file, 'cut.jsonl', (l) => l.slice(0, 6));
    expect(verifyChain(linesOf(cut))).toMatchObject({ ok: true, head: { entries: 6 } });
    const head = { entries: signed.entries, hash: signed.hash };
    expect(headIn(linesOf(file), head)).toBe(true);
    expect(headIn(linesOf(cut), head)).toBe(false);
    expect(verifyAuditHead(id.publicKey, 'cleveland', head, signed.signature)).toBe(true);
    // A head forged to match the cut log, signed by another key, or claimed for another site: refused.
    const cutHead = (verifyChain(linesOf(cut)) as { head: { entries: number; hash: string } }).head;
    expect(verifyAuditHead(id.publicKey, 'cleveland', cutHead, signed.signature)).toBe(false);
    expect(
      verifyAuditHead(id.publicKey, 'cleveland', cutHead, signAuditHead(generateIdentity(), 'cleveland', cutHead)),
    ).toBe(false);
    expect(verifyAuditHead(id.publicKey, 'va', head, signed.signature)).toBe(false);
    expect(verifyAuditHead(id.publicKey, 'cleveland', head, 'not a signature')).toBe(false);
  });

  it('a log without identity keeps its head in memory and signs nothing', () => {
    const mem = new AuditLog(undefined);
    mem.record({ heartbeat: { unixMs: 1 } });
    const e = mem.record({ heartbeat: { unixMs: 2 } });
    expect(e.seq).toBe(2);
    expect(mem.head()).toEqual({ entries: 2, hash: e.hash });
    expect(mem.signedHead()).toBeUndefined();
  });

  it('reopening a log continues its chain; reopening a tampered one is refused', () => {
    const { file: again, log: first } = writeLog('reopened.jsonl');
    first.close();
    const second = new AuditLog(again, { site: 'cleveland', identity: id });
    expect(second.head().entries).toBe(9);
    const e = second.note('refusal', { taskId: 't9', reason: 'manifest changed' });
    second.close();
    expect(e.seq).toBe(10);
    expect(verifyChain(linesOf(again))).toMatchObject({ ok: true, head: { entries: 10, hash: e.hash } });

    const bad = tampered(file, 'reopen-bad.jsonl', (l) => {
      l[1] = l[1]!.replace('"examples":303', '"examples":30');
      return l;
    });
    let err: unknown;
    try {
      new AuditLog(bad);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(AccordError);
    expect((err as AccordError).code).toBe('AUDIT_BROKEN');
    expect((err as Error).message).toContain(`${bad} line 2`);
    // The tampered file was not appended to.
    expect(readAudit(bad)).toHaveLength(9);
  });

  it('accord audit verify: exit 0 on an intact log, 1 naming the line after an edit, 2 for a missing file', () => {
    const ok = accord(['audit', 'verify', file, '--head', `${signed.entries}:${signed.hash}`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${file}: 9 entries, chain intact, head ${signed.hash.slice(0, 16)}`);

    const edited = path.join(dir, 'edited.jsonl');
    const bad = accord(['audit', 'verify', edited]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`${edited} line 2: entry 2 was changed: its hash does not match its content`);

    const cut = accord(['audit', 'verify', path.join(dir, 'cut.jsonl'), '--head', `${signed.entries}:${signed.hash}`]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/does not hold the reported head \(entry 9/);

    const missing = accord(['audit', 'verify', path.join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('ENOENT');
  });
});
