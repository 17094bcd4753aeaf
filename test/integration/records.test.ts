// Records read back from Redis are parsed, not cast: a damaged or foreign record is an error that
// names it, and a good one comes back exactly as written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../coordinator/experiments/keys.js';
import { ExperimentRecords } from '../../coordinator/experiments/records.js';
import { WorkerRegistry } from '../../coordinator/sessions/registry.js';
import { parseExperiment } from '../../shared/config/load.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { usePrivateRedis } from '../helpers/federation.js';

describe('stored records', () => {
  const db = usePrivateRedis({ beforeAll, afterAll });

  it('an experiment record round-trips, and a damaged config is refused with the field named', async () => {
    const records = new ExperimentRecords(db.redis);
    const config = parseExperiment({ ...HEART_DISEASE.experiment, rounds: 3 });
    await records.create('exp-a', config);
    await records.setStats('exp-a', { age: { fill: 50, mean: 50, std: 9 } });
    const back = await records.get('exp-a');
    expect(back?.config).toEqual(config);
    expect(back?.stats?.['age']?.std).toBe(9);

    await db.redis.hset(keys.experiment('exp-a'), 'config', JSON.stringify({ ...config, rounds: 'three' }));
    await expect(records.get('exp-a')).rejects.toThrow(/stored experiment exp-a is invalid: config\.rounds/);
    await db.redis.hset(keys.experiment('exp-a'), 'config', '{not json');
    await expect(records.get('exp-a')).rejects.toThrow(/stored experiment exp-a is invalid: config: is not valid JSON/);
    await db.redis.hset(keys.experiment('exp-a'), { config: JSON.stringify(config), status: 'paused' });
    await expect(records.get('exp-a')).rejects.toThrow(/status/);
  });

  it('round records and registry entries are parsed too', async () => {
    const records = new ExperimentRecords(db.redis);
    await db.redis.hset(keys.rounds('exp-b'), '1', JSON.stringify({ round: 1, strategy: 'fedavg' }));
    await expect(records.rounds('exp-b')).rejects.toThrow(/stored round 1 of experiment exp-b is invalid/);
    await db.redis.hset(keys.workers(), 'mallory', JSON.stringify({ site: 'mallory', lastSeen: 'now' }));
    await expect(new WorkerRegistry(db.redis, 1000).get('mallory')).rejects.toThrow(
      /stored registry entry of mallory is invalid/,
    );
  });
});
