// One client's side of secure aggregation for one round (Bonawitz et al. 2017, with the SecAgg+
// neighbour graph of Bell et al. 2020). Pure protocol logic: the caller moves the messages.
import crypto from 'node:crypto';
import { ProtocolError } from '../errors/index.js';
import { graphSeedOf, neighbourGraph, thresholdFor } from './graph.js';
import { agree, generateKeyPair, type KeyPair, pairInfo } from './keys.js';
import { addMasks } from './prg.js';
import { decryptShare, encryptShare, shareAad, splitSecret } from './shares.js';
import { generateSigningKeys, type SigningKeys, signSurvivors, verifySurvivors } from './signatures.js';

export interface PeerKeys {
  site: string;
  cPk: Uint8Array; // encrypts shares
  sPk: Uint8Array; // agrees pairwise mask seeds
  gPk: Uint8Array; // verifies the client's signature on the survivor set (Ed25519)
}

/** A client's signature on the survivor set it was shown (consistency check). */
export interface SurvivorSignature {
  site: string;
  signature: Uint8Array;
}

export interface GraphParams {
  /** Neighbours per client, or 'all' (classic SecAgg). */
  degree: number | 'all';
  /** Reconstruction threshold: a count, or a fraction of the neighbourhood when < 1. */
  threshold: number;
  /** Public per-round seed of the neighbour graph. */
  graphSeed: string;
}

export interface SealedShare {
  from: string;
  to: string;
  sealed: Uint8Array;
}

export type RevealKind = 'self-seed' | 'mask-key';

export interface RevealedShare {
  owner: string;
  kind: RevealKind;
  share: Uint8Array;
}

/**
 * The context every key, mask seed and sealed share of one round attempt is bound to: shares of one
 * attempt can never be replayed in another. Client and server must derive it the same way.
 */
export function protocolContext(experimentId: string, attempt: number): string {
  return `${experimentId}#a${attempt}`;
}

/**
 * A commitment to a client's self-mask seed, sent with its shares: the coordinator checks every seed it
 * rebuilds against it, so a corrupted share cannot silently yield a wrong seed (and a wrong sum).
 */
export function seedCommitment(context: string, round: number, site: string, seed: Uint8Array): Buffer {
  return crypto
    .createHash('sha256')
    .update(`accord/secagg/seed\n${context}\n${round}\n${site}\n`)
    .update(seed)
    .digest();
}

const SHARE_LEN = 33; // 32-byte secret + the x coordinate

export class SecAggClient {
  private c: KeyPair | undefined;
  private s: KeyPair | undefined;
  private selfSeed: Uint8Array | undefined;
  private peers = new Map<string, PeerKeys>();
  private neighbours: string[] = [];
  private t = 0;
  private held = new Map<string, { selfSeed: Uint8Array; maskKey: Uint8Array }>();
  private revealed = new Map<string, RevealKind>();
  private g: SigningKeys | undefined;
  /** The survivor set this client signed in the consistency check. */
  private signed: string[] | undefined;
  private stage: 'new' | 'advertised' | 'shared' | 'masked' | 'checked' | 'unmasked' = 'new';

  constructor(
    readonly experiment: string,
    readonly round: number,
    readonly self: string,
    /**
     * The site's identity key, which then signs the survivor set (peers verify it against their roster).
     * Without one, a fresh key per round (benchmarks, protocol tests).
     */
    private readonly identity?: SigningKeys,
  ) {}

  private expect(stage: SecAggClient['stage'], next: string): void {
    if (this.stage !== stage)
      throw new ProtocolError(`secagg ${this.self}: ${next} requested in stage ${this.stage}`, 'WRONG_STAGE');
  }

  /** Stage advertise-keys: two fresh X25519 key pairs and an Ed25519 signing key for this round. */
  advertise(): { cPk: Uint8Array; sPk: Uint8Array; gPk: Uint8Array } {
    this.expect('new', 'advertise-keys');
    this.c = generateKeyPair();
    this.s = generateKeyPair();
    this.g = this.identity ?? generateSigningKeys();
    this.stage = 'advertised';
    return { cPk: this.c.publicKey, sPk: this.s.publicKey, gPk: this.g.publicKey };
  }

  /** Stage share-keys: t-of-k shares of the self-mask seed and the mask private key, sealed to each neighbour. */
  async shareKeys(peers: PeerKeys[], g: GraphParams): Promise<SealedShare[]> {
    this.expect('advertised', 'share-keys');
    const sites = peers.map((p) => p.site);
    if (!sites.includes(this.self))
      throw new ProtocolError(`secagg ${this.self}: not among the advertised clients`, 'NOT_A_PARTICIPANT');
    if (new Set(sites).size !== sites.length)
      throw new ProtocolError('secagg: a site appears twice among the advertised keys', 'DUPLICATE_PEER');
    const mine = peers.find((p) => p.site === this.self)!;
    if (
      !Buffer.from(mine.cPk).equals(this.c!.publicKey) ||
      !Buffer.from(mine.sPk).equals(this.s!.publicKey) ||
      !Buffer.from(mine.gPk).equals(this.g!.publicKey)
    )
      throw new ProtocolError(`secagg ${this.self}: the coordinator relayed keys that are not mine`, 'KEY_MISMATCH');
    if (g.graphSeed !== graphSeedOf(peers))
      throw new ProtocolError(
        `secagg ${this.self}: the graph seed does not come from the advertised keys`,
        'KEY_MISMATCH',
      );
    for (const p of peers) this.peers.set(p.site, p);
    this.neighbours = neighbourGraph(sites, g.degree, g.graphSeed).get(this.self)!;
    this.t = thresholdFor(this.neighbours.length, g.threshold);
    // Checked here too, whatever the coordinator says: at or below half, two disjoint groups of
    // neighbours could each rebuild one of this client's secrets.
    if (this.t <= this.neighbours.length / 2)
      throw new ProtocolError(
        `secagg ${this.self}: a threshold of ${this.t} for ${this.neighbours.length} neighbours is not above half; refusing`,
        'TOO_FEW_NEIGHBOURS',
      );
    if (this.neighbours.length < 2 || this.t < 2)
      throw new ProtocolError(
        `secagg ${this.self}: ${this.neighbours.length} neighbours cannot protect a secret (threshold ${this.t})`,
        'TOO_FEW_NEIGHBOURS',
      );
    this.selfSeed = crypto.randomBytes(32);
    const seedShares = await splitSecret(this.selfSeed, this.neighbours.length, this.t);
    const keyShares = await splitSecret(this.s!.privateKey, this.neighbours.length, this.t);
    const out = this.neighbours.map((to, i) => {
      const key = agree(
        this.c!.privateKey,
        this.peers.get(to)!.cPk,
        pairInfo('share', this.experiment, this.round, this.self, to),
      );
      const plain = Buffer.concat([seedShares[i]!, keyShares[i]!]);
      return {
        from: this.self,
        to,
        sealed: encryptShare(key, plain, shareAad(this.experiment, this.round, this.self, to)),
      };
    });
    this.stage = 'shared';
    return out;
  }

  /** After share-keys: the commitment to this client's self-mask seed (sent with its shares). */
  commitment(): Uint8Array {
    if (!this.selfSeed) throw new ProtocolError(`secagg ${this.self}: no seed before share-keys`, 'WRONG_STAGE');
    return seedCommitment(this.experiment, this.round, this.self, this.selfSeed);
  }

  /**
   * Stage masked-input: opens the shares addressed to this client, then masks the quantised input with
   * the self mask and the pairwise masks of neighbours that completed share-keys (`sharers`).
   */
  maskedInput(received: SealedShare[], sharers: string[], input: Uint32Array): Uint32Array {
    this.expect('shared', 'masked-input');
    const shared = new Set(sharers);
    if (!shared.has(this.self))
      throw new ProtocolError(`secagg ${this.self}: not among the clients that shared keys`, 'NOT_A_PARTICIPANT');
    for (const r of received) {
      if (r.to !== this.self)
        throw new ProtocolError(`secagg ${this.self}: a share addressed to ${r.to}`, 'MISADDRESSED_SHARE');
      if (!this.neighbours.includes(r.from))
        throw new ProtocolError(
          `secagg ${this.self}: a share from ${r.from}, who is not a neighbour`,
          'NOT_A_NEIGHBOUR',
        );
      if (this.held.has(r.from))
        throw new ProtocolError(`secagg ${this.self}: two shares from ${r.from}`, 'DUPLICATE_SHARE');
      const key = agree(
        this.c!.privateKey,
        this.peers.get(r.from)!.cPk,
        pairInfo('share', this.experiment, this.round, this.self, r.from),
      );
      const plain = decryptShare(
        key,
        r.sealed,
        shareAad(this.experiment, this.round, r.from, this.self),
        `share from ${r.from}`,
      );
      if (plain.byteLength !== 2 * SHARE_LEN)
        throw new ProtocolError(`share from ${r.from} has ${plain.byteLength} bytes`, 'BAD_SHARE');
      this.held.set(r.from, { selfSeed: plain.subarray(0, SHARE_LEN), maskKey: plain.subarray(SHARE_LEN) });
    }
    const live = this.neighbours.filter((j) => shared.has(j));
    if (live.length < this.t)
      throw new ProtocolError(
        `secagg ${this.self}: ${live.length} neighbours shared keys, threshold is ${this.t}`,
        'TOO_FEW_SURVIVORS',
      );
    const y = input.slice();
    addMasks(y, [
      { seed: this.selfSeed!, sign: 1 },
      ...live.map((j) => ({
        seed: agree(
          this.s!.privateKey,
          this.peers.get(j)!.sPk,
          pairInfo('mask', this.experiment, this.round, this.self, j),
        ),
        sign: this.self < j ? (1 as const) : (-1 as const),
      })),
    ]);
    this.stage = 'masked';
    return y;
  }

  /**
   * Stage consistency-check: signs the survivor set the coordinator shows this client. A client signs
   * one set per round; in unmasking it reveals only if t clients signed that very set.
   */
  consistency(survivors: string[]): Uint8Array {
    this.expect('masked', 'consistency-check');
    if (!survivors.includes(this.self))
      throw new ProtocolError(`secagg ${this.self}: shown a survivor set without me`, 'NOT_A_PARTICIPANT');
    this.signed = [...survivors].sort();
    this.stage = 'checked';
    return signSurvivors(this.g!, this.experiment, this.round, this.signed);
  }

  /**
   * Stage unmasking: self-seed shares of neighbours that sent masked input, mask-key shares of those
   * that dropped after sharing keys. Never both kinds for one peer, nothing at all when fewer than t
   * neighbours survived, and nothing unless t distinct survivors signed the survivor set this client
   * signed (a coordinator that shows different sets to different clients is caught here).
   */
  unmask(dropped: string[], survivors: string[], signatures: SurvivorSignature[]): RevealedShare[] {
    this.expect('checked', 'unmasking');
    const signed = this.signed ?? [];
    if ([...survivors].sort().join('\n') !== signed.join('\n'))
      throw new ProtocolError(
        `secagg ${this.self}: the survivor set differs from the one I signed`,
        'CONSISTENCY_FAILED',
      );
    // Only neighbours hold this client's shares, so t of them must have signed its set (SecAgg+ checks
    // consistency within the neighbourhood): at most k verifications, stopping at t.
    const valid = new Set<string>();
    const mine = new Set([...this.neighbours, this.self]);
    const inSet = new Set(signed);
    for (const s of signatures) {
      if (valid.size >= this.t) break;
      const peer = this.peers.get(s.site);
      if (!peer || valid.has(s.site) || !mine.has(s.site) || !inSet.has(s.site)) continue;
      if (verifySurvivors(peer.gPk, s.signature, this.experiment, this.round, signed)) valid.add(s.site);
    }
    if (valid.size < this.t)
      throw new ProtocolError(
        `secagg ${this.self}: ${valid.size} of its neighbours signed the survivor set it signed, ${this.t} needed; revealing nothing`,
        'CONSISTENCY_FAILED',
      );
    const surv = new Set(survivors);
    const drop = new Set(dropped);
    if (!surv.has(this.self))
      throw new ProtocolError(`secagg ${this.self}: asked to unmask but not listed as a survivor`, 'NOT_A_PARTICIPANT');
    for (const d of drop)
      if (surv.has(d))
        throw new ProtocolError(
          `secagg ${this.self}: the coordinator asked for both shares of ${d}; refusing`,
          'BOTH_SHARES_REQUESTED',
        );
    const survivingNeighbours = this.neighbours.filter((j) => surv.has(j));
    if (survivingNeighbours.length + 1 < this.t)
      throw new ProtocolError(
        `secagg ${this.self}: fewer than ${this.t} survivors in my neighbourhood; revealing nothing`,
        'TOO_FEW_SURVIVORS',
      );
    const out: RevealedShare[] = [];
    for (const owner of this.neighbours) {
      const h = this.held.get(owner);
      if (!h) continue;
      const kind: RevealKind | undefined = surv.has(owner) ? 'self-seed' : drop.has(owner) ? 'mask-key' : undefined;
      if (!kind) continue;
      const before = this.revealed.get(owner);
      if (before && before !== kind)
        throw new ProtocolError(
          `secagg ${this.self}: already revealed the ${before} share of ${owner}; refusing the ${kind}`,
          'BOTH_SHARES_REQUESTED',
        );
      this.revealed.set(owner, kind);
      out.push({ owner, kind, share: kind === 'self-seed' ? h.selfSeed : h.maskKey });
    }
    this.stage = 'unmasked';
    return out;
  }
}
