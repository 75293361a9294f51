import { describe, expect, test } from 'bun:test';
import { createTtlCache } from './cache.ts';

describe('the gateway result cache', () => {
  test('identical reads within the TTL reach the store once, even when they arrive together', async () => {
    let clock = 0;
    const cache = createTtlCache({ ttlMs: 1000, now: () => clock });
    let loads = 0;
    const load = async () => ++loads;
    const answers = await Promise.all([cache.get('q', load), cache.get('q', load), cache.get('q', load)]);
    expect(answers).toEqual([1, 1, 1]);
    clock = 999;
    expect(await cache.get('q', load)).toBe(1);
    clock = 1000;
    // Past the TTL the last answer is served while one refresh runs; the refreshed answer follows.
    expect(await cache.get('q', load)).toBe(1);
    expect(await cache.get('q', load)).toBe(2);
    expect(loads).toBe(2);
  });

  test('an answer older than maxStaleMs is never served: the request waits for the store', async () => {
    let clock = 0;
    const cache = createTtlCache({ ttlMs: 1000, maxStaleMs: 5000, now: () => clock });
    let loads = 0;
    const load = async () => ++loads;
    await cache.get('q', load);
    clock = 6000;
    expect(await cache.get('q', load)).toBe(2);
  });

  test('a failed read is not kept, so the next request asks the store again', async () => {
    const cache = createTtlCache({ ttlMs: 60_000 });
    await expect(cache.get('q', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('q', async () => 'back')).toBe('back');
  });

  test('a TTL of 0 turns caching off', async () => {
    const cache = createTtlCache({ ttlMs: 0 });
    let loads = 0;
    await cache.get('q', async () => ++loads);
    await cache.get('q', async () => ++loads);
    expect(loads).toBe(2);
  });

  test('the cache stays within its entry bound', async () => {
    const cache = createTtlCache({ ttlMs: 60_000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) await cache.get(`q${i}`, async () => i);
    expect(cache.size).toBe(3);
  });
});
