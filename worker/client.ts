// The worker's connection: dials out to the coordinator (the only connection a site needs),
// declares the site (declaration.ts), reconnects with backoff, heartbeats, receives global models
// (incoming.ts), and hands tasks to the task runner and secure-aggregation stages one at a time.

import * as grpc from '@grpc/grpc-js';
import { AccordError, AuthError, ConfigError, DataError, PolicyError, TrustError } from '../shared/errors/index.js';
import { createLogger, type Logger } from '../shared/log/logger.js';
import { type BackendChoice, initBackend } from '../shared/models/backend.js';
import type { CoordinatorMessage__Output, WorkerMessage } from '../shared/protocol/load.js';
import { releases } from '../shared/trust/manifest.js';
import { ApprovalStore } from './approvals.js';
import { AuditLog } from './audit.js';
import { Coordinators } from './coordinators.js';
import { declaredRows, helloFor } from './declaration.js';
import { runGated } from './gate.js';
import { IncomingModels } from './incoming.js';
import type { WorkerOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { SecureStages } from './secure-stages.js';
import { SiteTrust } from './site-trust.js';
import { type ModelTask, TaskRunner } from './tasks.js';

export { ACCORD_VERSION } from './declaration.js';
export type { WorkerOptions } from './options.js';

type Stream = grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>;

/** How long a session-level error waits for the coordinator's closing status before the site redials. */
const SESSION_ERROR_GRACE_MS = 5000;

export class AccordWorker implements Outbox {
  private readonly coordinators: Coordinators;
  private stream?: Stream;
  private stopped = false;
  private backoffMs = 500;
  /** Whether the current stream's session was welcomed. */
  private welcomed = false;
  private heartbeat?: NodeJS.Timeout;
  private backend?: BackendChoice;
  private readonly incoming = new IncomingModels();
  /** Tasks run one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly tasks: TaskRunner;
  private readonly secure: SecureStages;
  private readonly audit: AuditLog;
  private readonly trust: SiteTrust | undefined;
  readonly log: Logger;
  private fatal?: (e: Error) => void;
  /** Resolves on the first Welcome. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  constructor(private readonly opts: WorkerOptions) {
    this.log = opts.log ?? createLogger(`worker:${opts.site}`);
    this.audit = new AuditLog(opts.auditFile, {
      site: opts.site,
      ...(opts.identity ? { identity: opts.identity } : {}),
    });
    this.ready = new Promise((r) => (this.markReady = r));
    this.trust = this.siteTrust();
    this.secure = new SecureStages(opts.site, this, this.trust);
    this.coordinators = new Coordinators(opts);
    this.tasks = new TaskRunner(opts, this, this.secure, this.log, this.trust, (type, detail) =>
      this.audit.note(type, detail),
    );
  }

  /** The site's identity, roster and approvals: both or neither of identity and roster. */
  private siteTrust(): SiteTrust | undefined {
    const { identity, roster } = this.opts;
    if (!identity && !roster) {
      this.log.warn(
        'no identity key and roster (--identity, --roster): this site trusts the coordinator; it refuses secure aggregation and approves nothing',
      );
      return undefined;
    }
    if (!identity || !roster)
      throw new ConfigError(
        '--identity and --roster go together: a site verifies peers with the roster and signs with its key',
      );
    return new SiteTrust({
      site: this.opts.site,
      identity,
      roster,
      policy: this.opts.policy,
      store: new ApprovalStore(this.opts.approvalsDir),
      log: this.log,
      onApproval: async (approval, terms) => {
        this.audit.note('approval', {
          experimentId: approval.experimentId,
          manifestHash: terms.hash,
          how: approval.how,
          releases: releases(terms.manifest),
        });
        await this.send({ approval });
      },
    });
  }

  /** Reports the signed head of the audit chain, so the coordinator's report holds what the site sent. */
  private async reportHead(experimentId: string, round: number, taskId: string): Promise<void> {
    const head = this.trust ? this.audit.signedHead() : undefined;
    if (!head) return;
    await this.send({ auditHead: { experimentId, round, taskId, ...head } }).catch(() => undefined);
  }

  /** Tasks completed on this worker (for tests and logs). */
  get completed(): number {
    return this.tasks.completed;
  }

  /** Connects and keeps the session up until stop(); rejects on a fatal error (e.g. a wrong token). */
  async run(): Promise<void> {
    // A site with no rows would join and fail every task: refuse here, with a local message.
    if (declaredRows(this.opts) === 0)
      throw new DataError(`${this.opts.dataFile} has no rows; check it with accord check-data`, 'DATA_INVALID');
    this.backend = await initBackend(this.opts.backend ?? 'auto');
    this.log.info(
      {
        backend: this.backend.backend,
        device: this.backend.device,
        reason: this.backend.reason,
        tfjs: this.backend.tfjsVersion,
      },
      'TF.js backend',
    );
    return new Promise<void>((resolve, reject) => {
      this.fatal = (e) => {
        this.log.error({ code: (e as AccordError).code, err: e.message }, 'fatal');
        reject(e);
        this.stop();
      };
      this.onStopped = resolve;
      this.connect();
    });
  }

  private onStopped?: () => void;

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.stream?.cancel();
    this.coordinators.close();
    this.audit.close();
    this.tasks.dispose();
    this.onStopped?.();
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.coordinators.client().Session();
    this.stream = stream;
    this.welcomed = false;
    let closed = false;
    const reconnect = (why: string) => {
      if (closed) return;
      closed = true;
      clearInterval(this.heartbeat);
      this.incoming.clear();
      if (this.stopped) return;
      // With several coordinators the next one is tried at once; after a full round of them, back off.
      const next = this.coordinators.next();
      // Jitter spreads the sites' attempts when a coordinator comes back.
      const wait = next.wrapped ? Math.round(this.backoffMs * (0.8 + 0.4 * Math.random())) : 200;
      if (next.wrapped) this.backoffMs = Math.min(this.opts.maxBackoffMs ?? 3000, this.backoffMs * 2);
      this.log.warn({ why, retryInMs: wait, next: next.address }, 'disconnected from coordinator');
      setTimeout(() => this.connect(), wait);
    };
    stream.on('data', (msg: CoordinatorMessage__Output) => {
      try {
        this.onMessage(msg);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'bad message from coordinator');
      }
    });
    stream.on('error', (e: grpc.ServiceError) => {
      if (e.code === grpc.status.UNAUTHENTICATED) {
        closed = true;
        this.fatal?.(new AuthError(`coordinator refused site "${this.opts.site}": ${e.details}`));
        return;
      }
      if (e.code === grpc.status.INVALID_ARGUMENT) {
        closed = true;
        this.fatal?.(new AccordError('REFUSED', `coordinator refused the session: ${e.details}`));
        return;
      }
      reconnect(e.details || e.message);
    });
    stream.on('end', () => reconnect('stream ended'));
    if (this.backend) void this.send({ hello: helloFor(this.opts, this.backend) });
  }

  /** Sends one message, logging it to the audit log first; waits when the stream is full. */
  async send(msg: WorkerMessage): Promise<void> {
    const stream = this.stream;
    if (!stream) throw new Error('not connected');
    const entry = this.audit.record(msg);
    if (entry.type !== 'heartbeat') this.log.debug({ sent: entry }, 'sent');
    if (!stream.write(msg)) await new Promise<void>((r) => stream.once('drain', r));
  }

  private onMessage(msg: CoordinatorMessage__Output): void {
    switch (msg.body) {
      case 'welcome': {
        const w = msg.welcome!;
        this.welcomed = true;
        this.backoffMs = 500;
        this.log.info({ session: w.sessionId, coordinator: w.coordinatorInstance }, 'connected');
        clearInterval(this.heartbeat);
        this.trust?.resendApprovals();
        this.heartbeat = setInterval(() => {
          void this.send({ heartbeat: { unixMs: Date.now() } }).catch(() => undefined);
          // A person may have approved a pending manifest meanwhile (accord approve).
          void this.trust
            ?.pollApprovals()
            .catch((e: unknown) => this.log.warn({ err: String(e) }, 'approval check failed'));
        }, w.heartbeatMs || 2000);
        this.heartbeat.unref();
        this.markReady();
        return;
      }
      case 'trainTask':
        if (msg.trainTask?.header) this.incoming.start('train', msg.trainTask.header);
        return;
      case 'evaluateTask':
        if (msg.evaluateTask?.header) this.incoming.start('evaluate', msg.evaluateTask.header);
        return;
      case 'modelChunk': {
        const c = msg.modelChunk;
        if (!c) return;
        let task: ModelTask | undefined;
        try {
          task = this.incoming.accept(c);
        } catch (e) {
          void this.sendError(c.taskId, e);
          return;
        }
        const ready = task;
        if (ready)
          this.enqueue(async () => {
            const later = !ready.cancelled && !this.stopped ? await this.tasks.execute(ready) : undefined;
            const { experimentId, round, taskId } = ready.header;
            if (!later) {
              this.incoming.done(c.taskId);
              return this.reportHead(experimentId, round, taskId);
            }
            return async () => {
              await later();
              this.incoming.done(c.taskId);
              await this.reportHead(experimentId, round, taskId);
            };
          });
        return;
      }
      case 'manifestOffer': {
        const offer = msg.manifestOffer!;
        const trust = this.trust;
        if (!trust) return;
        // Approve (by the policy) or keep for a person; a refusal is on record here, nothing is sent.
        this.enqueue(async () => {
          try {
            await trust.termsFor(offer.experimentId, {
              manifestHash: offer.manifestHash,
              manifestJson: offer.manifestJson,
            });
          } catch (e) {
            const code = e instanceof AccordError ? e.code : 'WORKER_ERROR';
            this.audit.note(code === 'NOT_APPROVED' ? 'awaiting-approval' : 'refusal', {
              experimentId: offer.experimentId.slice(0, 128),
              manifestHash: offer.manifestHash,
              code,
              reason: (e as Error).message,
            });
            if (code !== 'NOT_APPROVED') {
              this.log.warn({ experiment: offer.experimentId, code, err: String(e) }, 'manifest refused');
              // The coordinator learns who refused and why (public reasons only), so it need not wait.
              const message =
                e instanceof AccordError ? e.publicMessage : "WORKER_ERROR (details are in the site's own log)";
              await this.send({ error: { taskId: `offer:${offer.experimentId}`, code, message } }).catch(
                () => undefined,
              );
            }
          }
        });
        return;
      }
      case 'statsTask': {
        const header = msg.statsTask!.header!;
        this.enqueue(async () => {
          await this.tasks.columnSums(header);
          await this.reportHead(header.experimentId, header.round, header.taskId);
        });
        return;
      }
      case 'secaggRequest': {
        const req = msg.secaggRequest!;
        this.enqueue(async () => {
          await this.secure.handle(req);
          if (req.stage === 'unmasking') await this.reportHead(req.experimentId, req.round, req.taskId);
        });
        return;
      }
      case 'cancel': {
        this.incoming.cancel(msg.cancel!.taskId);
        this.log.warn({ task: msg.cancel!.taskId, reason: msg.cancel!.reason }, 'task cancelled by coordinator');
        return;
      }
      case 'error': {
        const e = msg.error!;
        this.log.warn({ task: e.taskId, code: e.code, err: e.message }, 'coordinator reported an error');
        // An error before the Welcome is a refusal; its status normally follows at once. If it does
        // not, drop the stream and dial again rather than wait on a session that never opened.
        if (!e.taskId && !this.welcomed) {
          const stream = this.stream;
          setTimeout(() => {
            if (this.stream === stream && !this.stopped) stream?.cancel();
          }, SESSION_ERROR_GRACE_MS).unref();
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Runs a task after this site's earlier ones, through the pool's gate. What it returns (a
   * straggler's delayed send) runs after the gate is released: this site waits, the pool does not.
   */
  private enqueue(run: () => Promise<unknown>): void {
    const gate = this.opts.gate;
    this.queue = this.queue
      .then(() => runGated(gate, run))
      .catch((e: unknown) => this.log.error({ err: String(e) }, 'task runner failed'));
  }

  /**
   * Reports a failed task. The full text (which may quote a file path or a cell) stays in this site's
   * log; what leaves is the code and the error's public message: a line and a column at most.
   */
  async sendError(taskId: string, e: unknown): Promise<void> {
    const code = e instanceof AccordError ? e.code : 'WORKER_ERROR';
    const local = e instanceof Error ? e.message : String(e);
    this.log.error({ task: taskId, code, err: local }, 'task failed');
    // Refusals are on record at the site, with the full reason, whatever reaches the coordinator.
    if (e instanceof TrustError || e instanceof PolicyError)
      this.audit.note('refusal', { taskId, code, reason: local });
    const message = e instanceof AccordError ? e.publicMessage : "WORKER_ERROR (details are in the site's own log)";
    await this.send({ error: { taskId, code, message } }).catch(() => undefined);
  }
}
