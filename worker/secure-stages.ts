// The site's side of secure aggregation: a trained delta waits here until the masked-input stage, and
// only its quantised, masked form leaves. The protocol itself is in shared/secagg/client.ts; this file
// is where the site checks every request against its roster and its approved manifest before it answers.
import crypto from 'node:crypto';
import { ProtocolError, TrustError } from '../shared/errors/index.js';
import { addGaussianNoise, perSiteNoiseStd } from '../shared/privacy/noise.js';
import { chunkF32 } from '../shared/protocol/chunks.js';
import type { SecAggRequest__Output, WorkerMessage } from '../shared/protocol/load.js';
import { rng } from '../shared/random.js';
import { protocolContext, SecAggClient } from '../shared/secagg/client.js';
import { quantize } from '../shared/secagg/quantize.js';
import type { SignedTerms } from '../shared/trust/manifest.js';
import { signRoundKeys } from '../shared/trust/round-keys.js';
import type { Outbox } from './outbox.js';
import { checkPeers } from './secagg-peers.js';
import type { SiteTrust } from './site-trust.js';

/** What a site keeps for the masked-input stage. */
export type Kept = { kind: 'delta'; delta: Float32Array; examples: number } | { kind: 'encoded'; words: Uint32Array };

type Answer = Omit<NonNullable<WorkerMessage['secaggResponse']>, 'taskId' | 'stage'>;

/** One round attempt of one experiment. */
const attemptKey = (experimentId: string, round: number, attempt: number) => `${experimentId}/${round}/${attempt}`;

/** Relative slack when comparing the noise asked for with the noise the manifest gives (float rounding). */
const NOISE_TOLERANCE = 1e-9;

export class SecureStages {
  /** What this round attempt will mask: a clipped delta and its weight, or words already encoded (statistics). */
  private readonly kept = new Map<string, Kept>();
  private readonly clients = new Map<string, SecAggClient>();
  /** Roster-verified peers of each round attempt (set at share-keys): the site's own count of the round. */
  private readonly verifiedPeers = new Map<string, number>();

  constructor(
    private readonly site: string,
    private readonly outbox: Outbox,
    /** Without trust (no identity and roster), the site refuses secure aggregation: it could not tell real peers from the coordinator. */
    private readonly trust: SiteTrust | undefined,
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

  /** The approved terms of the request; refuses a request outside them. */
  private termsOf(req: SecAggRequest__Output): { trust: SiteTrust; terms: SignedTerms } {
    const trust = this.trust;
    if (!trust)
      throw new TrustError(
        'NO_IDENTITY',
        "secure aggregation needs this site's identity key and the federation's roster (accord worker --identity --roster): without them the coordinator could play every peer",
      );
    const terms = trust.approvedTerms(req.experimentId, req.manifestHash);
    const c = terms.manifest.config;
    if (c.secagg.mode === 'off')
      throw new TrustError('OUTSIDE_MANIFEST', 'secure aggregation requested; the manifest has secagg.mode off');
    const statistics = c.data.format === 'csv' && c.data.scaling === 'federated';
    if (!(req.round >= (statistics ? 0 : 1) && req.round <= c.rounds))
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `secure aggregation for round ${req.round}, outside the manifest's rounds`,
      );
    if (!(req.attempt >= 1 && req.attempt <= c.roundAttempts))
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `secure aggregation for attempt ${req.attempt}; the manifest allows ${c.roundAttempts} attempts per round`,
      );
    return { trust, terms };
  }

  private async stage(req: SecAggRequest__Output): Promise<void> {
    const key = attemptKey(req.experimentId, req.round, req.attempt);
    const respond = (body: Answer) =>
      this.outbox.send({ secaggResponse: { taskId: req.taskId, stage: req.stage, ...body } });
    const { trust, terms } = this.termsOf(req);
    const context = protocolContext(req.experimentId, req.attempt);
    switch (req.stage) {
      case 'advertise-keys': {
        for (const k of this.clients.keys()) if (k.startsWith(`${req.experimentId}/`)) this.clients.delete(k);
        const client = new SecAggClient(context, req.round, this.site, trust.identity);
        this.clients.set(key, client);
        const { cPk, sPk, gPk } = client.advertise();
        const keySignature = signRoundKeys(trust.identity, {
          manifestHash: terms.hash,
          context,
          round: req.round,
          site: this.site,
          cPk,
          sPk,
        });
        return respond({ cPk: Buffer.from(cPk), sPk: Buffer.from(sPk), gPk: Buffer.from(gPk), keySignature });
      }
      case 'share-keys': {
        checkPeers(req, trust, terms, context);
        const peers = req.peers.map((p) => ({ site: p.site, cPk: p.cPk, sPk: p.sPk, gPk: p.gPk }));
        const shares = await this.client(key).shareKeys(peers, {
          degree: req.neighbours === 0 ? 'all' : req.neighbours,
          threshold: req.threshold,
          graphSeed: req.graphSeed,
        });
        this.verifiedPeers.set(key, peers.length);
        return respond({
          shares: shares.map((s) => ({ from: s.from, to: s.to, sealed: Buffer.from(s.sealed) })),
          seedCommitment: Buffer.from(this.client(key).commitment()),
        });
      }
      case 'masked-input':
        return this.maskedInput(req, key, terms);
      case 'consistency-check':
        return respond({ signature: Buffer.from(this.client(key).consistency(req.survivors)) });
      case 'unmasking': {
        const revealed = this.client(key).unmask(req.dropped, req.survivors, req.signatures);
        this.clients.delete(key);
        this.verifiedPeers.delete(key);
        return respond({
          revealed: revealed.map((r) => ({ owner: r.owner, kind: r.kind, share: Buffer.from(r.share) })),
        });
      }
      default:
        throw new ProtocolError(`unknown secure-aggregation stage "${req.stage}"`, 'WRONG_STAGE');
    }
  }

  /** Masks what was kept (a delta is first weighed, noised and quantised), then uploads it. */
  private async maskedInput(req: SecAggRequest__Output, key: string, terms: SignedTerms): Promise<void> {
    const mine = this.kept.get(key);
    if (!mine) throw new ProtocolError(`no trained update for round ${req.round} attempt ${req.attempt}`, 'NO_UPDATE');
    // A masked update leaves once per round: two sums of the same deterministic peers, one with this
    // site and one without, would give its update away.
    this.trust?.ledger.claim(terms, 'update-once', req.round, req.attempt);
    const words = mine.kind === 'encoded' ? mine.words : this.quantised(req, mine, terms, this.verifiedPeers.get(key));
    const shares = req.shares.map((s) => ({ from: s.from, to: s.to, sealed: s.sealed }));
    const masked = this.client(key).maskedInput(shares, req.sharers, words);
    for (const c of chunkF32(new Float32Array(masked.buffer, masked.byteOffset, masked.length)))
      await this.outbox.send({ updateChunk: { taskId: req.taskId, seq: c.seq, last: c.last, data: c.data } });
    this.kept.delete(key);
  }

  /**
   * The delta weighed, with the site's share of the DP noise, quantised for masking. The noise share,
   * clip range and weighting are checked against what the manifest gives for the verified peers: a
   * coordinator asking for less noise (or none) is refused, not obeyed.
   */
  private quantised(
    req: SecAggRequest__Output,
    mine: Extract<Kept, { kind: 'delta' }>,
    terms: SignedTerms,
    peers: number | undefined,
  ): Uint32Array {
    const q = req.quant;
    if (!q) throw new ProtocolError('masked-input without its quantisation spec', 'BAD_REQUEST');
    if (peers === undefined) throw new ProtocolError('masked-input before share-keys', 'WRONG_STAGE');
    const c = terms.manifest.config;
    const noise = c.dp && c.dp.noise > 0 ? perSiteNoiseStd(c.dp.noise * c.dp.clip, peers, c.secagg.colludingSites) : 0;
    if (Math.abs(q.noiseStd - noise) > NOISE_TOLERANCE * Math.max(1, noise))
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `asked to add noise of std ${q.noiseStd}; the manifest gives ${noise} for ${peers} sites`,
      );
    if (q.range !== Math.max(c.secagg.clip, 1))
      throw new TrustError(
        'OUTSIDE_MANIFEST',
        `asked to clip at ${q.range}; the manifest gives ${Math.max(c.secagg.clip, 1)}`,
      );
    if (q.uniformWeight !== Boolean(c.dp))
      throw new TrustError('OUTSIDE_MANIFEST', 'asked for a weighting the manifest does not give');
    const n = mine.delta.length;
    const weight = (q.uniformWeight ? 1 : mine.examples) / q.weightScale;
    const v = new Float32Array(n + 1);
    v.set(mine.delta);
    if (noise > 0) addGaussianNoise(v.subarray(0, n), noise);
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
