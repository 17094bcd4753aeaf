// The worker: dials out to the coordinator (the only connection a site needs), declares its data set
// (name and row count, never rows), reconnects with backoff, heartbeats, and runs tasks one at a time.
import * as grpc from '@grpc/grpc-js';
import type * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { parseExperiment } from '../shared/config/load';
import type { ExperimentConfig } from '../shared/config/schema';
import { countRows, readCsvFile } from '../shared/data/csv';
import { columnSumsToMetrics, siteColumnSums } from '../shared/data/features';
import { partitionSize, type SitePartition } from '../shared/data/images';
import fs from 'node:fs';
import type { SiteData } from '../shared/data/features';
import { loadSiteData } from '../shared/data/site';
import { AccordError, AuthError } from '../shared/errors';
import { createLogger, type Logger } from '../shared/log/logger';
import { type BackendChoice, type BackendName, initBackend } from '../shared/models/backend';
import { getFlatWeights, modelFor, setFlatWeights, weightSpecs } from '../shared/models/zoo';
import { inputSize } from '../shared/data/shape';
import { ChunkReceiver, chunkF32 } from '../shared/protocol/chunks';
import { CHANNEL_OPTIONS, type CoordinatorMessage__Output, type FederationClient, type TaskHeader__Output, type WorkerMessage, loadProtocol } from '../shared/protocol/load';
import { seedOf } from '../shared/random';
import { copyF32Bytes } from '../shared/tensors/bytes';
import { sameSpecs, totalSize, type TensorShape } from '../shared/tensors/weights';
import { AuditLog } from './audit';
import { type Attack, applyAttack } from '../shared/attack';
import crypto from 'node:crypto';
import { clipL2 } from '../shared/privacy/clip';
import { addGaussianNoise } from '../shared/privacy/noise';
import { rng } from '../shared/random';
import { SecAggClient } from '../shared/secagg/client';
import { quantize } from '../shared/secagg/quantize';
import { evaluateLocal, trainLocal } from '../shared/models/train';

export const ACCORD_VERSION = '0.1.0';

export interface WorkerOptions {
  /** HOST:PORT of the coordinator's gRPC server. */
  coordinator: string;
  /** This site's name, as the coordinator's tokens file knows it. */
  site: string;
  token: string;
  /** The site's local data file (CSV). It is read here and never sent. */
  dataFile: string;
  /** TF.js backend: auto (tensorflow > wasm > cpu), or one of them. Default auto. */
  backend?: BackendName | 'auto';
  /** Where the audit log of sent messages goes. Default: no file (still logged at debug level). */
  auditFile?: string;
  /** Longest wait between reconnect attempts. Default 30000 ms. */
  maxBackoffMs?: number;
  /** Simulation only: poison this site's updates (see shared/attack.ts). */
  attack?: Attack;
  /** TLS to the coordinator (PEM): the CA that signed its certificate, and this site's own for mTLS. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
  /** Simulation only: this logical site holds this partition of the data set at `dataFile`. */
  partition?: SitePartition;
  log?: Logger;
}

type Stream = grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>;

interface IncomingTask {
  kind: 'train' | 'evaluate';
  header: TaskHeader__Output;
  specs: TensorShape[];
  values: Float32Array;
  receiver: ChunkReceiver;
  cancelled: boolean;
}

export class AccordWorker {
  private client?: FederationClient;
  private stream?: Stream;
  private stopped = false;
  private backoffMs = 500;
  private heartbeat?: NodeJS.Timeout;
  private backend?: BackendChoice;
  private incoming = new Map<string, IncomingTask>();
  private queue: Promise<void> = Promise.resolve();
  private siteCache = new Map<string, SiteData>();
  private modelCache = new Map<string, tf.LayersModel>();
  /** Under secure aggregation: this round's delta waits here for the masked-input stage. */
  private secureDeltas = new Map<string, { delta: Float32Array; examples: number }>();
  private secClients = new Map<string, SecAggClient>();
  private readonly audit: AuditLog;
  readonly log: Logger;
  private fatal?: (e: Error) => void;
  /** Resolves on the first Welcome. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  /** Tasks completed on this worker (for tests and logs). */
  completed = 0;

  constructor(private readonly opts: WorkerOptions) {
    this.log = opts.log ?? createLogger(`worker:${opts.site}`);
    this.audit = new AuditLog(opts.auditFile);
    this.ready = new Promise((r) => (this.markReady = r));
  }

  /** Connects and keeps the session up until stop(); rejects on a fatal error (e.g. a wrong token). */
  async run(): Promise<void> {
    this.backend = await initBackend(this.opts.backend ?? 'auto');
    this.log.info({ backend: this.backend.backend, device: this.backend.device, reason: this.backend.reason, tfjs: this.backend.tfjsVersion }, 'TF.js backend');
    const Federation = loadProtocol().accord.v1.Federation;
    const t = this.opts.tls;
    const creds = t ? grpc.credentials.createSsl(t.ca, t.key ?? null, t.cert ?? null) : grpc.credentials.createInsecure();
    this.client = new Federation(this.opts.coordinator, creds, { ...CHANNEL_OPTIONS, ...(t?.serverName ? { 'grpc.ssl_target_name_override': t.serverName } : {}) });
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
    this.client?.close();
    this.audit.close();
    for (const m of this.modelCache.values()) m.dispose();
    this.onStopped?.();
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.client!.Session();
    this.stream = stream;
    let closed = false;
    const reconnect = (why: string) => {
      if (closed) return;
      closed = true;
      clearInterval(this.heartbeat);
      this.incoming.clear();
      if (this.stopped) return;
      const wait = this.backoffMs;
      this.backoffMs = Math.min(this.opts.maxBackoffMs ?? 30_000, this.backoffMs * 2);
      this.log.warn({ why, retryInMs: wait }, 'disconnected from coordinator');
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
    const rows = fs.statSync(this.opts.dataFile).isDirectory() ? partitionSize(this.opts.dataFile, this.opts.partition) : countRows(this.opts.dataFile);
    void this.send({
      hello: {
        siteId: this.opts.site,
        token: this.opts.token,
        datasets: [{ name: path.basename(this.opts.dataFile) + (this.opts.partition ? `#${this.opts.partition.scheme}-${this.opts.partition.index}` : ''), examples: rows }],
        backend: this.backend!.backend,
        version: ACCORD_VERSION,
        tfjsVersion: this.backend!.tfjsVersion,
        device: this.backend!.device,
      },
    });
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
        this.backoffMs = 500;
        this.log.info({ session: w.sessionId, coordinator: w.coordinatorInstance }, 'connected');
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => void this.send({ heartbeat: { unixMs: Date.now() } }).catch(() => undefined), w.heartbeatMs || 2000);
        this.heartbeat.unref();
        this.markReady();
        return;
      }
      case 'trainTask':
      case 'evaluateTask': {
        const header = (msg.trainTask ?? msg.evaluateTask)!.header!;
        const specs = header.tensors.map((t) => ({ name: t.name, shape: [...t.shape] }));
        const values = new Float32Array(totalSize(specs));
        const task: IncomingTask = {
          kind: msg.body === 'trainTask' ? 'train' : 'evaluate',
          header,
          specs,
          values,
          cancelled: false,
          receiver: new ChunkReceiver(values.length, (bytes, off) => copyF32Bytes(values, bytes, off), 'global model'),
        };
        this.incoming.set(header.taskId, task);
        return;
      }
      case 'modelChunk': {
        const c = msg.modelChunk!;
        const task = this.incoming.get(c.taskId);
        if (!task) return;
        try {
          task.receiver.accept(c);
        } catch (e) {
          this.incoming.delete(c.taskId);
          void this.sendError(c.taskId, e);
          return;
        }
        if (task.receiver.complete) {
          this.queue = this.queue.then(() => this.execute(task)).catch(() => undefined);
        }
        return;
      }
      case 'statsTask': {
        const header = msg.statsTask!.header!;
        this.queue = this.queue.then(() => this.columnSums(header)).catch(() => undefined);
        return;
      }
      case 'secaggRequest': {
        const req = msg.secaggRequest!;
        this.queue = this.queue.then(() => this.secagg(req)).catch(() => undefined);
        return;
      }
      case 'cancel': {
        const t = this.incoming.get(msg.cancel!.taskId);
        if (t) t.cancelled = true;
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

  private async sendError(taskId: string, e: unknown): Promise<void> {
    const code = e instanceof AccordError ? e.code : 'WORKER_ERROR';
    const message = e instanceof Error ? e.message : String(e);
    this.log.error({ task: taskId, code, err: message }, 'task failed');
    await this.send({ error: { taskId, code, message } }).catch(() => undefined);
  }

  private siteData(cfg: ExperimentConfig): SiteData {
    const key = JSON.stringify(cfg.data);
    let d = this.siteCache.get(key);
    if (!d) {
      d = loadSiteData(this.opts.dataFile, cfg.data, this.opts.partition);
      this.siteCache.set(key, d);
      this.log.info({ train: d.train.n, test: d.test.n, features: d.featureNames.length }, 'local data loaded');
    }
    return d;
  }

  private async model(cfg: ExperimentConfig, data: SiteData): Promise<tf.LayersModel> {
    const key = JSON.stringify([cfg.model, inputSize(cfg.data), data.classes]);
    let m = this.modelCache.get(key);
    if (!m) {
      m = await modelFor(cfg);
      this.modelCache.set(key, m);
    }
    return m;
  }

  /** Federated scaling: per-column count, sum and sum of squares of this site's training rows. */
  private async columnSums(header: TaskHeader__Output): Promise<void> {
    try {
      const cfg = parseExperiment(JSON.parse(header.configJson), `task ${header.taskId} config`);
      const data = cfg.data;
      if (data.format !== 'csv') throw new AccordError('WRONG_FORMAT', 'column statistics apply to CSV data only');
      const sums = siteColumnSums(readCsvFile(this.opts.dataFile, data), data);
      const values = columnSumsToMetrics(sums, data.columns);
      await this.send({ metrics: { taskId: header.taskId, round: header.round, examples: sums.rows, values } });
    } catch (e) {
      await this.sendError(header.taskId, e);
    }
  }

  /** One stage of secure aggregation (see shared/secagg/client.ts for the protocol itself). */
  private async secagg(req: NonNullable<CoordinatorMessage__Output['secaggRequest']>): Promise<void> {
    const key = `${req.experimentId}/${req.round}`;
    const respond = (body: Omit<NonNullable<WorkerMessage['secaggResponse']>, 'taskId' | 'stage'>) =>
      this.send({ secaggResponse: { taskId: req.taskId, stage: req.stage, ...body } });
    try {
      switch (req.stage) {
        case 'advertise-keys': {
          for (const k of this.secClients.keys()) if (k.startsWith(req.experimentId.split('#')[0]!)) this.secClients.delete(k);
          const client = new SecAggClient(req.experimentId, req.round, this.opts.site);
          this.secClients.set(key, client);
          const { cPk, sPk } = client.advertise();
          return await respond({ cPk: Buffer.from(cPk), sPk: Buffer.from(sPk) });
        }
        case 'share-keys': {
          const shares = await this.secClient(key).shareKeys(
            req.peers.map((p) => ({ site: p.site, cPk: p.cPk, sPk: p.sPk })),
            { degree: req.degree === 'all' ? 'all' : Number(req.degree), threshold: req.threshold, graphSeed: req.graphSeed },
          );
          return await respond({ shares: shares.map((s) => ({ from: s.from, to: s.to, sealed: Buffer.from(s.sealed) })) });
        }
        case 'masked-input': {
          const base = `${req.experimentId.split('#')[0]}/${req.round}`;
          const mine = this.secureDeltas.get(base);
          if (!mine) throw new AccordError('NO_UPDATE', `no trained update for ${base}`);
          const q = req.quant!;
          const weight = (q.uniformWeight ? 1 : mine.examples) / q.weightScale;
          const v = new Float32Array(mine.delta.length + 1);
          v.set(mine.delta);
          if (q.noiseStd > 0) addGaussianNoise(v.subarray(0, mine.delta.length), q.noiseStd); // this site's share of the DP noise
          for (let i = 0; i < mine.delta.length; i++) v[i] = v[i]! * weight;
          v[mine.delta.length] = weight;
          const quantised = quantize(v, q.range, q.levels, rng(crypto.randomBytes(4).readUInt32LE(0)));
          const masked = this.secClient(key).maskedInput(
            req.shares.map((s) => ({ from: s.from, to: s.to, sealed: s.sealed })),
            req.sharers,
            quantised,
          );
          for (const c of chunkF32(new Float32Array(masked.buffer, masked.byteOffset, masked.length)))
            await this.send({ updateChunk: { taskId: req.taskId, seq: c.seq, last: c.last, data: c.data } });
          this.secureDeltas.delete(base);
          return;
        }
        case 'unmasking': {
          const revealed = this.secClient(key).unmask(req.dropped, req.survivors);
          this.secClients.delete(key);
          return await respond({ revealed: revealed.map((r) => ({ owner: r.owner, kind: r.kind, share: Buffer.from(r.share) })) });
        }
        default:
          throw new AccordError('WRONG_STAGE', `unknown secure-aggregation stage "${req.stage}"`);
      }
    } catch (e) {
      await this.sendError(req.taskId, e);
    }
  }

  private secClient(key: string): SecAggClient {
    const c = this.secClients.get(key);
    if (!c) throw new AccordError('WRONG_STAGE', `no secure-aggregation session ${key} (keys were not advertised here)`);
    return c;
  }

  private async execute(task: IncomingTask): Promise<void> {
    const { header } = task;
    this.incoming.delete(header.taskId);
    if (task.cancelled || this.stopped) return;
    try {
      const cfg = parseExperiment(JSON.parse(header.configJson), `task ${header.taskId} config`);
      const data = this.siteData(cfg);
      const model = await this.model(cfg, data);
      if (!sameSpecs(weightSpecs(model).map((s) => ({ ...s })), task.specs))
        throw new AccordError('WRONG_SHAPE', `global model shapes ${JSON.stringify(task.specs.map((s) => s.shape))} do not match the local model`);
      const global = { specs: task.specs, values: task.values };
      setFlatWeights(model, global);
      const before = await evaluateLocal(model, data.test, data.classes);
      if (task.kind === 'evaluate') {
        const values: Record<string, number> = { loss: before.loss, accuracy: before.accuracy, ...(before.auc !== undefined ? { auc: before.auc } : {}) };
        for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) delete values[k];
        await this.send({ metrics: { taskId: header.taskId, round: header.round, examples: data.test.n, values } });
        this.completed++;
        return;
      }
      const t0 = Date.now();
      const trained = await trainLocal(model, data.train, cfg.train, data.classes, seedOf(cfg.seed, this.opts.site, header.round));
      const after = getFlatWeights(model).values;
      const delta = new Float32Array(after.length);
      for (let i = 0; i < after.length; i++) delta[i] = after[i]! - global.values[i]!;
      if (this.opts.attack) applyAttack(delta, this.opts.attack, seedOf(this.opts.site, header.round));
      // Differential privacy: the site bounds its own contribution before anything leaves.
      if (cfg.dp) clipL2(delta, cfg.dp.clip);
      if (task.cancelled) return;
      const values: Record<string, number> = { loss: trained.loss, startLoss: before.loss, startAccuracy: before.accuracy, trainMs: Date.now() - t0 };
      for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) delete values[k];
      if (cfg.secagg.mode !== 'off') {
        // The delta stays here; only its masked, quantised form leaves, in the masked-input stage.
        for (const k of this.secureDeltas.keys()) if (k.startsWith(`${header.experimentId}/`)) this.secureDeltas.delete(k);
        this.secureDeltas.set(`${header.experimentId}/${header.round}`, { delta, examples: data.train.n });
        await this.send({ metrics: { taskId: header.taskId, round: header.round, examples: 0, values } });
        this.completed++;
        return;
      }
      await this.send({ metrics: { taskId: header.taskId, round: header.round, examples: data.train.n, values } });
      for (const c of chunkF32(delta)) {
        if (task.cancelled) return;
        await this.send({ updateChunk: { taskId: header.taskId, seq: c.seq, last: c.last, data: c.data } });
      }
      this.completed++;
      this.log.info({ task: header.taskId, round: header.round, loss: trained.loss, examples: data.train.n }, 'update sent');
    } catch (e) {
      await this.sendError(header.taskId, e);
    }
  }
}
