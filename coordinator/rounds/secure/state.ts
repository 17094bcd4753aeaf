// The state of one round attempt's secure aggregation, kept in the store as JSON so any coordinator
// process (or this one after a restart) can run the next stage. Each stage adds what it learned, so
// the state is a union by the stage now waiting for answers: no field is read before it exists.
import fs from 'node:fs';
import type { SecAggStage } from '../../../shared/config/schema.js';
import type { GraphParameters } from '../../experiments/round-record.js';
import type { CommitJobData, SelectJobData } from '../../queues/jobs.js';

export type { GraphParameters } from '../../experiments/round-record.js';

import { writeFileAtomic } from '../../../shared/files/atomic.js';
import type { StorePaths } from '../../store/paths.js';

/** A client's advertised public keys (base64). */
export interface AdvertisedKeys {
  site: string;
  cPk: string;
  sPk: string;
  gPk: string;
  /** The site's identity signature over its round keys (shared/trust/round-keys.ts). */
  keySignature?: string | undefined;
}

/** A survivor's signature on the survivor set (base64). */
export interface SignatureRecord {
  site: string;
  signature: string;
}

export interface SealedShareRecord {
  from: string;
  to: string;
  sealed: string;
}

/** Quantisation and weighting that every client applies to its delta. */
export interface QuantSettings {
  range: number;
  levels: number;
  weightScale: number;
  noiseStd: number;
  uniformWeight: boolean;
}

/** What the unmasked sum is for. */
export type SecAggPurpose =
  /** A training round: the sum of weighted, quantised deltas (and the weight) becomes the candidate model. */
  | { kind: 'train'; quant: QuantSettings; commit: CommitJobData /** Sampling rate, for the accountant. */; q: number }
  /** Federated scaling (round 0): the sum of fixed-point column sums becomes the global statistics. */
  | { kind: 'stats'; columns: string[]; select: SelectJobData };

interface Common {
  experimentId: string;
  round: number;
  attempt: number;
  mode: 'secagg' | 'secaggplus';
  degree: number | 'all';
  threshold: number;
  /** How degree and threshold were chosen (reported with the round). */
  parameters: GraphParameters;
  graphSeed: string;
  /** 32-bit words in the masked vector. */
  length: number;
  /** Sites that prepared an input (the protocol starts with them). */
  trained: string[];
  purpose: SecAggPurpose;
  /** Why sites fell out of the protocol, by site. */
  failures: Record<string, string>;
  /** Clients removed by the simulated dropout, by stage. */
  simulatedDropouts: string[];
  stageMs: Partial<Record<SecAggStage, number>>;
  stageStartedAt: number;
  /** Bytes moved by the stages so far (masked vectors up; keys and shares both ways). Optional: states
   *  written before it existed have none. */
  bytes?: { up: number; down: number };
}

/** After advertise-keys (U1): the clients whose keys were relayed. */
interface Advertised extends Common {
  peers: AdvertisedKeys[];
}

/** After share-keys (U2): who shared, every sealed share, and who is asked for masked input. */
interface Shared extends Advertised {
  sharers: string[];
  /** Each sharer's commitment to its self-mask seed (base64). */
  commitments: Record<string, string>;
  sealed: SealedShareRecord[];
  maskers: string[];
}

export type SecAggState =
  | (Common & { stage: 'advertise-keys' })
  | (Advertised & { stage: 'share-keys' })
  | (Shared & { stage: 'masked-input' })
  /** After masked-input (U3): the clients whose masked input is in the sum; they sign that set. */
  | (Shared & { stage: 'consistency-check'; survivors: string[] })
  /** After the consistency check (U4): every signature on the survivor set, sent to each survivor. */
  | (Shared & { stage: 'unmasking'; survivors: string[]; signatures: SignatureRecord[] });

/** The state while `stage` waits for its answers. */
export type StateAt<S extends SecAggStage> = Extract<SecAggState, { stage: S }>;

export function readState(paths: StorePaths, exp: string, round: number, attempt: number): SecAggState {
  return JSON.parse(fs.readFileSync(paths.secaggState(exp, round, attempt), 'utf8')) as SecAggState;
}

export function writeState(paths: StorePaths, s: SecAggState): void {
  writeFileAtomic(paths.secaggState(s.experimentId, s.round, s.attempt), JSON.stringify(s));
}
