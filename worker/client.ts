// The worker: declares the site (declaration.ts) over its session with the coordinator (link.ts: dial,
// heartbeats, reconnect or end), receives global models (incoming.ts), and hands tasks to the task runner
// and secure-aggregation stages one at a time.

import { preloadSiteSource } from '../shared/data/sql/postgres.js';
import { AccordError, DataError, PolicyError, TrustError } from '../shared/errors/index.js';
import { createLogger, type Logger } from '../shared/log/logger.js';
import { type BackendChoice, initBackend } from '../shared/models/backend.js';
import type { CoordinatorMessage__Output, WorkerMessage } from '../shared/protocol/load.js';
import { AuditLog } from './audit.js';
import { declaredRows, helloFor } from './declaration.js';
import { runGated } from './gate.js';
import { IncomingModels } from './incoming.js';
import { CoordinatorLink } from './link.js';
import { answerOffer } from './offer-answer.js';
import type { WorkerOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { SecureStages } from './secure-stages.js';
import type { SiteTrust } from './site-trust.js';
import { type ModelTask, TaskRunner } from './tasks.js';
import { checkTls } from './tls-files.js';
import { siteTrustOf } from './trust-setup.js';

export { ACCORD_VERSION } from './declaration.js';
export type { WorkerOptions } from './options.js';

export class AccordWorker implements Outbox {
  private readonly link: CoordinatorLink;
  private stopped = false;
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
    this.trust = siteTrustOf(opts, this.log, this.audit, (msg) => this.send(msg));
    this.secure = new SecureStages(opts.site, this, this.trust);
    this.link = new CoordinatorLink(opts, this.log, {
      opened: () => this.sayHello(),
      welcomed: () => {
        this.trust?.resendApprovals();
        this.markReady();
      },
      message: (msg) => this.onMessage(msg),
      beat: () => this.beat(),
      lost: () => {
        this.incoming.clear();
        this.tasks.apps.clear();
      },
      fatal: (e) => this.fatal?.(e),
    });
    this.tasks = new TaskRunner(opts, this, this.secure, this.log, this.trust, (type, detail) =>
      this.audit.note(type, detail),
    );
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
    // Certificates that cannot be used fail here, naming what is wrong, not as a connection that never comes.
    checkTls(this.opts.tls);
    // A SQL source (--data cohort.source.yaml): its query runs once, here, and its result is what the
    // site declares and trains on (shared/data/sql/postgres.ts).
    const sql = await preloadSiteSource(this.opts.dataFile);
    if (sql) this.log.info({ rows: sql.rows, columns: sql.columns.length }, 'SQL source loaded');
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
      this.link.connect();
    });
  }

  private onStopped?: () => void;

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.link.stop();
    this.audit.close();
    this.tasks.dispose();
    this.onStopped?.();
  }

  /** Hello on a new stream: the site's declaration, and this process's id (a reconnect, not another worker). */
  private sayHello(): void {
    if (!this.backend) return;
    void this.send({ hello: { ...helloFor(this.opts, this.backend), workerInstance: this.link.workerInstance } });
  }

  private beat(): void {
    void this.send({ heartbeat: { unixMs: Date.now() } }).catch(() => undefined);
    // A person may have approved a pending manifest meanwhile (accord approve).
    void this.trust?.pollApprovals().catch((e: unknown) => this.log.warn({ err: String(e) }, 'approval check failed'));
  }

  /** Sends one message, logging it to the audit log first; waits when the stream is full. */
  async send(msg: WorkerMessage): Promise<void> {
    const stream = this.link.current;
    if (!stream) throw new Error('not connected');
    const entry = this.audit.record(msg);
    if (entry.type !== 'heartbeat') this.log.debug({ sent: entry }, 'sent');
    if (!stream.write(msg)) await new Promise<void>((r) => stream.once('drain', r));
  }

  private onMessage(msg: CoordinatorMessage__Output): void {
    switch (msg.body) {
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
      case 'appChunk':
        if (msg.appChunk) this.tasks.apps.accept(msg.appChunk);
        return;
      case 'manifestOffer': {
        const offer = msg.manifestOffer!;
        const trust = this.trust;
        // Approve (by the policy) or keep for a person; a refusal is on record here.
        if (trust) this.enqueue(() => answerOffer(offer, trust, this.audit, this.log, (m) => this.send(m)));
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
