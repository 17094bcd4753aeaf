// A hand-driven worker that speaks the raw protocol, to send what a correct worker never would.
import * as grpc from '@grpc/grpc-js';
import { numericColumns } from '../../shared/data/column-sums.js';
import {
  CHANNEL_OPTIONS,
  type CoordinatorMessage__Output,
  loadProtocol,
  type TaskHeader__Output,
  type WorkerMessage,
} from '../../shared/protocol/load.js';
import { parseTaskSpec } from '../../shared/protocol/task-spec.js';
import { protocolContext, SecAggClient } from '../../shared/secagg/client.js';
import { encodeFixedPoint } from '../../shared/secagg/fixed-point.js';
import { f32ToBytes } from '../../shared/tensors/bytes.js';
import { signApproval } from '../../shared/trust/approval.js';
import type { Identity } from '../../shared/trust/identity.js';
import { signRoundKeys } from '../../shared/trust/round-keys.js';

export interface RogueTask {
  kind: 'train' | 'evaluate';
  header: TaskHeader__Output;
  params: number;
}

/** What a rogue sends instead of what a correct worker would. */
export interface RogueOptions {
  answerEvaluate?: boolean;
  /** Secure aggregation: play it honestly except for the masked input. */
  secure?: { masked: 'wrong-length' | 'twice' };
  /**
   * The site's identity key (on the roster): the rogue approves every manifest it is offered (so it is
   * selected) and signs its round keys, as any valid site can.
   */
  identity?: Identity;
  /** Fields of the Hello to send instead of the usual ones. */
  hello?: Partial<NonNullable<WorkerMessage['hello']>>;
  /** Column statistics to send in clear (Metrics values and row count) instead of none. */
  stats?: { examples: number; values: Record<string, number> };
  /** What to answer to evaluate tasks instead of accuracy 0.5 on 10 examples. */
  evaluate?: { examples: number; values: Record<string, number> };
  /** Answer train tasks at once with this update (given the model size), after metrics on 50 examples. */
  train?: (params: number) => Float32Array;
  /** The examples claimed in those train metrics instead of 50 (at most the rows the Hello declared). */
  trainExamples?: number;
}

export class Rogue {
  readonly received: CoordinatorMessage__Output[] = [];
  readonly stream: grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>;
  private readonly client: grpc.Client;
  private pending: RogueTask | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private waiters: ((t: RogueTask) => void)[] = [];
  /** Resolves with the gRPC status error if the coordinator ends the stream with one. */
  readonly failed: Promise<grpc.ServiceError>;
  readonly welcomed: Promise<void>;

  private secagg?: SecAggClient;
  /** Under secure aggregation: the encoded (all-zero) column statistics for round 0. */
  private statsWords: Uint32Array = new Uint32Array(0);

  constructor(
    address: string,
    readonly site: string,
    token: string,
    opts: RogueOptions = {},
  ) {
    const Federation = loadProtocol().accord.v1.Federation;
    const client = new Federation(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    this.client = client;
    this.stream = client.Session();
    this.failed = new Promise((resolve) => this.stream.on('error', (e: grpc.ServiceError) => resolve(e)));
    let welcome!: () => void;
    this.welcomed = new Promise((r) => (welcome = r));
    this.stream.on('data', (m: CoordinatorMessage__Output) => {
      this.received.push(m);
      if (m.welcome) welcome();
      const task = m.trainTask ?? m.evaluateTask;
      if (task) {
        this.pending = {
          kind: m.trainTask ? 'train' : 'evaluate',
          header: task.header!,
          params: Number(task.header!.modelBytes) / 4,
        };
        this.modelParams = this.pending.params;
      }
      // Column statistics for federated scaling: a rogue contributes nothing. In clear it sends no column
      // sums; under secure aggregation it masks an honest all-zero vector (zero rows) in round 0.
      const stats = m.statsTask?.header;
      if (stats) {
        const spec = parseTaskSpec(stats.spec, stats.taskId);
        if (spec.data.format === 'csv')
          this.statsWords = encodeFixedPoint(new Float64Array(1 + 3 * numericColumns(spec.data).length));
        const sent = spec.secure ? { examples: 0, values: {} } : (opts.stats ?? { examples: 0, values: {} });
        this.send({ metrics: { taskId: stats.taskId, round: stats.round, ...sent } });
      }
      if (m.secaggRequest && opts.secure) void this.secureStage(m.secaggRequest, opts.secure.masked, opts.identity);
      const offer = m.manifestOffer;
      if (offer && opts.identity) {
        const terms = { hash: offer.manifestHash, manifest: { experimentId: offer.experimentId } };
        this.send({ approval: signApproval(opts.identity, site, terms, 'policy') });
      }
      if (m.modelChunk?.last && this.pending) {
        const t = this.pending;
        this.pending = undefined;
        if (t.kind === 'train' && opts.secure) {
          this.send({ metrics: { taskId: t.header.taskId, round: t.header.round, examples: 0, values: { loss: 1 } } });
          return;
        }
        if (t.kind === 'evaluate' && opts.answerEvaluate !== false) {
          const answer = opts.evaluate ?? { examples: 10, values: { accuracy: 0.5, loss: 1 } };
          this.send({ metrics: { taskId: t.header.taskId, round: t.header.round, ...answer } });
          return;
        }
        if (t.kind === 'train' && opts.train) {
          this.metrics(t, t.header.round, opts.trainExamples);
          this.chunk(t.header.taskId, 0, true, opts.train(t.params));
          return;
        }
        const w = this.waiters.shift();
        if (w) w(t);
      }
    });
    this.heartbeat = setInterval(() => this.send({ heartbeat: { unixMs: Date.now() } }), 500);
    this.send({
      hello: {
        siteId: site,
        token,
        datasets: [{ name: 'rogue.csv', examples: 100 }],
        backend: 'cpu',
        version: 'rogue',
        tfjsVersion: '0',
        device: 'cpu',
        ...opts.hello,
      },
    });
  }

  /** Plays the protocol honestly, except for the masked input. */
  private async secureStage(
    req: NonNullable<CoordinatorMessage__Output['secaggRequest']>,
    masked: 'wrong-length' | 'twice',
    identity: Identity | undefined,
  ): Promise<void> {
    const reply = (body: object) => this.send({ secaggResponse: { taskId: req.taskId, stage: req.stage, ...body } });
    if (req.stage === 'advertise-keys') {
      const context = protocolContext(req.experimentId, req.attempt);
      this.secagg = new SecAggClient(context, req.round, this.site, identity);
      const { cPk, sPk, gPk } = this.secagg.advertise();
      const keySignature = identity
        ? signRoundKeys(identity, {
            manifestHash: req.manifestHash,
            context,
            round: req.round,
            site: this.site,
            cPk,
            sPk,
          })
        : Buffer.alloc(64);
      return reply({ cPk: Buffer.from(cPk), sPk: Buffer.from(sPk), gPk: Buffer.from(gPk), keySignature });
    }
    if (req.stage === 'share-keys') {
      const shares = await this.secagg!.shareKeys(req.peers, {
        degree: req.neighbours === 0 ? 'all' : req.neighbours,
        threshold: req.threshold,
        graphSeed: req.graphSeed,
      });
      return reply({
        shares: shares.map((x) => ({ ...x, sealed: Buffer.from(x.sealed) })),
        seedCommitment: Buffer.from(this.secagg!.commitment()),
      });
    }
    if (req.stage === 'masked-input' && !req.quant) {
      // Round 0 (column statistics): honest, so the rogue's misbehaviour is tested in the training rounds.
      this.chunk(
        req.taskId,
        0,
        true,
        Buffer.from(this.secagg!.maskedInput(req.shares, req.sharers, this.statsWords).buffer),
      );
      return;
    }
    if (req.stage === 'masked-input') {
      // A well-formed input: a zero delta with zero weight (value 0 sits at levels / 2).
      const zero = new Uint32Array(this.modelParams + 1).fill(Math.floor(req.quant!.levels / 2));
      const y = this.secagg!.maskedInput(req.shares, req.sharers, zero);
      // wrong-length: a vector 3 values short of the model's.
      const data = Buffer.from(y.buffer, y.byteOffset, masked === 'wrong-length' ? y.byteLength - 12 : y.byteLength);
      this.chunk(req.taskId, 0, true, data);
      if (masked === 'twice') this.chunk(req.taskId, 0, true, data);
      return;
    }
    if (req.stage === 'consistency-check')
      return reply({ signature: Buffer.from(this.secagg!.consistency(req.survivors)) });
    if (req.stage === 'unmasking')
      return reply({
        revealed: this.secagg!.unmask(req.dropped, req.survivors, req.signatures).map((r) => ({
          ...r,
          share: Buffer.from(r.share),
        })),
      });
  }

  /** Parameters of the model in the last task (the masked vector has one more value: the weight). */
  modelParams = 0;

  send(msg: WorkerMessage): void {
    try {
      this.stream.write(msg);
    } catch {
      // closed
    }
  }

  nextTrainTask(): Promise<RogueTask> {
    return new Promise((r) => this.waiters.push(r));
  }

  metrics(t: RogueTask, round = t.header.round, examples = 50): void {
    this.send({ metrics: { taskId: t.header.taskId, round, examples, values: { loss: 0.5 } } });
  }

  chunk(taskId: string, seq: number, last: boolean, values: Float32Array | Buffer): void {
    this.send({
      updateChunk: {
        taskId,
        seq,
        last,
        data: Buffer.isBuffer(values) ? values : Buffer.from(f32ToBytes(values as Float32Array)),
      },
    });
  }

  errors(): { code: string; message: string }[] {
    return this.received.filter((m) => m.error).map((m) => ({ code: m.error!.code, message: m.error!.message }));
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.stream.cancel();
    this.client.close();
  }
}
