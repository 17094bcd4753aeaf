// The task spec: what a site needs to run one task, and nothing else of the experiment. The
// coordinator builds it from the experiment record; the worker parses it once on arrival with the
// same zod schemas that checked the experiment, so a setting is checked at each trust boundary.
import { z } from 'zod';
import { formatIssues } from '../config/load.js';
import {
  type DataConfig,
  dataSchema,
  type ModelConfig,
  modelSchema,
  type PersonalizationConfig,
  personalizationSchema,
  type TrainConfig,
  trainSchema,
} from '../config/schema.js';
import { ProtocolError } from '../errors/index.js';
import type { TaskSpec__Output, TaskSpec as TaskSpecWire } from './generated/accord/v1/TaskSpec.js';

export interface TaskSpec {
  data: DataConfig;
  model: ModelConfig;
  /** Local training settings of this round (train tasks). */
  train: TrainConfig;
  /** L2 bound the site applies to its delta before anything leaves it (differential privacy). */
  dpClip: number | undefined;
  /** Secure aggregation: the delta stays at the site until the masked-input stage. */
  secure: boolean;
  /** Experiment seed: local shuffling is seeded by (seed, site, round). */
  seed: number;
  /** The experiment's DP noise multiplier z (0 without differential privacy). */
  dpNoiseMultiplier: number;
  /** Colluding sites the distributed noise tolerates. */
  colludingSites: number;
  /** Sites selected for this round (0 for tasks outside a round, e.g. column statistics). */
  roundSites: number;
  /** Rounds the experiment runs. */
  rounds: number;
  /** The experiment's manifest (canonical JSON) and its SHA-256: the terms the site approved. */
  manifestHash: string;
  manifestJson: string;
  /** The experiment's personalization: the site keeps a head or a personal model of its own. */
  personalization?: PersonalizationConfig | undefined;
}

export function encodeTaskSpec(spec: TaskSpec): TaskSpecWire {
  return {
    dataJson: JSON.stringify(spec.data),
    modelJson: JSON.stringify(spec.model),
    train: { ...spec.train, dpSgd: spec.train.dpSgd ?? null, localSteps: spec.train.localSteps ?? 0 },
    dpClip: spec.dpClip ?? 0,
    secure: spec.secure,
    seed: spec.seed,
    dpNoiseMultiplier: spec.dpNoiseMultiplier,
    colludingSites: spec.colludingSites,
    roundSites: spec.roundSites,
    rounds: spec.rounds,
    manifestHash: spec.manifestHash,
    manifestJson: spec.manifestJson,
    personalizationJson: spec.personalization ? JSON.stringify(spec.personalization) : '',
  };
}

const wireSchema = z
  .object({
    data: dataSchema,
    model: modelSchema,
    train: trainSchema,
    dpClip: z.number().min(0),
    secure: z.boolean(),
    seed: z.number().int(),
    dpNoiseMultiplier: z.number().min(0),
    colludingSites: z.number().int().min(0),
    roundSites: z.number().int().min(0),
    rounds: z.number().int().min(1),
    manifestHash: z.string(),
    manifestJson: z.string(),
    personalization: personalizationSchema.optional(),
  })
  .strict();

function json(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(`task spec: ${field} is not JSON`, 'BAD_TASK_SPEC');
  }
}

/** Parses the spec of task `taskId`; a missing or wrong field is a ProtocolError naming it. */
export function parseTaskSpec(wire: TaskSpec__Output | null, taskId: string): TaskSpec {
  if (!wire) throw new ProtocolError(`task ${taskId} carries no spec`, 'BAD_TASK_SPEC');
  const r = wireSchema.safeParse({
    data: json(wire.dataJson, 'data_json'),
    model: json(wire.modelJson, 'model_json'),
    // proto-loader gives absent messages as null; the schema's optional fields take undefined.
    train: wire.train
      ? {
          ...wire.train,
          dpSgd: wire.train.dpSgd ?? undefined,
          // 0 on the wire: epochs (proto3 has no absent scalar).
          localSteps: wire.train.localSteps || undefined,
        }
      : {},
    dpClip: wire.dpClip,
    secure: wire.secure,
    seed: Number(wire.seed),
    dpNoiseMultiplier: wire.dpNoiseMultiplier,
    colludingSites: wire.colludingSites,
    roundSites: wire.roundSites,
    rounds: wire.rounds,
    manifestHash: wire.manifestHash,
    manifestJson: wire.manifestJson,
    personalization: wire.personalizationJson ? json(wire.personalizationJson, 'personalization_json') : undefined,
  });
  if (!r.success) throw new ProtocolError(`task ${taskId} spec: ${formatIssues(r.error.issues)}`, 'BAD_TASK_SPEC');
  const { dpClip, personalization, ...rest } = r.data;
  return { ...rest, dpClip: dpClip > 0 ? dpClip : undefined, ...(personalization ? { personalization } : {}) };
}
