// The state of one round attempt's secure aggregation, kept in the store as JSON so any coordinator
// process (or this one after a restart) can run the next stage.
import fs from 'node:fs';
import type { SecAggStage } from '../../../shared/config/schema';
import { writeFileAtomic } from '../../store/atomic';
import type { StorePaths } from '../../store/paths';
import type { CommitJobData } from '../../queues/jobs';

export interface SecAggState {
  experimentId: string;
  round: number;
  attempt: number;
  mode: 'secagg' | 'secaggplus';
  degree: number | 'all';
  threshold: number;
  graphSeed: string;
  /** Quantisation and weighting that every client applies. */
  quant: { range: number; levels: number; weightScale: number; noiseStd: number; uniformWeight: boolean };
  /** Values in the masked vector: the model's parameters plus the weight. */
  length: number;
  /** Sites that trained this round (the protocol starts with them). */
  trained: string[];
  /** Sampling rate of this round, for the privacy accountant. */
  q: number;
  /** U1: advertised keys (base64). */
  peers?: { site: string; cPk: string; sPk: string }[];
  /** U2: completed share-keys, and every sealed share they produced. */
  sharers?: string[];
  sealed?: { from: string; to: string; sealed: string }[];
  /** Asked for masked input (U2 minus simulated dropouts). */
  maskers?: string[];
  /** U3: masked input received. */
  survivors?: string[];
  /** Clients removed by the simulated dropout, by stage. */
  simulatedDropouts: string[];
  stageMs: Partial<Record<SecAggStage, number>>;
  stageStartedAt: number;
  commit: CommitJobData;
}

export function readState(paths: StorePaths, exp: string, round: number, attempt: number): SecAggState {
  return JSON.parse(fs.readFileSync(paths.secaggState(exp, round, attempt), 'utf8')) as SecAggState;
}

export function writeState(paths: StorePaths, s: SecAggState): void {
  writeFileAtomic(paths.secaggState(s.experimentId, s.round, s.attempt), JSON.stringify(s));
}
