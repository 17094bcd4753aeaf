// --redis / --redis-cluster: what each names, and where Accord's and BullMQ's keys go in a cluster
// (one hash tag, so MULTI, Lua scripts and flows stay in one slot).
import { describe, expect, it } from 'vitest';
import { clusterKeys, keys } from '../../coordinator/experiments/keys.js';
import {
  CLUSTER_BULL_PREFIX,
  CLUSTER_HASH_TAG,
  clusterTarget,
  describeTarget,
  redisTargetOf,
  targetFlags,
} from '../../shared/redis-target.js';

/** The hash tag Redis Cluster hashes a key by: the first {...} with something inside, else the key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('Redis target', () => {
  it('parses seed lists, with credentials from a redis:// seed', () => {
    const t = clusterTarget('127.0.0.1:7000, redis://:s3cret@10.0.0.2:7001,[::1]:7002');
    expect(describeTarget(t)).toBe('Redis Cluster 127.0.0.1:7000,10.0.0.2:7001,::1:7002');
    expect(describeTarget(t)).not.toContain('s3cret');
    expect(targetFlags(t)).toEqual(['--redis-cluster', t.cluster]);
    expect(targetFlags('redis://h:1')).toEqual(['--redis', 'redis://h:1']);
  });

  it('refuses what is not HOST:PORT', () => {
    for (const bad of ['', 'host', 'host:port', 'h:70000', ','])
      expect(() => clusterTarget(bad)).toThrow(/--redis-cluster/);
  });

  it('--redis-cluster wins over the default --redis', () => {
    expect(redisTargetOf({ redis: 'redis://a:1' }, 'redis://d:1')).toBe('redis://a:1');
    expect(redisTargetOf({}, 'redis://d:1')).toBe('redis://d:1');
    expect(redisTargetOf({ redis: 'redis://a:1', redisCluster: 'b:2' }, 'redis://d:1')).toEqual({ cluster: 'b:2' });
  });

  it('puts every key in one slot in a cluster, and keeps single-server names', () => {
    expect(keys.workers()).toBe('accord:workers');
    expect(keys.experiment('e1')).toBe('accord:exp:e1');
    const all = [
      clusterKeys.instances(),
      clusterKeys.coordinatorRuns(),
      clusterKeys.lockOwners(),
      clusterKeys.workers(),
      clusterKeys.experiments(),
      clusterKeys.experiment('e1'),
      clusterKeys.rounds('e1'),
      clusterKeys.declared('e1'),
      clusterKeys.events('e1'),
      `${CLUSTER_BULL_PREFIX}:rounds:wait`,
      `${CLUSTER_BULL_PREFIX}:tasks.c0:e1-r1-a1-train-va:lock`,
    ];
    expect(new Set(all.map(hashTag))).toEqual(new Set([CLUSTER_HASH_TAG.slice(1, -1)]));
  });
});
