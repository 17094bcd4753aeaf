// When to dial the coordinator again, and what a person hears about it. The wait doubles from 250 ms up
// to maxBackoffMs (default 1 s) with jitter, per full round of the coordinators given. After a few failed
// attempts in a row the worker says once, in words, that it cannot reach the coordinator and why, and
// once that it is back. A cause that waiting cannot heal (connection-failure.ts), seen on several
// attempts in a row, ends the worker with what to change instead of retrying forever.
import { ConfigError } from '../shared/errors/index.js';
import { configMessage, type Failure } from './connection-failure.js';

/** First wait before reconnecting; doubles per full round of coordinators up to maxBackoffMs. */
export const FIRST_BACKOFF_MS = 250;
/** Default longest wait between attempts. */
export const MAX_BACKOFF_MS = 1000;
/** Failed attempts in a row before the worker says it cannot reach the coordinator. */
export const NOTICE_AFTER = 3;
/** Attempts in a row that fail for a cause that cannot heal (and at least one per address) before the worker ends. */
export const CONFIG_ATTEMPTS = 3;
/** Wait before trying the next of several coordinators within one round. */
const NEXT_ADDRESS_MS = 200;

export interface ReconnectOptions {
  addresses: readonly string[];
  maxBackoffMs?: number | undefined;
  /** Where the human lines go (the CLI: stderr); they are also returned to the caller to log. */
  notify?: ((line: string) => void) | undefined;
}

/** Retry after `retryInMs`, saying `notice` (a line for people) if set; or end with `fatal`. */
export type Verdict = { retryInMs: number; notice?: string } | { fatal: ConfigError };

export class Reconnect {
  private backoffMs = FIRST_BACKOFF_MS;
  /** Attempts in a row without a Welcome. */
  private failures = 0;
  /** Of those, the last ones in a row whose cause cannot heal. */
  private configStreak = 0;
  /** Whether this outage was announced. */
  private noticed = false;
  private everConnected = false;
  /** The latest cause per address in this outage. */
  private readonly causes = new Map<string, string>();

  constructor(private readonly opts: ReconnectOptions) {}

  private get maxBackoffMs(): number {
    return this.opts.maxBackoffMs ?? MAX_BACKOFF_MS;
  }

  /** A Welcome at `address`: the outage (if one was announced) is over. Returns the line said, if any. */
  connected(address: string): string | undefined {
    let line: string | undefined;
    if (this.noticed) {
      line = this.everConnected
        ? `reconnected to the coordinator at ${address}`
        : `connected to the coordinator at ${address} (after ${this.failures} failed attempts)`;
      this.opts.notify?.(line);
    }
    this.everConnected = true;
    this.backoffMs = FIRST_BACKOFF_MS;
    this.failures = 0;
    this.configStreak = 0;
    this.noticed = false;
    this.causes.clear();
    return line;
  }

  /** A session that was up ended; `wrapped` when the next address starts a new round of them. */
  lost(wrapped: boolean): Verdict {
    return { retryInMs: this.wait(wrapped) };
  }

  /** An attempt at `address` failed before its Welcome, for `f`. */
  failed(address: string, f: Failure, wrapped: boolean): Verdict {
    this.failures++;
    this.causes.set(address, f.cause);
    this.configStreak = f.kind === 'config' ? this.configStreak + 1 : 0;
    if (this.configStreak >= Math.max(CONFIG_ATTEMPTS, this.opts.addresses.length))
      return { fatal: new ConfigError(configMessage(address, f)) };
    const retryInMs = this.wait(wrapped);
    if (this.failures < NOTICE_AFTER || this.noticed) return { retryInMs };
    this.noticed = true;
    const notice = this.notice();
    this.opts.notify?.(notice);
    return { retryInMs, notice };
  }

  private notice(): string {
    const every = `retrying every ${this.maxBackoffMs / 1000} s; check --coordinator`;
    const causes = [...this.causes];
    if (causes.length === 1) return `cannot reach the coordinator at ${causes[0]![0]}: ${causes[0]![1]} (${every})`;
    const each = causes.map(([a, c]) => `${a}: ${c}`).join('; ');
    return `cannot reach any coordinator (${each}) (${every})`;
  }

  /** The wait before the next attempt: short between addresses, backing off per full round. */
  private wait(wrapped: boolean): number {
    if (!wrapped) return NEXT_ADDRESS_MS;
    // Jitter spreads the sites' attempts when a coordinator comes back.
    const wait = Math.round(this.backoffMs * (0.8 + 0.4 * Math.random()));
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
    return wait;
  }
}
