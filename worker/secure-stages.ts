// The site's side of secure aggregation: a trained delta waits here until the masked-input stage, and
// only its quantised, masked form leaves. The protocol itself is in shared/secagg/client.ts.
import crypto from 'node:crypto';
import { ProtocolError } from '../shared/errors/index.js';
import { addGaussianNoise } from '../shared/privacy/noise.js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import type { SecAggRequest__Output, WorkerMessage } from '../shared/protocol/load.js';
import { rng } from '../shared/random.js';
import { protocolContext, SecAggClient } from '../shared/secagg/client.js';
import { quantize } from '../shared/secagg/quantize.js';
import type { Outbox } from './outbox.js';

/** What a site keeps for the masked-input stage. */
export type Kept = { kind: 'delta'; delta: Float32Array; examples: number } | { kind: 'encoded'; words: Uint32Array };

type Answer = Omit<NonNullable<WorkerMessage['secaggResponse']>, 'taskId' | 'stage'>;

/** One round attempt of one experiment. */
const attemptKey = (experimentId: string, round: number, attempt: number) => `${experimentId}/${round}/${attempt}`;

export class SecureStages {
  /** What this round attempt will mask: a clipped delta and its weight, or words already encoded (statistics). */
  private readonly kept = new Map<string, Kept>();
  private readonly clients = new Map<string, SecAggClient>();

  constructor(
    private readonly site: string,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Keeps what a secure task will mask (only the newest of an experiment): the
   * delta of a train task, or the fixed-point words of column statistics (round 0).
   */
  keep(experimentId: string, round: number, attempt: number, item: Kept): void {
    for (const k of this.kept.keys()) if (k.startsWith(`${experimentId}/`)) this.kept.delete(k);
    this.kept.set(attemptKey(experimentId, round, attempt), item);
  }

  /** Runs one stage; a failure is reported to the coordinator as the task's error. */
  async handle(req: SecAggRequest__Output): Promise<void> {
    try {
      await this.stage(req);
    } catch (e) {
      await this.outbox.sendError(req.taskId, e);
    }
  }

  private async stage(req: SecAggRequest__Output): Promise<void> {
    const key = attemptKey(req.experimentId, req.round, req.attempt);
    const respond = (body: Answer) =>
      this.outbox.send({ secaggResponse: { taskId: req.taskId, stage: req.stage, ...body } });
    switch (req.stage) {
      case 'advertise-keys': {
        for (const k of this.clients.keys()) if (k.startsWith(`${req.experimentId}/`)) this.clients.delete(k);
        const client = new SecAggClient(protocolContext(req.experimentId, req.attempt), req.round, this.site);
        this.clients.set(key, client);
        const { cPk, sPk, gPk } = client.advertise();
        return respond({ cPk: Buffer.from(cPk), sPk: Buffer.from(sPk), gPk: Buffer.from(gPk) });
      }
      case 'share-keys': {
        const peers = req.peers.map((p) => ({ site: p.site, cPk: p.cPk, sPk: p.sPk, gPk: p.gPk }));
        const shares = await this.client(key).shareKeys(peers, {
          degree: req.neighbours === 0 ? 'all' : req.neighbours,
          threshold: req.threshold,
          graphSeed: req.graphSeed,
        });
        return respond({
          shares: shares.map((s) => ({ from: s.from, to: s.to, sealed: Buffer.from(s.sealed) })),
          seedCommitment: Buffer.from(this.client(key).commitment()),
        });
      }
      case 'masked-input':
        return this.maskedInput(req, key);
      case 'consistency-check':
        return respond({ signature: Buffer.from(this.client(key).consistency(req.survivors)) });
      case 'unmasking': {
        const revealed = this.client(key).unmask(req.dropped, req.survivors, req.signatures);
        this.clients.delete(key);
        return respond({
          revealed: revealed.map((r) => ({ owner: r.owner, kind: r.kind, share: Buffer.from(r.share) })),
        });
      }
      default:
        throw new ProtocolError(`unknown secure-aggregation stage "${req.stage}"`, 'WRONG_STAGE');
    }
  }

  /** Masks what was kept (a delta is first weighed, noised and quantised), then uploads it. */
  private async maskedInput(req: SecAggRequest__Output, key: string): Promise<void> {
    const mine = this.kept.get(key);
    if (!mine) throw new ProtocolError(`no trained update for round ${req.round} attempt ${req.attempt}`, 'NO_UPDATE');
    const words = mine.kind === 'encoded' ? mine.words : this.quantised(req, mine);
    const shares = req.shares.map((s) => ({ from: s.from, to: s.to, sealed: s.sealed }));
    const masked = this.client(key).maskedInput(shares, req.sharers, words);
    for (const c of chunkF32(new Float32Array(masked.buffer, masked.byteOffset, masked.length)))
      await this.outbox.send({ updateChunk: { taskId: req.taskId, seq: c.seq, last: c.last, data: c.data } });
    this.kept.delete(key);
  }

  /** The delta weighed, with the site's share of the DP noise, quantised for masking. */
  private quantised(req: SecAggRequest__Output, mine: Extract<Kept, { kind: 'delta' }>): Uint32Array {
    const q = req.quant;
    if (!q) throw new ProtocolError('masked-input without its quantisation spec', 'BAD_REQUEST');
    const n = mine.delta.length;
    const weight = (q.uniformWeight ? 1 : mine.examples) / q.weightScale;
    const v = new Float32Array(n + 1);
    v.set(mine.delta);
    if (q.noiseStd > 0) addGaussianNoise(v.subarray(0, n), q.noiseStd);
    for (let i = 0; i < n; i++) v[i] = (v[i] ?? 0) * weight;
    v[n] = weight;
    return quantize(v, q.range, q.levels, rng(crypto.randomBytes(4).readUInt32LE(0)));
  }

  private client(key: string): SecAggClient {
    const c = this.clients.get(key);
    if (!c)
      throw new ProtocolError(`no secure-aggregation session ${key} (keys were not advertised here)`, 'WRONG_STAGE');
    return c;
  }
}
