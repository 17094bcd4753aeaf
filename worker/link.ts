// The worker's session with the coordinator: dials out (coordinators.ts), lets the worker say Hello, keeps
// the session up with heartbeats, and after a lost or failed session dials again (reconnect.ts) or ends
// the worker: at once on a refusal, after a few attempts on a misconfiguration (connection-failure.ts).
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../shared/log/logger.js';
import type { CoordinatorMessage__Output, WorkerMessage } from '../shared/protocol/load.js';
import { classify, refusalOf } from './connection-failure.js';
import { Coordinators } from './coordinators.js';
import type { WorkerOptions } from './options.js';
import { Reconnect, type Verdict } from './reconnect.js';
import { probeTls } from './tls-probe.js';

export type Stream = grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>;
export type Welcome = NonNullable<CoordinatorMessage__Output['welcome']>;

/** What the worker does at each turn of its session. */
export interface LinkHooks {
  /** A stream is open: send Hello on it (with `workerInstance`). */
  opened(): void;
  welcomed(w: Welcome): void;
  /** Every message but the Welcome. */
  message(msg: CoordinatorMessage__Output): void;
  /** Each heartbeat interval while the session is up. */
  beat(): void;
  /** The stream closed (the worker dials again unless stopped or ended). */
  lost(): void;
  /** A refusal or a misconfiguration: the worker ends. */
  fatal(e: Error): void;
}

/** How long a session-level error waits for the coordinator's closing status before the site redials. */
const SESSION_ERROR_GRACE_MS = 5000;

export class CoordinatorLink {
  /**
   * This worker's id in its Hello, new per process (per site): the same worker reconnecting replaces its
   * old session, another worker for a site whose session is alive is refused.
   */
  readonly workerInstance = randomUUID();
  private readonly coordinators: Coordinators;
  private readonly reconnect: Reconnect;
  private stream?: Stream;
  /** Whether the current stream's session was welcomed. */
  private welcomed = false;
  private heartbeat?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
    private readonly hooks: LinkHooks,
  ) {
    this.coordinators = new Coordinators(opts);
    this.reconnect = new Reconnect({
      addresses: this.coordinators.addresses,
      maxBackoffMs: opts.maxBackoffMs,
      notify: opts.notify,
    });
  }

  /** The open stream, if any. */
  get current(): Stream | undefined {
    return this.stream;
  }

  connect(): void {
    if (this.stopped) return;
    const address = this.coordinators.address;
    const stream = this.coordinators.client().Session();
    this.stream = stream;
    this.welcomed = false;
    let closed = false;
    const close = () => {
      if (closed) return false;
      closed = true;
      clearInterval(this.heartbeat);
      this.hooks.lost();
      return !this.stopped;
    };
    stream.on('data', (msg: CoordinatorMessage__Output) => this.onMessage(msg, stream, address));
    stream.on('error', (e: grpc.ServiceError) => {
      const refusal = refusalOf(e, this.opts.site);
      if (!close()) return;
      if (refusal) this.hooks.fatal(refusal);
      else void this.retry(address, e.details || e.message);
    });
    stream.on('end', () => {
      if (close()) void this.retry(address, 'stream ended');
    });
    this.hooks.opened();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.stream?.cancel();
    this.coordinators.close();
  }

  /** After a lost session or a failed attempt at `address`: the next attempt, or the end. */
  private async retry(address: string, why: string): Promise<void> {
    const wasUp = this.welcomed;
    const next = this.coordinators.next();
    let verdict: Verdict;
    let cause: string | undefined;
    if (wasUp) verdict = this.reconnect.lost(next.wrapped);
    else {
      let failure = classify(why);
      // grpc-js often says only "Failed to connect": one TLS handshake of our own tells more.
      if (failure.kind === 'unclear')
        failure = (await probeTls(address, this.opts.tls).catch(() => undefined)) ?? failure;
      if (this.stopped) return;
      cause = failure.cause;
      verdict = this.reconnect.failed(address, failure, next.wrapped);
    }
    if ('fatal' in verdict) {
      this.hooks.fatal(verdict.fatal);
      return;
    }
    this.log.warn({ why, cause, retryInMs: verdict.retryInMs, next: next.address }, 'disconnected from coordinator');
    // The line for people went to `notify` (the CLI: stderr); the log gets the same as a record.
    if (verdict.notice) this.log.warn({ coordinator: address, cause }, 'coordinator unreachable');
    setTimeout(() => this.connect(), verdict.retryInMs);
  }

  private onMessage(msg: CoordinatorMessage__Output, stream: Stream, address: string): void {
    try {
      if (msg.body === 'welcome') {
        this.onWelcome(msg.welcome!, address);
        return;
      }
      // An error before the Welcome is a refusal; its status normally follows at once. If it does
      // not, drop the stream and dial again rather than wait on a session that never opened.
      if (msg.body === 'error' && !msg.error?.taskId && !this.welcomed)
        setTimeout(() => {
          if (this.stream === stream && !this.stopped) stream.cancel();
        }, SESSION_ERROR_GRACE_MS).unref();
      this.hooks.message(msg);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'bad message from coordinator');
    }
  }

  private onWelcome(w: Welcome, address: string): void {
    this.welcomed = true;
    if (this.reconnect.connected(address)) this.log.info({ coordinator: address }, 'coordinator reachable again');
    this.log.info({ session: w.sessionId, coordinator: w.coordinatorInstance }, 'connected');
    clearInterval(this.heartbeat);
    this.hooks.welcomed(w);
    this.heartbeat = setInterval(() => this.hooks.beat(), w.heartbeatMs || 2000);
    this.heartbeat.unref();
  }
}
