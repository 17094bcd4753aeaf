// The task spec the transfer benchmarks send: its content is not read (the bench sender only streams).
import { idxDataSchema, trainSchema } from '../shared/config/schema.js';
import type { TaskSpec } from '../shared/protocol/task-spec.js';

export const BENCH_SPEC: TaskSpec = {
  data: idxDataSchema.parse({ format: 'idx' }),
  model: { zoo: 'logreg' },
  train: trainSchema.parse({}),
  dpClip: undefined,
  secure: false,
  seed: 1,
  dpNoiseMultiplier: 0,
  colludingSites: 0,
  roundSites: 1,
  rounds: 1,
  manifestHash: '',
  manifestJson: '',
};
