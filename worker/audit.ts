// The audit log: one JSON line for every message that left the site, so a hospital can check that
// only its declaration, weight deltas, metrics and protocol keys were sent, plus notes of what it
// decided (approvals, refusals). The lines form a hash chain (shared/trust/audit-chain.ts), so a line
// changed, deleted or reordered later is found; the site signs the chain's head and reports it.
// Tensor payloads and sealed shares are logged by size and SHA-256, never by value; the token never.
import fs from 'node:fs';
import path from 'node:path';
import { TrustError } from '../shared/errors/index.js';
import type { WorkerMessage } from '../shared/protocol/load.js';
import { type AuditHead, chainEntry, EMPTY_HEAD, signAuditHead, verifyChain } from '../shared/trust/audit-chain.js';
import { sha256Hex } from '../shared/trust/canonical.js';
import type { Identity } from '../shared/trust/identity.js';

/** What one entry says, before the chain adds its fields. */
export interface AuditBody {
  at: string;
  /** The message kind in snake case (hello, update_chunk, ...) or, for a note, the note's kind. */
  type: string;
  /** A note: a decision on record that did not itself leave the site. */
  note?: true;
  taskId?: string;
  round?: number;
  /** update_chunk: the chunk's index within its update (the chain's own counter is `seq`). */
  chunk?: number;
  last?: boolean;
  bytes?: number;
  sha256?: string;
  examples?: number;
  values?: Record<string, number>;
  /** Every other field of the message, as it left (see `loggable`). */
  detail?: unknown;
}

/** One line of the log. */
export interface AuditEntry extends AuditBody {
  /** Position in the chain: 1, 2, 3, ... */
  seq: number;
  /** Hash of the entry before (64 zeros for the first). */
  prev: string;
  hash: string;
}

export interface SignedAuditHead extends AuditHead {
  /** base64 Ed25519 signature of the site's identity (shared/trust/audit-chain.ts). */
  signature: string;
}

/** Byte fields up to this size (keys, signatures, commitments) are logged by value. */
const SMALL_BYTES = 128;
/** Byte fields logged by size and digest whatever their size: tensors and ciphertexts. */
const PAYLOAD_FIELDS = new Set(['data', 'sealed']);

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
}

function isLong(v: object): v is LongLike {
  return 'low' in v && 'high' in v && 'unsigned' in v;
}

/**
 * A message field as it goes on record. Generic on purpose: a field added to the protocol is logged
 * without anyone remembering to add it here.
 */
function loggable(v: unknown, field?: string): unknown {
  if (v instanceof Uint8Array)
    return v.byteLength <= SMALL_BYTES && !(field && PAYLOAD_FIELDS.has(field))
      ? Buffer.from(v).toString('base64')
      : { bytes: v.byteLength, sha256: sha256Hex(v) };
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map((x) => loggable(x));
  if (v && typeof v === 'object') {
    if (isLong(v)) return v.toString();
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) out[k] = loggable(x, k);
    return out;
  }
  return v;
}

const snakeCase = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The entry body for a message about to leave the site. */
export function describe(msg: WorkerMessage): AuditBody {
  const at = new Date().toISOString();
  // The oneof's one set member; `body` only names it (and is absent on messages built by hand).
  const kind = Object.keys(msg).find(
    (k) => k !== 'body' && msg[k as keyof WorkerMessage] !== undefined && msg[k as keyof WorkerMessage] !== null,
  );
  if (!kind) return { at, type: 'unknown' };
  const raw = msg[kind as keyof WorkerMessage] as object;
  const fields = loggable(kind === 'hello' ? { ...raw, token: '<redacted>' } : raw) as Record<string, unknown>;
  const type = snakeCase(kind);
  // Convenience fields at the top (what readers filter on); all the rest stays in `detail`.
  const { taskId, ...rest } = fields;
  const body: AuditBody = { at, type, ...(typeof taskId === 'string' ? { taskId } : {}) };
  if (type === 'update_chunk') {
    const { seq, last, data, ...more } = rest;
    const d = data as { bytes: number; sha256: string } | undefined;
    Object.assign(body, { chunk: Number(seq ?? 0), last: last === true, bytes: d?.bytes ?? 0 });
    if (d) body.sha256 = d.sha256;
    return withDetail(body, more);
  }
  if (type === 'metrics') {
    const { round, examples, values, ...more } = rest;
    Object.assign(body, {
      round: Number(round ?? 0),
      examples: Number(examples ?? 0),
      values: (values ?? {}) as Record<string, number>,
    });
    return withDetail(body, more);
  }
  return withDetail(body, rest);
}

function withDetail(body: AuditBody, detail: Record<string, unknown>): AuditBody {
  return Object.keys(detail).length > 0 ? { ...body, detail } : body;
}

export class AuditLog {
  private fd: number | undefined;
  private current: AuditHead = EMPTY_HEAD;
  private readonly site: string | undefined;
  private readonly identity: Identity | undefined;

  /**
   * Opens (or starts) the log. An existing file is checked first and its chain continued: a broken one
   * is refused, so a site notices tampering when it starts rather than when an auditor does.
   */
  constructor(
    readonly file: string | undefined,
    opts: { site?: string; identity?: Identity } = {},
  ) {
    this.site = opts.site;
    this.identity = opts.identity;
    if (!file) return;
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    let text = '';
    if (fs.existsSync(file)) {
      text = fs.readFileSync(file, 'utf8');
      const check = verifyChain(text.split('\n'));
      if (!check.ok)
        throw new TrustError(
          'AUDIT_BROKEN',
          `audit log ${file} line ${check.line}: ${check.problem}; keep it for inspection and start a new log elsewhere (--audit)`,
        );
      this.current = check.head;
    }
    this.fd = fs.openSync(file, 'a');
    // A last line without its newline would run into the next entry.
    if (text.length > 0 && !text.endsWith('\n')) fs.writeSync(this.fd, '\n');
  }

  /** Records a message about to leave the site; returns its entry. */
  record(msg: WorkerMessage): AuditEntry {
    return this.append(describe(msg));
  }

  /** Records a decision that did not leave the site but must be on record (an approval, a refusal). */
  note(type: string, detail: Record<string, unknown>): AuditEntry {
    return this.append({ at: new Date().toISOString(), type, note: true, detail: loggable(detail) });
  }

  /** The chain's head: entries so far and the last entry's hash. */
  head(): AuditHead {
    return { ...this.current };
  }

  /** The head signed with the site's identity; undefined when the log has no site or identity. */
  signedHead(): SignedAuditHead | undefined {
    if (!this.identity || this.site === undefined) return undefined;
    const head = this.head();
    return { ...head, signature: signAuditHead(this.identity, this.site, head) };
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private append(body: AuditBody): AuditEntry {
    const { entry, line } = chainEntry(this.current, { ...body });
    // Written before the head moves: the head never names an entry that is not in the file.
    if (this.fd !== undefined) fs.writeSync(this.fd, `${line}\n`);
    this.current = { entries: entry.seq, hash: entry.hash };
    return entry;
  }
}

/** The entries of a log file, parsed (not verified: see verifyChain). */
export function readAudit(file: string): AuditEntry[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}
