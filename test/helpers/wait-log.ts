// Waiting for events instead of sleeping: a pino logger whose records a test can await, and a
// timeout wrapper that names what it was waiting for.
import { Writable } from 'node:stream';
import pino from 'pino';

/** One parsed pino record (level is pino's number: 30 info, 40 warn, 50 error). */
export interface LogRecord {
  level: number;
  msg?: string;
  name?: string;
  [key: string]: unknown;
}

/** Polls `pred` (a state read back, e.g. from Redis) until it holds; fails naming `what` after `ms`. */
export async function waitUntil(pred: () => Promise<boolean>, ms: number, what: string, pollMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Rejects with `what` in the message unless `promise` settles within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Waiter {
  match: (r: LogRecord) => boolean;
  resolve: (r: LogRecord) => void;
}

/** A pino logger (pass `capture.log` as a component's `log:`) whose records are kept and can be awaited. */
export class LogCapture {
  readonly records: LogRecord[] = [];
  readonly log: pino.Logger;
  private readonly waiters = new Set<Waiter>();
  private partial = '';

  constructor(name: string, level: pino.LevelWithSilent = 'warn') {
    const sink = new Writable({
      write: (chunk: Buffer | string, _enc, done) => {
        this.accept(chunk.toString());
        done();
      },
    });
    this.log = pino({ name, level }, sink);
  }

  private accept(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        record = { level: 0, msg: line };
      }
      this.records.push(record);
      for (const w of [...this.waiters]) {
        if (w.match(record)) {
          this.waiters.delete(w);
          w.resolve(record);
        }
      }
    }
  }

  /** The first record (already logged or still to come) that matches; rejects after `timeoutMs`. */
  waitFor(match: (r: LogRecord) => boolean, timeoutMs: number, what: string): Promise<LogRecord> {
    const seen = this.records.find(match);
    if (seen) return Promise.resolve(seen);
    let waiter!: Waiter;
    const found = new Promise<LogRecord>((resolve) => {
      waiter = { match, resolve };
      this.waiters.add(waiter);
    });
    return withTimeout(found, timeoutMs, what).catch((e: unknown) => {
      this.waiters.delete(waiter);
      const got = this.records.map((r) => `${r.level} ${r.msg ?? ''}`).join('; ') || 'nothing';
      throw new Error(`${(e as Error).message} (logged so far: ${got})`);
    });
  }

  /** The first record whose msg is exactly `msg`. */
  waitForMessage(msg: string, timeoutMs: number): Promise<LogRecord> {
    return this.waitFor((r) => r.msg === msg, timeoutMs, `log record "${msg}"`);
  }
}
