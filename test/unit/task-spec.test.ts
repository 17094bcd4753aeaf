// The task spec: what crosses the wire to a site is only what its task needs, parsed once on arrival.
import { describe, expect, it } from 'vitest';
import { taskSpecFor } from '../../coordinator/rounds/task-spec.js';
import { parseExperiment } from '../../shared/config/load.js';
import type { TaskSpec__Output } from '../../shared/protocol/load.js';
import { encodeTaskSpec, parseTaskSpec } from '../../shared/protocol/task-spec.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';

/** The spec as the worker receives it (proto-loader fills absent fields with defaults). */
function overTheWire(spec: ReturnType<typeof encodeTaskSpec>): TaskSpec__Output {
  return {
    dataJson: spec.dataJson ?? '',
    modelJson: spec.modelJson ?? '',
    train: spec.train
      ? {
          epochs: 0,
          batchSize: 0,
          learningRate: 0,
          optimizer: '',
          proximalMu: 0,
          restrictedSoftmax: false,
          ...spec.train,
        }
      : null,
    dpClip: Number(spec.dpClip ?? 0),
    secure: spec.secure ?? false,
    seed: String(spec.seed ?? 0),
    dpNoiseMultiplier: Number(spec.dpNoiseMultiplier ?? 0),
    colludingSites: spec.colludingSites ?? 0,
    roundSites: spec.roundSites ?? 0,
    rounds: spec.rounds ?? 0,
    manifestHash: spec.manifestHash ?? '',
    manifestJson: spec.manifestJson ?? '',
    personalizationJson: spec.personalizationJson ?? '',
  } as TaskSpec__Output;
}

const record = (extra: object) => {
  const config = parseExperiment({ ...HEART_DISEASE.experiment, ...extra });
  return {
    id: 'e',
    name: 'e',
    status: 'running' as const,
    config,
    createdAt: 0,
    updatedAt: 0,
    round: 1,
    committed: 0,
    phase: '',
    stats: { age: { fill: 54, mean: 54, std: 9 } },
  };
};

describe('task spec', () => {
  it('carries the round training settings, the DP clip, secure aggregation and the federation statistics', () => {
    const spec = taskSpecFor(
      record({
        strategy: { name: 'fedprox', mu: 0.5 },
        dp: { noise: 1, clip: 0.7 },
        secagg: { mode: 'secaggplus' },
        clients: { min: 3 },
      }),
      2,
      4,
    );
    const back = parseTaskSpec(overTheWire(encodeTaskSpec(spec)), 't1');
    expect(back).toEqual(spec);
    expect(back.train.proximalMu).toBe(0.5); // set by the strategy for this round
    expect(back.dpClip).toBe(0.7);
    expect(back.secure).toBe(true);
    expect(back.data.format === 'csv' && back.data.stats?.['age']?.mean).toBe(54);
    expect(back.dpNoiseMultiplier).toBe(1);
    expect(back.roundSites).toBe(4);
    // Besides the manifest (the terms the site approved, naming the roster only by hash), nothing else
    // of the experiment travels: no sampling, budget state or other sites.
    expect(Object.keys(encodeTaskSpec(spec)).sort()).toEqual([
      'colludingSites',
      'dataJson',
      'dpClip',
      'dpNoiseMultiplier',
      'manifestHash',
      'manifestJson',
      'modelJson',
      'personalizationJson',
      'roundSites',
      'rounds',
      'secure',
      'seed',
      'train',
    ]);
  });

  it('carries the personalization the experiment names, and nothing when it names none', () => {
    const personalization = {
      method: 'fedrep' as const,
      head: 'bias' as const,
      headEpochs: 2,
      lambda: 0.1,
      fineTuneEpochs: 1,
    };
    const back = parseTaskSpec(overTheWire(encodeTaskSpec(taskSpecFor(record({ personalization }), 1, 4))), 't');
    expect(back.personalization).toEqual(personalization);
    expect(
      parseTaskSpec(overTheWire(encodeTaskSpec(taskSpecFor(record({}), 1, 4))), 't').personalization,
    ).toBeUndefined();
  });

  it('without DP the clip is absent, not zero', () => {
    expect(parseTaskSpec(overTheWire(encodeTaskSpec(taskSpecFor(record({}), 1, 4))), 't').dpClip).toBeUndefined();
  });

  it('a malformed spec is refused with the task and field named', () => {
    const good = overTheWire(encodeTaskSpec(taskSpecFor(record({}), 1, 4)));
    expect(() => parseTaskSpec(null, 't9')).toThrow(/task t9 carries no spec/);
    expect(() => parseTaskSpec({ ...good, dataJson: '{' }, 't9')).toThrow(/data_json is not JSON/);
    expect(() => parseTaskSpec({ ...good, modelJson: JSON.stringify({ zoo: 'resnet' }) }, 't9')).toThrow(
      /task t9 spec: model/,
    );
    expect(() => parseTaskSpec({ ...good, dpClip: -1 }, 't9')).toThrow(/dpClip/);
  });
});
