// The audit log: one JSON line for every message that left the site, so a hospital can check that
// only its declaration, weight deltas and metrics were sent. Tensor payloads are logged by size and
// SHA-256, never by value; the token is never logged.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkerMessage } from '../shared/protocol/load.js';

export interface AuditEntry {
  at: string;
  type: string;
  taskId?: string;
  round?: number;
  seq?: number;
  last?: boolean;
  bytes?: number;
  sha256?: string;
  examples?: number;
  values?: Record<string, number>;
  detail?: unknown;
}

export function describe(msg: WorkerMessage): AuditEntry {
  const at = new Date().toISOString();
  if (msg.hello) {
    const { token, ...rest } = msg.hello;
    void token;
    return { at, type: 'hello', detail: { ...rest, token: '<redacted>' } };
  }
  if (msg.updateChunk) {
    const data = msg.updateChunk.data as Buffer;
    return {
      at,
      type: 'update_chunk',
      taskId: msg.updateChunk.taskId ?? '',
      seq: msg.updateChunk.seq ?? 0,
      last: msg.updateChunk.last ?? false,
      bytes: data.byteLength,
      sha256: crypto.createHash('sha256').update(data).digest('hex'),
    };
  }
  if (msg.metrics) {
    return {
      at,
      type: 'metrics',
      taskId: msg.metrics.taskId ?? '',
      round: msg.metrics.round ?? 0,
      examples: Number(msg.metrics.examples ?? 0),
      values: msg.metrics.values as Record<string, number>,
    };
  }
  if (msg.secaggResponse) {
    const r = msg.secaggResponse;
    const hash = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
    return {
      at,
      type: 'secagg_response',
      taskId: r.taskId ?? '',
      detail: {
        stage: r.stage,
        ...(r.cPk ? { publicKeys: [hash(r.cPk as Uint8Array), hash(r.sPk as Uint8Array)] } : {}),
        ...(r.shares?.length
          ? { sealedShares: r.shares.map((x) => ({ to: x.to, bytes: (x.sealed as Uint8Array).byteLength })) }
          : {}),
        ...(r.revealed?.length ? { revealed: r.revealed.map((x) => ({ owner: x.owner, kind: x.kind })) } : {}),
      },
    };
  }
  if (msg.heartbeat) return { at, type: 'heartbeat' };
  if (msg.error)
    return {
      at,
      type: 'error',
      taskId: msg.error.taskId ?? '',
      detail: { code: msg.error.code, message: msg.error.message },
    };
  return { at, type: 'unknown' };
}

export class AuditLog {
  private fd: number | undefined;
  constructor(readonly file: string | undefined) {
    if (file) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.fd = fs.openSync(file, 'a');
    }
  }
  record(msg: WorkerMessage): AuditEntry {
    const entry = describe(msg);
    if (this.fd !== undefined) fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    return entry;
  }
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

export function readAudit(file: string): AuditEntry[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}
