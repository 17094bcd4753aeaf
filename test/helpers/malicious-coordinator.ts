// A malicious coordinator, built from proto/accord.proto alone (none of coordinator/): it welcomes any
// worker whatever its token, then lets a test script each session message by message (train tasks
// under a manifest it chooses, secure-aggregation requests of its own making) and await what the site
// answers, to check that a site refuses whatever it did not agree to.
import * as grpc from '@grpc/grpc-js';
import { initBackend } from '../../shared/models/backend.js';
import { getFlatWeights, modelFor } from '../../shared/models/zoo.js';
import { chunkF32 } from '../../shared/protocol/chunks.js';
import {
  CHANNEL_OPTIONS,
  type CoordinatorMessage,
  type Hello__Output,
  loadProtocol,
  type SecAggRequest,
  type WorkerMessage__Output,
} from '../../shared/protocol/load.js';
import { encodeTaskSpec, type TaskSpec } from '../../shared/protocol/task-spec.js';
import type { FlatWeights } from '../../shared/tensors/weights.js';
import { type SignedTerms, specOfTerms } from '../../shared/trust/manifest.js';
import { withTimeout } from './wait-log.js';

/** A train or evaluate task as a test scripts it. */
interface ModelTaskScript {
  taskId: string;
  experimentId: string;
  round: number;
  attempt?: number;
  spec: TaskSpec;
  model: FlatWeights;
}

/** Long enough for a worker process to load its data and train a small model on a busy machine. */
const WAIT_MS = 30_000;

/** The task a worker message is about ('' for hello, heartbeats and approvals). */
export function taskOf(m: WorkerMessage__Output): string {
  const body = m.body ? m[m.body] : undefined;
  return body && 'taskId' in body ? body.taskId : '';
}

/** The task spec an honest coordinator would send under `terms`, with `change` applied on top. */
export function specUnder(terms: SignedTerms, change: Partial<TaskSpec> = {}): TaskSpec {
  return { ...specOfTerms(terms), ...change };
}

/** The real initial weights of the manifest's model (as a coordinator writes checkpoint 0). */
export async function initialWeights(terms: SignedTerms): Promise<FlatWeights> {
  await initBackend('cpu');
  const model = await modelFor(terms.manifest.config);
  const w = getFlatWeights(model);
  model.dispose();
  return w;
}

interface Waiter {
  match: (m: WorkerMessage__Output) => boolean;
  resolve: (m: WorkerMessage__Output) => void;
}

/** One worker's session: what it sent (heartbeats aside) and a way to send it anything. */
export class SiteSession {
  /** Every message but heartbeats, in arrival order. */
  readonly received: WorkerMessage__Output[] = [];
  private readonly taken = new Set<WorkerMessage__Output>();
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly hello: Hello__Output,
    private readonly call: grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>,
  ) {}

  get site(): string {
    return this.hello.siteId;
  }

  accept(m: WorkerMessage__Output): void {
    if (m.body === 'heartbeat') return;
    this.received.push(m);
    for (const w of this.waiters)
      if (w.match(m)) {
        this.waiters.delete(w);
        this.taken.add(m);
        w.resolve(m);
        return;
      }
  }

  send(msg: CoordinatorMessage): void {
    this.call.write(msg);
  }

  /**
   * The first message matching `match` that no earlier call took (already received or still to come);
   * rejects after `timeoutMs`, listing what the site sent meanwhile.
   */
  next(
    match: (m: WorkerMessage__Output) => boolean,
    what: string,
    timeoutMs = WAIT_MS,
  ): Promise<WorkerMessage__Output> {
    const seen = this.received.find((m) => !this.taken.has(m) && match(m));
    if (seen) {
      this.taken.add(seen);
      return Promise.resolve(seen);
    }
    let waiter!: Waiter;
    const found = new Promise<WorkerMessage__Output>((resolve) => {
      waiter = { match, resolve };
      this.waiters.add(waiter);
    });
    return withTimeout(found, timeoutMs, `${this.site}: ${what}`).catch((e: unknown) => {
      this.waiters.delete(waiter);
      const sent = this.received.map((m) => `${m.body} ${taskOf(m)}`.trim()).join('; ') || 'nothing';
      throw new Error(`${(e as Error).message} (the site sent: ${sent})`);
    });
  }

  /**
   * The site's answer to task `taskId`: its first metrics, update chunk, secure-aggregation response
   * or error (not the approval or audit head that may come with it).
   */
  answer(taskId: string, timeoutMs = WAIT_MS): Promise<WorkerMessage__Output> {
    const answers = new Set(['metrics', 'updateChunk', 'secaggResponse', 'error']);
    return this.next((m) => answers.has(m.body ?? '') && taskOf(m) === taskId, `an answer to ${taskId}`, timeoutMs);
  }

  /** A train task with its global model, as header then chunks. */
  train(t: ModelTaskScript): void {
    this.modelTask('trainTask', t);
  }

  /** An evaluate task with its model, as header then chunks. */
  evaluate(t: ModelTaskScript): void {
    this.modelTask('evaluateTask', t);
  }

  private modelTask(kind: 'trainTask' | 'evaluateTask', t: ModelTaskScript): void {
    this.send({
      [kind]: {
        header: {
          taskId: t.taskId,
          experimentId: t.experimentId,
          round: t.round,
          attempt: t.attempt ?? 1,
          deadlineUnixMs: Date.now() + 120_000,
          modelBytes: t.model.values.byteLength,
          tensors: t.model.specs,
          spec: encodeTaskSpec(t.spec),
        },
      },
    });
    for (const c of chunkF32(t.model.values))
      this.send({ modelChunk: { taskId: t.taskId, seq: c.seq, last: c.last, data: c.data } });
  }

  secagg(req: SecAggRequest): void {
    this.send({ secaggRequest: { attempt: 1, deadlineUnixMs: Date.now() + 60_000, ...req } });
  }
}

export class MaliciousCoordinator {
  private readonly sessions = new Map<string, SiteSession>();
  private readonly waiters = new Map<string, (s: SiteSession) => void>();

  private port = 0;

  private constructor(private readonly server: grpc.Server) {}

  static async start(): Promise<MaliciousCoordinator> {
    const server = new grpc.Server(CHANNEL_OPTIONS);
    const coordinator = new MaliciousCoordinator(server);
    server.addService(loadProtocol().accord.v1.Federation.service, {
      Session: (call: grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>) => coordinator.open(call),
    });
    coordinator.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    return coordinator;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The session of `site` once its Hello arrived (the latest one, should it reconnect). */
  session(site: string, timeoutMs = 60_000): Promise<SiteSession> {
    const open = this.sessions.get(site);
    if (open) return Promise.resolve(open);
    return withTimeout(
      new Promise<SiteSession>((resolve) => this.waiters.set(site, resolve)),
      timeoutMs,
      `a Hello from ${site}`,
    );
  }

  close(): void {
    this.server.forceShutdown();
  }

  private open(call: grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>): void {
    let session: SiteSession | undefined;
    call.on('data', (m: WorkerMessage__Output) => {
      if (session) return session.accept(m);
      if (m.body !== 'hello' || !m.hello) return;
      // Any token will do: this coordinator is not what a site trusts, its roster and manifest are.
      const s = new SiteSession(m.hello, call);
      session = s;
      this.sessions.set(s.site, s);
      s.send({ welcome: { sessionId: `malicious-${s.site}`, coordinatorInstance: 'malicious', heartbeatMs: 1000 } });
      this.waiters.get(s.site)?.(s);
      this.waiters.delete(s.site);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }
}
