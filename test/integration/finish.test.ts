// The end of an experiment: the report is on disk before the record says the experiment ended, since
// readers (accord simulate, scripts polling `accord status`) take the status as the signal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentRecords, type RoundRecord } from '../../coordinator/experiments/records.js';
import type { RoundContext } from '../../coordinator/rounds/context.js';
import { failExperiment, finishExperiment } from '../../coordinator/rounds/finish.js';
import { Checkpoints } from '../../coordinator/store/checkpoints.js';
import { StorePaths } from '../../coordinator/store/paths.js';
import { parseExperiment } from '../../shared/config/load.js';
import { createLogger } from '../../shared/log/logger.js';

import { usePrivateRedis } from '../helpers/federation.js';

describe('ending an experiment', () => {
  const db = usePrivateRedis({ beforeAll, afterAll });

  /** A context whose records check, whenever a status is set, that the report is already written. */
  function context(seen: string[]): RoundContext {
    const paths = new StorePaths(fs.mkdtempSync(path.join(os.tmpdir(), 'accord-finish-')));
    const records = new ExperimentRecords(db.redis);
    const update = records.update.bind(records);
    records.update = async (id, fields) => {
      if (fields.status)
        seen.push(
          `${fields.status}:${fs.existsSync(paths.report(id)) ? JSON.parse(fs.readFileSync(paths.report(id), 'utf8')).experiment.status : 'no report'}`,
        );
      return update(id, fields);
    };
    return {
      paths,
      records,
      checkpoints: new Checkpoints(paths),
      log: createLogger('t', 'silent'),
    } as unknown as RoundContext;
  }

  const cfg = parseExperiment(
    {
      name: 't',
      model: { zoo: 'logreg' },
      data: { format: 'csv', columns: ['a', 'y'], label: 'y', classes: 2, scaling: 'none' },
      rounds: 1,
    },
    'test',
  );

  it('a completed experiment: the report says completed by the time the record does', async () => {
    const seen: string[] = [];
    const ctx = context(seen);
    await ctx.records.create('exp-done', cfg);
    ctx.checkpoints.write('exp-done', 0, {
      specs: [
        { name: 'dense/kernel', shape: [1, 1] },
        { name: 'dense/bias', shape: [1] },
      ],
      values: new Float32Array([0.5, 0.1]),
    });
    await finishExperiment(ctx, 'exp-done');
    expect(seen).toEqual(['completed:completed']);
    expect((await ctx.records.get('exp-done'))!.status).toBe('completed');
  });

  it('a failed experiment: the report (with the reason) comes first too', async () => {
    const seen: string[] = [];
    const ctx = context(seen);
    await ctx.records.create('exp-failed', cfg);
    await failExperiment(ctx, 'exp-failed', 'round 1 failed 3 times');
    expect(seen).toEqual(['failed:failed']);
    expect(JSON.parse(fs.readFileSync(ctx.paths.report('exp-failed'), 'utf8')).experiment.error).toBe(
      'round 1 failed 3 times',
    );
  });

  it('lastRound: the highest round by number (10 after 9), without reading every round', async () => {
    const records = new ExperimentRecords(db.redis);
    expect(await records.lastRound('exp-none')).toBeUndefined();
    const record = (round: number): RoundRecord => ({
      ...{
        round,
        attempt: 1,
        committedAt: round,
        participants: ['a'],
        failures: {},
        trainLoss: 0.5,
        strategy: 'fedavg',
      },
      ...{
        siteEval: {},
        siteAccuracy: {},
        meanSiteAccuracy: round / 10,
        accuracy: round / 10,
        loss: 0.5,
        evaluated: false,
      },
      ...{ train: {}, bytesDown: 0, bytesUp: 0, backends: {} },
      durations: { trainMs: 0, aggregateMs: 0, evaluateMs: 0, totalMs: 0 },
    });
    for (const round of [2, 10, 9]) await records.putRound('exp-rounds', record(round));
    expect((await records.lastRound('exp-rounds'))?.round).toBe(10);
    expect((await records.rounds('exp-rounds')).at(-1)).toEqual(await records.lastRound('exp-rounds'));
  });
});
