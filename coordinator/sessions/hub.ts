// The gRPC entry point for workers: authenticates Hello, admits one worker process per site
// (admission.ts), keeps one Session per site on this coordinator instance, mirrors them into the Redis
// registry, and drops silent workers.

import crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { AccordError, AuthError, ProtocolError, TaskError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/log/logger.js';
import { MAX_CHUNK_BYTES } from '../../shared/protocol/chunks.js';
import type {
  AppRequest__Output,
  CoordinatorMessage,
  FederationHandlers,
  WorkerMessage__Output,
} from '../../shared/protocol/load.js';
import { Admission } from './admission.js';
import type { TokenBook } from './auth.js';
import type { WorkerRegistry } from './registry.js';
import { Session } from './session.js';
import type { SiteRecord } from './site-record.js';
import { type ValidHello, validateHello } from './validate.js';

type Call = grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>;

/**
 * Under mTLS a site's certificate names it (common name): a site presenting another site's
 * certificate, or a certificate that names no site, cannot open a session as `site`.
 */
function checkCertificateIdentity(call: Call, site: string): void {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert) return; // no client certificate: TLS without mTLS, or plaintext on loopback
  const cn = cert.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name !== site)
    throw new AuthError(`the client certificate is for "${name ?? '(no name)'}", not for site "${site}"`);
}

export interface SessionHubOptions {
  /** Name of this coordinator process in the registry. */
  instance: string;
  tokens: TokenBook;
  registry: WorkerRegistry;
  /** How often workers send heartbeats. Default 2000 ms. */
  heartbeatMs: number;
  /** Rows a site may declare: bounds its FedAvg weight. Default 10,000,000. */
  maxDeclaredRows?: number;
  /** Time allowed for Hello after the stream opens. Default 10000 ms. */
  helloTimeoutMs?: number;
  /**
   * A session that sends nothing for this long is dropped. Generous on purpose: a worker busy training
   * on a loaded machine may send its heartbeats late. Default max(30000, 3 x heartbeatMs).
   */
  livenessTimeoutMs?: number;
  /** A site's approval or audit head arrived (validated for shape and sender). */
  onSiteRecord?: (site: string, record: SiteRecord) => void;
  /** A site asked for an experiment's app by digest (app-server.ts). */
  onAppRequest?: (session: Session, req: AppRequest__Output) => void;
  /**
   * Whether a process of coordinator `instance` is connected to Redis (true when unknown): the registry
   * entry of a dead coordinator does not keep a site's new worker out (admission.ts).
   */
  holderAlive?: (instance: string) => Promise<boolean>;
  log: Logger;
}

/** Messages kept while a Hello is being admitted (a worker sends nothing before its Welcome). */
const EARLY_MESSAGES = 64;

/** The gRPC status of a refusal: the worker ends on the first three, and dials again on UNAVAILABLE. */
function statusOf(err: AccordError): grpc.status {
  if (err.code === 'SITE_IN_USE') return grpc.status.ALREADY_EXISTS;
  if (err instanceof AuthError) return grpc.status.UNAUTHENTICATED;
  if (err instanceof TaskError) return grpc.status.UNAVAILABLE;
  return grpc.status.INVALID_ARGUMENT;
}

export class SessionHub {
  private readonly sessions = new Map<string, Session>();
  private readonly sweep: NodeJS.Timeout;
  private readonly admission: Admission;

  constructor(private readonly opts: SessionHubOptions) {
    this.sweep = setInterval(() => void this.checkLiveness(), opts.heartbeatMs);
    this.sweep.unref();
    this.admission = new Admission({
      registry: opts.registry,
      livenessTimeoutMs: this.livenessTimeoutMs,
      ...(opts.holderAlive ? { holderAlive: opts.holderAlive } : {}),
    });
  }

  private get livenessTimeoutMs(): number {
    return this.opts.livenessTimeoutMs ?? Math.max(30_000, 3 * this.opts.heartbeatMs);
  }

  get(site: string): Session | undefined {
    const s = this.sessions.get(site);
    return s?.isOpen ? s : undefined;
  }

  list(): Session[] {
    return [...this.sessions.values()].filter((s) => s.isOpen);
  }

  handlers(): FederationHandlers {
    return { Session: (call: Call) => this.accept(call) };
  }

  private refuse(call: Call, err: AccordError, status: grpc.status): void {
    this.opts.log.warn({ code: err.code, err: err.message, peer: call.getPeer() }, 'refused worker');
    try {
      call.write({ error: { taskId: '', code: err.code, message: err.message } });
    } catch {
      // stream already closed
    }
    call.emit('error', { code: status, details: `${err.code}: ${err.message}` });
  }

  private accept(call: Call): void {
    if (this.closing) {
      this.refuse(call, new TaskError('the coordinator is shutting down', 'DISCONNECTED'), grpc.status.UNAVAILABLE);
      return;
    }
    let session: Session | undefined;
    // Once refused, a Hello that arrives late (a loaded coordinator) must not open a session on the
    // ended call: the site would think itself connected and never dial again.
    let refused = false;
    let ended = false;
    /** Set while the Hello is admitted: what arrives meanwhile waits for the session. */
    let early: WorkerMessage__Output[] | undefined;
    const refuse = (err: AccordError, status: grpc.status) => {
      refused = true;
      this.refuse(call, err, status);
    };
    const helloTimer = setTimeout(
      () =>
        refuse(new ProtocolError('no Hello within the time allowed', 'HELLO_TIMEOUT'), grpc.status.DEADLINE_EXCEEDED),
      this.opts.helloTimeoutMs ?? 10_000,
    );
    const end = (reason: string) => {
      ended = true;
      clearTimeout(helloTimer);
      session?.close(reason);
    };
    call.on('data', (msg: WorkerMessage__Output) => {
      if (session) return session.handle(msg);
      if (refused) return;
      if (early) {
        if (early.length < EARLY_MESSAGES) early.push(msg);
        return;
      }
      clearTimeout(helloTimer);
      let hello: ValidHello;
      try {
        hello = validateHello(msg.hello, this.opts.maxDeclaredRows);
        this.opts.tokens.check(hello.site, hello.token);
        checkCertificateIdentity(call, hello.site);
      } catch (e) {
        const err = e instanceof AccordError ? e : new ProtocolError(String(e));
        refuse(err, statusOf(err));
        return;
      }
      const waiting: WorkerMessage__Output[] = [];
      early = waiting;
      this.admit(call, hello, () => ended).then(
        (s) => {
          session = s;
          for (const m of waiting) s?.handle(m);
        },
        (e: unknown) => {
          const err = e instanceof AccordError ? e : new TaskError(`registration failed: ${String(e)}`, 'DISCONNECTED');
          refuse(err, statusOf(err));
        },
      );
    });
    call.on('end', () => {
      end('stream ended');
      try {
        call.end();
      } catch {
        // already ended
      }
    });
    call.on('error', (e: Error) => end(`stream error: ${e.message}`));
    call.on('cancelled', () => end('cancelled'));
    call.on('close', () => end('closed'));
  }

  /**
   * Opens a session for `hello` once admitted: refused (SITE_IN_USE) while another worker process holds
   * the site; undefined when the stream ended meanwhile.
   */
  private async admit(call: Call, hello: ValidHello, ended: () => boolean): Promise<Session | undefined> {
    this.admission.begin(hello.site, hello.workerInstance, this.get(hello.site));
    const session = new Session(
      crypto.randomUUID(),
      hello,
      call,
      this.opts.log,
      (s, reason) => {
        if (this.sessions.get(s.site) === s) this.sessions.delete(s.site);
        this.opts.log.info({ site: s.site, session: s.id, reason }, 'worker disconnected');
        void this.opts.registry.remove(s.site, s.id).catch(() => undefined);
      },
      this.opts.onSiteRecord,
      this.opts.onAppRequest,
    );
    try {
      await this.admission.claim(this.entryOf(session));
    } finally {
      this.admission.done(hello.site);
    }
    if (ended()) {
      await this.opts.registry.remove(hello.site, session.id).catch(() => undefined);
      return undefined;
    }
    // The same worker process again (its old stream broke): the new session replaces the old one.
    const previous = this.sessions.get(hello.site);
    if (previous) previous.close('replaced by a new session from the same site');
    this.sessions.set(hello.site, session);
    void session
      .send({
        welcome: {
          sessionId: session.id,
          coordinatorInstance: this.opts.instance,
          heartbeatMs: this.opts.heartbeatMs,
          maxChunkBytes: MAX_CHUNK_BYTES,
        },
      })
      .catch((e: unknown) => session.close(`welcome failed: ${String(e)}`));
    this.opts.log.info(
      {
        site: hello.site,
        backend: hello.backend,
        device: hello.device,
        backendReason: hello.backendReason,
        datasets: hello.datasets,
      },
      'worker connected',
    );
    return session;
  }

  /** The registry entry of an open session (this instance holds its stream). */
  private entryOf(s: Session) {
    const now = Date.now();
    const h = s.hello;
    return {
      site: h.site,
      instance: this.opts.instance,
      sessionId: s.id,
      connectedAt: s.connectedAt,
      lastSeen: now,
      datasets: h.datasets,
      backend: h.backend,
      device: h.device,
      version: h.version,
      tfjsVersion: h.tfjsVersion,
      heartbeatMs: this.opts.heartbeatMs,
      ...(h.workerInstance ? { workerInstance: h.workerInstance } : {}),
    };
  }

  private async checkLiveness(): Promise<void> {
    const now = Date.now();
    const open = [];
    for (const s of this.list()) {
      if (now - s.lastSeen > this.livenessTimeoutMs) s.close('heartbeat timeout');
      else open.push(s);
    }
    const missing = await this.opts.registry
      .touchMany(open.map((s) => ({ site: s.site, sessionId: s.id })))
      .catch(() => new Set<string>());
    // After Redis lost its data (a restart without persistence) the entry is gone: register again,
    // so the site is selectable without reconnecting.
    for (const s of open)
      if (missing.has(s.site)) {
        await this.opts.registry.upsert(this.entryOf(s)).catch(() => undefined);
        this.opts.log.info({ site: s.site }, 'worker registered again (the registry had lost it)');
      }
  }

  /** Set once shutdown starts: new sessions are refused (workers reconnect elsewhere or later). */
  private closing = false;

  closeAll(reason: string): void {
    this.closing = true;
    clearInterval(this.sweep);
    for (const s of this.list()) s.close(reason);
  }
}
