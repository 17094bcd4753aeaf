// One task for one site, as the round steps hand it to a session, and what comes back.
import type { SecAggStage } from '../../shared/config/schema.js';
import type { SecAggRequest } from '../../shared/protocol/load.js';
import type { TaskSpec } from '../../shared/protocol/task-spec.js';
import type { FlatWeights } from '../../shared/tensors/weights.js';

export type TaskKind = 'train' | 'evaluate' | 'secagg' | 'stats';

/**
 * Receives an uploaded vector chunk by chunk. The caller decides where uploads go (the round steps
 * spool them to files); the session only streams validated bytes into it.
 */
export interface UploadSink {
  write(bytes: Uint8Array, offset: number): void;
  /** Resolves with the file that now holds the whole upload. */
  commit(): Promise<string>;
  abort(): void;
}

interface TaskBase {
  taskId: string;
  experimentId: string;
  round: number;
  attempt: number;
  deadline: number;
}

/** One task for one site. */
export type TaskRequest =
  | (TaskBase & {
      kind: 'train';
      spec: TaskSpec;
      weights: FlatWeights;
      /** Opens where the delta goes; null under secure aggregation (the worker keeps its delta). */
      upload: (() => UploadSink) | null;
    })
  | (TaskBase & { kind: 'evaluate'; spec: TaskSpec; weights: FlatWeights })
  | (TaskBase & { kind: 'stats'; spec: TaskSpec })
  | (TaskBase & {
      kind: 'secagg';
      stage: SecAggStage;
      request: Omit<SecAggRequest, 'taskId' | 'stage'>;
      /** masked-input: the masked vector's length and where it goes; null for the other stages. */
      upload: { values: number; open: () => UploadSink } | null;
    });

/** A train task whose delta the worker keeps for secure aggregation: it answers with metrics only. */
export function keepsDelta(req: TaskRequest): boolean {
  return req.kind === 'train' && req.upload === null;
}

/** A stage answer in JSON-safe form (bytes as base64), as BullMQ stores job results. */
export type SecAggAnswer =
  | { stage: 'advertise-keys'; cPk: string; sPk: string; gPk: string; keySignature: string }
  | { stage: 'consistency-check'; signature: string }
  | { stage: 'share-keys'; shares: { from: string; to: string; sealed: string }[]; commitment: string }
  /** Answered by uploading the masked vector (TaskOutcome.spoolFile). */
  | { stage: 'masked-input' }
  | { stage: 'unmasking'; revealed: { owner: string; kind: 'self-seed' | 'mask-key'; share: string }[] };

export interface TaskOutcome {
  examples: number;
  metrics: Record<string, number>;
  spoolFile?: string;
  secagg?: SecAggAnswer;
  bytesDown: number;
  bytesUp: number;
  durationMs: number;
}
