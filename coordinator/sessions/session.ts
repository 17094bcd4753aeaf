// One connected worker: its gRPC stream, identity and liveness, and the tasks in flight on it.
// Every inbound message is validated; a bad update fails only its task, never the session or the round.
import type * as grpc from '@grpc/grpc-js';
import { AccordError, ProtocolError, TaskError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/log/logger.js';
import { ChunkReceiver, chunkF32 } from '../../shared/protocol/chunks.js';
import type {
  AppRequest__Output,
  CoordinatorMessage,
  TaskHeader,
  WorkerMessage__Output,
} from '../../shared/protocol/load.js';
import { encodeTaskSpec } from '../../shared/protocol/task-spec.js';
import { totalSize } from '../../shared/tensors/weights.js';
import { validateSecAggAnswer } from './secagg-answer.js';
import { OFFER_PREFIX, offerRefusal, type SiteRecord, validateApproval, validateAuditHead } from './site-record.js';
import { keepsDelta, type SecAggAnswer, type TaskOutcome, type TaskRequest, type UploadSink } from './task.js';
import { boundedErrorReport, checkTaskMetrics, type ValidHello, validateMetrics } from './validate.js';

export type { SecAggAnswer, TaskKind, TaskOutcome, TaskRequest, UploadSink } from './task.js';

interface ActiveTask {
  req: TaskRequest;
  startedAt: number;
  bytesDown: number;
  bytesUp: number;
  metrics?: { examples: number; values: Record<string, number> };
  secagg?: SecAggAnswer;
  receiver?: ChunkReceiver;
  sink?: UploadSink;
  /** Set when the sink committed the whole upload. */
  uploaded?: string;
  timer: NodeJS.Timeout;
  resolve: (o: TaskOutcome) => void;
  reject: (e: Error) => void;
}

type Call = grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>;

export class Session {
  private readonly tasks = new Map<string, ActiveTask>();
  private closed = false;
  lastSeen = Date.now();
  readonly connectedAt = Date.now();
  bytesUp = 0;
  bytesDown = 0;

  constructor(
    readonly id: string,
    readonly hello: ValidHello,
    private readonly call: Call,
    private readonly log: Logger,
    private readonly onClosed: (s: Session, reason: string) => void,
    private readonly onRecord: (site: string, record: SiteRecord) => void = () => undefined,
    /** A site asked for an app's code (app-server.ts); answered on this session. */
    private readonly onAppRequest: (s: Session, req: AppRequest__Output) => void = () => undefined,
  ) {}

  get site(): string {
    return this.hello.site;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get declaredExamples(): number {
    return this.hello.datasets.reduce((a, d) => a + d.examples, 0);
  }

  /** Writes with backpressure: waits for 'drain' when grpc-js buffers are full. */
  async send(msg: CoordinatorMessage): Promise<number> {
    if (this.closed) throw new TaskError(`site ${this.site} disconnected`, 'DISCONNECTED');
    const bytes = msg.modelChunk?.data ? (msg.modelChunk.data as Buffer).byteLength : 0;
    this.bytesDown += bytes;
    if (!this.call.write(msg)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.call.off('drain', done);
          this.call.off('close', done);
          resolve();
        };
        this.call.on('drain', done);
        this.call.on('close', done);
      });
    }
    return bytes;
  }

  /** Sends the task and the global model; resolves when the result has fully arrived and validated. */
  runTask(req: TaskRequest): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new TaskError(`site ${this.site} is not connected`, 'DISCONNECTED'));
    if (this.tasks.has(req.taskId))
      return Promise.reject(new TaskError(`task ${req.taskId} is already running on ${this.site}`, 'DUPLICATE_TASK'));
    return new Promise<TaskOutcome>((resolve, reject) => {
      const wait = Math.max(0, req.deadline - Date.now());
      const task: ActiveTask = {
        req,
        startedAt: Date.now(),
        bytesDown: 0,
        bytesUp: 0,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.fail(
            task,
            new TaskError(`site ${this.site} missed the deadline of task ${req.taskId} (${wait} ms)`, 'DEADLINE'),
          );
          void this.send({ cancel: { taskId: req.taskId, reason: 'deadline' } }).catch(() => undefined);
        }, wait),
      };
      this.tasks.set(req.taskId, task);
      void this.dispatch(task).catch((e: unknown) => this.fail(task, e instanceof Error ? e : new Error(String(e))));
    });
  }

  private async dispatch(task: ActiveTask): Promise<void> {
    const { req } = task;
    if (req.kind === 'secagg') {
      await this.send({ secaggRequest: { ...req.request, stage: req.stage, taskId: req.taskId } });
      if (req.upload) this.expectUpload(task, req.upload.values, req.upload.open, 'u32');
      return;
    }
    const header: TaskHeader = {
      taskId: req.taskId,
      experimentId: req.experimentId,
      round: req.round,
      attempt: req.attempt,
      deadlineUnixMs: req.deadline,
      spec: encodeTaskSpec(req.spec),
      modelBytes: req.kind === 'stats' ? 0 : req.weights.values.byteLength,
      tensors: req.kind === 'stats' ? [] : req.weights.specs.map((s) => ({ name: s.name, shape: s.shape })),
    };
    if (req.kind === 'stats') {
      await this.send({ statsTask: { header } });
      return;
    }
    await this.send(req.kind === 'train' ? { trainTask: { header } } : { evaluateTask: { header } });
    for (const c of chunkF32(req.weights.values)) {
      if (!this.tasks.has(req.taskId)) return; // failed or cancelled meanwhile
      task.bytesDown += await this.send({ modelChunk: { taskId: req.taskId, seq: c.seq, last: c.last, data: c.data } });
    }
  }

  private finish(task: ActiveTask): void {
    if (this.tasks.get(task.req.taskId) !== task) return; // failed meanwhile (deadline, disconnect)
    clearTimeout(task.timer);
    this.tasks.delete(task.req.taskId);
    const m = task.metrics ?? { examples: 0, values: {} };
    if (task.req.kind === 'secagg' && !task.secagg && task.req.stage === 'masked-input')
      task.secagg = { stage: 'masked-input' };
    task.resolve({
      examples: m.examples,
      metrics: m.values,
      ...(task.uploaded ? { spoolFile: task.uploaded } : {}),
      ...(task.secagg ? { secagg: task.secagg } : {}),
      bytesDown: task.bytesDown,
      bytesUp: task.bytesUp,
      durationMs: Date.now() - task.startedAt,
    });
  }

  private fail(task: ActiveTask, err: Error): void {
    if (!this.tasks.has(task.req.taskId)) return;
    clearTimeout(task.timer);
    this.tasks.delete(task.req.taskId);
    task.sink?.abort();
    this.log.warn(
      { site: this.site, task: task.req.taskId, code: (err as AccordError).code, err: err.message },
      'task failed',
    );
    task.reject(err);
  }

  /** Tells the worker what was wrong, then fails the task it belongs to (if any). */
  private reject(taskId: string, err: AccordError): void {
    void this.send({ error: { taskId, code: err.code, message: err.message } }).catch(() => undefined);
    const task = this.tasks.get(taskId);
    if (task) this.fail(task, err);
    else this.log.warn({ site: this.site, task: taskId, code: err.code, err: err.message }, 'rejected message');
  }

  /** Entry point for every message after Hello. */
  handle(msg: WorkerMessage__Output): void {
    this.lastSeen = Date.now();
    switch (msg.body) {
      case 'heartbeat':
        return;
      case 'metrics':
        this.onMetrics(msg.metrics!);
        return;
      case 'updateChunk':
        this.onChunk(msg.updateChunk!);
        return;
      case 'secaggResponse':
        this.onSecAgg(msg.secaggResponse!);
        return;
      case 'error': {
        const raw = msg.error!;
        const e = boundedErrorReport(raw.code, raw.message);
        if (raw.taskId.startsWith(OFFER_PREFIX)) {
          this.onRecord(this.site, offerRefusal({ taskId: raw.taskId, code: e.code, message: e.message }));
          return;
        }
        const task = this.tasks.get(raw.taskId);
        const err = new TaskError(`site ${this.site} reported ${e.code}: ${e.message}`, e.code);
        if (task) this.fail(task, err);
        else this.log.warn({ site: this.site, code: e.code, err: e.message }, 'worker error');
        return;
      }
      case 'approval':
      case 'auditHead':
        try {
          this.onRecord(
            this.site,
            msg.body === 'approval' ? validateApproval(this.site, msg.approval!) : validateAuditHead(msg.auditHead!),
          );
        } catch (e) {
          this.reject('', e instanceof AccordError ? e : new ProtocolError(String(e)));
        }
        return;
      case 'appRequest':
        this.onAppRequest(this, msg.appRequest!);
        return;
      case 'hello':
        this.reject('', new ProtocolError('Hello sent twice on one session', 'DUPLICATE_HELLO'));
        return;
      default:
        this.reject('', new ProtocolError('message without a body', 'EMPTY_MESSAGE'));
        return;
    }
  }

  private onMetrics(raw: NonNullable<WorkerMessage__Output['metrics']>): void {
    const task = this.tasks.get(raw.taskId);
    if (!task) {
      this.reject(
        raw.taskId,
        new ProtocolError(`metrics for unknown or finished task "${raw.taskId}"`, 'UNKNOWN_TASK'),
      );
      return;
    }
    try {
      const m = validateMetrics(raw);
      if (m.round !== task.req.round)
        throw new ProtocolError(
          `metrics for round ${m.round}, task ${task.req.taskId} is round ${task.req.round} (replayed?)`,
          'WRONG_ROUND',
        );
      if (task.metrics) throw new ProtocolError(`metrics sent twice for task ${task.req.taskId}`, 'DUPLICATE_METRICS');
      if (task.req.kind === 'secagg')
        throw new ProtocolError(`metrics sent for secure-aggregation task ${task.req.taskId}`, 'BAD_METRICS');
      // Under secure aggregation the example count travels inside the masked vector, never alone.
      const keeps = keepsDelta(task.req);
      if (task.req.kind === 'train' && !keeps && (m.examples < 1 || m.examples > this.declaredExamples))
        throw new ProtocolError(
          `train metrics claim ${m.examples} examples; the site declared ${this.declaredExamples}`,
          'BAD_METRICS',
        );
      // Column statistics against the task's schema and declared ranges (data.ranges).
      checkTaskMetrics(
        task.req.kind,
        m,
        this.declaredExamples,
        task.req.kind === 'stats' ? task.req.spec.data : undefined,
      );
      task.metrics = { examples: keeps ? 0 : m.examples, values: m.values };
      if (task.req.kind !== 'train' || task.req.upload === null) {
        this.finish(task);
        return;
      }
      this.expectUpload(task, totalSize(task.req.weights.specs), task.req.upload, 'f32');
    } catch (e) {
      this.reject(raw.taskId, e instanceof AccordError ? e : new ProtocolError(String(e)));
    }
  }

  /** Prepares to receive a vector of `values` 32-bit values into a sink it opens now. */
  private expectUpload(task: ActiveTask, values: number, open: () => UploadSink, kind: 'f32' | 'u32'): void {
    const sink = open();
    task.sink = sink;
    const what = kind === 'u32' ? `masked input from ${this.site}` : `update from ${this.site}`;
    task.receiver = new ChunkReceiver(values, (bytes, off) => sink.write(bytes, off), what, kind);
  }

  private onSecAgg(r: NonNullable<WorkerMessage__Output['secaggResponse']>): void {
    const task = this.tasks.get(r.taskId);
    if (!task) {
      this.reject(
        r.taskId,
        new ProtocolError(
          `secure-aggregation answer for unknown or finished task "${r.taskId}" (replayed?)`,
          'UNKNOWN_TASK',
        ),
      );
      return;
    }
    try {
      if (task.req.kind !== 'secagg')
        throw new ProtocolError(
          `secure-aggregation answer for ${task.req.kind} task ${r.taskId}`,
          'UNEXPECTED_MESSAGE',
        );
      const stage = task.req.stage;
      if (r.stage !== stage)
        throw new ProtocolError(`answer for stage ${r.stage}, task ${r.taskId} is stage ${stage}`, 'WRONG_STAGE');
      if (stage === 'masked-input')
        throw new ProtocolError(`stage ${stage} is answered by uploading the masked vector`, 'WRONG_STAGE');
      if (task.secagg) throw new ProtocolError(`stage ${stage} answered twice`, 'DUPLICATE_ANSWER');
      task.secagg = validateSecAggAnswer(this.site, stage, r);
      this.finish(task);
    } catch (e) {
      this.reject(r.taskId, e instanceof AccordError ? e : new ProtocolError(String(e)));
    }
  }

  private onChunk(chunk: NonNullable<WorkerMessage__Output['updateChunk']>): void {
    const size = chunk.data?.byteLength ?? 0;
    this.bytesUp += size;
    const task = this.tasks.get(chunk.taskId);
    if (!task) {
      this.reject(
        chunk.taskId,
        new ProtocolError(`update for unknown or finished task "${chunk.taskId}" (another round?)`, 'UNKNOWN_TASK'),
      );
      return;
    }
    if (task.req.kind === 'evaluate' || task.req.kind === 'stats' || keepsDelta(task.req)) {
      this.reject(
        chunk.taskId,
        new ProtocolError(
          `update sent for ${keepsDelta(task.req) ? 'secure train' : task.req.kind} task ${chunk.taskId}`,
          'UNEXPECTED_UPDATE',
        ),
      );
      return;
    }
    if (!task.receiver) {
      this.reject(
        chunk.taskId,
        new ProtocolError(
          task.req.kind === 'secagg'
            ? `chunk for stage ${task.req.stage}, which takes no upload`
            : 'update chunk before its Metrics message',
          'UPDATE_BEFORE_METRICS',
        ),
      );
      return;
    }
    if (task.receiver.complete) {
      // A second copy of a finished upload: refused, and the first copy stands.
      void this.send({
        error: {
          taskId: chunk.taskId,
          code: 'DUPLICATE_UPLOAD',
          message: `task ${chunk.taskId} was already uploaded in full; the repeat is ignored`,
        },
      }).catch(() => undefined);
      this.log.warn({ site: this.site, task: chunk.taskId }, 'duplicate upload ignored');
      return;
    }
    task.bytesUp += size;
    try {
      task.receiver.accept({ seq: chunk.seq, last: chunk.last, data: chunk.data });
      if (task.receiver.complete) {
        const sink = task.sink;
        if (!sink) throw new ProtocolError('upload without a sink');
        sink.commit().then(
          (file) => {
            task.uploaded = file;
            this.finish(task);
          },
          (e: unknown) =>
            this.fail(
              task,
              new TaskError(`spooling the update from ${this.site} failed: ${String(e)}`, 'SPOOL_FAILED'),
            ),
        );
      }
    } catch (e) {
      this.reject(chunk.taskId, e instanceof AccordError ? e : new ProtocolError(String(e)));
    }
  }

  /** Ends the session: every task in flight fails (uploads in progress are discarded). */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const task of [...this.tasks.values()]) {
      const mid = task.receiver && !task.receiver.complete && task.receiver.bytesReceived > 0;
      this.fail(
        task,
        new TaskError(`site ${this.site} disconnected${mid ? ' mid-upload' : ''}: ${reason}`, 'DISCONNECTED'),
      );
    }
    try {
      this.call.end();
    } catch {
      // the stream may already be gone
    }
    this.onClosed(this, reason);
  }
}
