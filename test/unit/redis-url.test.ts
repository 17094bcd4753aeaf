// Redis settings from a URL: one set for Accord's clients and BullMQ's, so both reconnect alike.
import { describe, expect, it } from 'vitest';
import { RECONNECT_MAX_MS, redisOptions } from '../../shared/redis-url.js';

describe('redisOptions', () => {
  it('reads host, port, credentials and database', () => {
    const o = redisOptions('redis://alice:s%40cret@db.example:6380/2');
    expect(o).toMatchObject({ host: 'db.example', port: 6380, username: 'alice', password: 's@cret', db: 2 });
    expect(o.maxRetriesPerRequest).toBeNull();
  });

  it('reconnects at least every second however long Redis is away (BullMQ alone backs off to 20 s)', () => {
    const { retryStrategy } = redisOptions('redis://127.0.0.1:6379');
    expect(retryStrategy(1)).toBeGreaterThan(0);
    for (const times of [1, 5, 20, 1000]) expect(retryStrategy(times)).toBeLessThanOrEqual(RECONNECT_MAX_MS);
    expect(RECONNECT_MAX_MS).toBeLessThanOrEqual(1000);
  });

  it('names the flag and the problem for a bad URL', () => {
    expect(() => redisOptions('localhost:6379')).toThrow(/--redis: .*must start with redis:\/\/|is not a URL/);
    expect(() => redisOptions('http://x:1')).toThrow(/must start with redis:\/\//);
  });
});
