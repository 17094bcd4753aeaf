// The site's audit log as a hash chain: each JSON line carries its position (`seq`), the hash of the
// line before it (`prev`) and its own hash, so changing, deleting or reordering any line breaks the
// chain at that line. The head (entries, last hash) is signed with the site's identity key and sent
// after each task: a tail cut off or rewritten later no longer holds the head the site reported.
// Pure functions; reading and writing the file is worker/audit.ts's business.
import { canonicalJson, sha256Hex } from './canonical.js';
import { type Identity, signAs, verifyAs } from './identity.js';

/** Where a chain stands: how many entries it has and the hash of the last one. */
export interface AuditHead {
  entries: number;
  hash: string;
}

/** The chain's own fields of an entry. */
export interface ChainFields {
  /** Position in the chain: 1, 2, 3, ... */
  seq: number;
  /** Hash of the entry before; 64 zeros for the first. */
  prev: string;
  /** SHA-256 (hex) of the entry's canonical JSON without this field. */
  hash: string;
}

/** One chained entry: the body's fields plus the chain's own three. */
export type ChainedEntry<B extends Record<string, unknown> = Record<string, unknown>> = B & ChainFields;

export type ChainCheck = { ok: true; head: AuditHead } | { ok: false; line: number; problem: string };

/** `prev` of the first entry, and the hash of an empty chain. */
export const GENESIS = '0'.repeat(64);

export const EMPTY_HEAD: AuditHead = { entries: 0, hash: GENESIS };

const CHAIN_FIELDS = ['seq', 'prev', 'hash'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const DOMAIN = 'audit-head';

function entryHash(entry: Record<string, unknown>): string {
  const { hash, ...rest } = entry;
  void hash;
  return sha256Hex(canonicalJson(rest));
}

/**
 * The entry after `prev` holding `body` (plain JSON data), and its line (without the newline).
 * The body must not set `seq`, `prev` or `hash`.
 */
export function chainEntry<B extends Record<string, unknown>>(
  prev: AuditHead,
  body: B,
): { entry: ChainedEntry<B>; line: string } {
  for (const f of CHAIN_FIELDS)
    if (f in body) throw new Error(`audit entry body must not set "${f}": the chain owns it`);
  // Through JSON first, so the entry hashed is exactly the one a reader parses back from the line.
  const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const unhashed = { seq: prev.entries + 1, ...plain, prev: prev.hash };
  const entry = { ...unhashed, hash: entryHash(unhashed) } as ChainedEntry<B>;
  return { entry, line: JSON.stringify(entry) };
}

interface Parsed {
  seq: number;
  prev: string;
  hash: string;
  fields: Record<string, unknown>;
}

/** The entry on one line, or why it is not one. */
function parseLine(text: string): Parsed | string {
  if (text.trim() === '') return 'empty line inside the log';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const fields = v as Record<string, unknown>;
  const { seq, prev, hash } = fields;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return 'no entry number (seq)';
  if (typeof prev !== 'string' || !HEX64.test(prev)) return 'no previous hash (prev)';
  if (typeof hash !== 'string' || !HEX64.test(hash)) return 'no hash';
  return { seq, prev, hash, fields };
}

/** Lines up to the last non-empty one: empty lines at the very end are only the final newline(s). */
function meaningful(lines: readonly string[]): readonly string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end);
}

/** Line (1-based) of the entry numbered `seq` after line `from`, if one is there. */
function findSeq(lines: readonly string[], seq: number, from: number): number | undefined {
  for (let i = from; i < lines.length; i++) {
    const p = parseLine(lines[i]!);
    if (typeof p !== 'string' && p.seq === seq) return i + 1;
  }
  return undefined;
}

/**
 * Checks the whole chain. On failure names the first line that was changed (its hash does not
 * recompute, or the next entry's `prev` no longer matches it), deleted (entry numbers jump), reordered
 * or is not an entry at all.
 */
export function verifyChain(lines: readonly string[]): ChainCheck {
  const body = meaningful(lines);
  let head: AuditHead = EMPTY_HEAD;
  for (let i = 0; i < body.length; i++) {
    const line = i + 1;
    const p = parseLine(body[i]!);
    if (typeof p === 'string') return { ok: false, line, problem: p };
    let hash: string;
    try {
      hash = entryHash(p.fields);
    } catch {
      return { ok: false, line, problem: `entry ${p.seq} was changed: it has no canonical form` };
    }
    if (hash !== p.hash)
      return { ok: false, line, problem: `entry ${p.seq} was changed: its hash does not match its content` };
    // The hash covers the parsed entry; the line must also be exactly as the site wrote it, so a
    // duplicated key (which readers resolve differently) or extra text cannot hide an edit.
    if (JSON.stringify(JSON.parse(body[i]!)) !== body[i])
      return { ok: false, line, problem: `entry ${p.seq} was changed: the line is not in the form the site wrote` };
    const expected = head.entries + 1;
    if (p.seq > expected) {
      const at = findSeq(body, expected, i + 1);
      return at
        ? { ok: false, line, problem: `entry ${expected} is out of order: it is at line ${at}` }
        : { ok: false, line, problem: `entry ${expected} is missing before line ${line}` };
    }
    if (p.seq < expected)
      return {
        ok: false,
        line,
        problem: `entry ${p.seq} is out of order: it comes after entry ${head.entries}`,
      };
    if (p.prev !== head.hash)
      // Entry numbers run on, so the line before was rewritten (its hash recomputed to match).
      return line === 1
        ? { ok: false, line, problem: 'entry 1 does not start a chain (prev is not 64 zeros)' }
        : {
            ok: false,
            line: line - 1,
            problem: `entry ${head.entries} was changed: entry ${p.seq} (line ${line}) records a different hash for it`,
          };
    head = { entries: p.seq, hash: p.hash };
  }
  return { ok: true, head };
}

/** Whether the chain in `lines` holds `head`: its entry number `head.entries` has hash `head.hash`. */
export function headIn(lines: readonly string[], head: AuditHead): boolean {
  if (head.entries === 0) return head.hash === GENESIS;
  const body = meaningful(lines);
  for (const text of body) {
    const p = parseLine(text);
    if (typeof p !== 'string' && p.seq === head.entries) return p.hash === head.hash;
  }
  return false;
}

function signedPart(site: string, head: AuditHead): string {
  return canonicalJson({ site, entries: head.entries, hash: head.hash });
}

/** The site's signature (base64) on its chain head. */
export function signAuditHead(id: Identity, site: string, head: AuditHead): string {
  return signAs(id, DOMAIN, signedPart(site, head)).toString('base64');
}

/** Whether `signature` is `site`'s signature on `head` under `publicKey` (its roster key). */
export function verifyAuditHead(publicKey: Uint8Array, site: string, head: AuditHead, signature: string): boolean {
  try {
    return verifyAs(publicKey, DOMAIN, signedPart(site, head), Buffer.from(signature, 'base64'));
  } catch {
    // A key that is not a point on the curve is no key of this site.
    return false;
  }
}
