import { afterAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import { connectionsConfig } from '../config/connections.ts';
import { loadConfig } from '../config/index.ts';
import { deleteKeys, listKeys } from './redis-scan.ts';

// Against the real Redis, with more keys than one SCAN page holds.
const redis = new Redis(loadConfig(connectionsConfig).redisUrl);
const prefix = `test-scan-${crypto.randomUUID().slice(0, 8)}`;

afterAll(async () => {
  await redis.del(`${prefix}-other`);
  redis.disconnect();
});

describe('finding and deleting keys by pattern', () => {
  test('lists every matching key across SCAN pages and deletes exactly those, leaving look-alikes', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `${prefix}:k${String(i).padStart(4, '0')}`);
    await redis.mset(...names.flatMap((k) => [k, '1']));
    await redis.set(`${prefix}-other`, 'kept');

    expect(await listKeys(redis, `${prefix}:*`)).toEqual(names);
    expect(await deleteKeys(redis, `${prefix}:*`)).toBe(2500);
    expect(await listKeys(redis, `${prefix}:*`)).toEqual([]);
    expect(await redis.get(`${prefix}-other`)).toBe('kept');
  });

  test('deleting a pattern with no keys is a no-op that reports zero', async () => {
    expect(await deleteKeys(redis, `${prefix}:none:*`)).toBe(0);
  });
});
