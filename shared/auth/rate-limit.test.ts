import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import { sleep } from '../sleep.ts';
import { Registry } from '../telemetry/metrics.ts';
import { createRateLimiter, createRateLimitMetrics } from './rate-limit.ts';
import { authFixture, type AuthFixture } from './testing.ts';

let fx: AuthFixture;
let second: Redis;
beforeAll(async () => {
  fx = await authFixture('ratelimit');
  second = fx.redis.duplicate();
});
afterAll(async () => {
  await second.quit();
  await fx.close();
});

const limiter = (redis: Redis, options: Partial<Parameters<typeof createRateLimiter>[0]> = {}) =>
  createRateLimiter({ redis, prefix: fx.config.rateLimitPrefix, log: () => {}, ...options });

describe('per-key rate limits', () => {
  test('two processes sharing one key admit about its rate between them, never more than rate plus burst', async () => {
    const rate = 200;
    const burst = 50;
    const processes = [limiter(fx.redis), limiter(second)];
    let admitted = 0;
    let refused = 0;
    const started = performance.now();
    const caller = async (take: (typeof processes)[number], seed: number) => {
      for (let i = seed; performance.now() - started < 3000; i++) {
        const n = 1 + (i % 5);
        const decision = await take('shop-web', rate, burst, n);
        if (decision.ok) admitted += n;
        else refused++;
        await sleep(decision.ok ? 1 : 3);
      }
    };
    await Promise.all(processes.flatMap((take) => [0, 1, 2, 3].map((seed) => caller(take, seed))));
    const seconds = (performance.now() - started) / 1000;
    expect(refused).toBeGreaterThan(0); // the callers asked for more than the rate
    expect(admitted).toBeLessThanOrEqual(1.1 * rate * seconds + burst);
    expect(admitted).toBeGreaterThanOrEqual(0.8 * rate * seconds);
  });

  test('a batch larger than the tokens left is refused whole, so a smaller one still fits', async () => {
    const take = limiter(fx.redis);
    // 0.1 events per second: no token comes back during the test.
    expect(await take('batch', 0.1, 10, 7)).toMatchObject({ ok: true, limit: 10 });
    const refusal = await take('batch', 0.1, 10, 5);
    expect(refusal).toMatchObject({ ok: false, code: 'rate_limited', remaining: 0, limit: 10 });
    expect(refusal.ok ? 0 : refusal.retryAfterSeconds).toBeGreaterThanOrEqual(20);
    expect(await take('batch', 0.1, 10, 3)).toMatchObject({ ok: true, remaining: 0 });
    expect((await take('batch', 0.1, 10, 1)).ok).toBe(false);
  });

  test('a batch larger than the burst is always refused and takes nothing', async () => {
    const take = limiter(fx.redis);
    expect(await take('huge', 100, 50, 51)).toMatchObject({ ok: false, code: 'batch_exceeds_burst', limit: 50 });
    expect(await take('huge', 100, 50, 50)).toMatchObject({ ok: true });
  });

  test('tokens a process leased but did not spend are dropped after the lease TTL', async () => {
    const clock = { now: 1_000_000 };
    // 1 event per second, leases of 10: the bucket refills by one token a second, slower than the test runs.
    const holder = limiter(fx.redis, { now: () => clock.now, leaseMs: 10_000, leaseTtlMs: 500 });
    const other = limiter(second, { leaseMs: 10_000 });
    expect((await holder('lease', 1, 20, 1)).ok).toBe(true); // leases 10, keeps 9
    expect((await other('lease', 1, 20, 10)).ok).toBe(true); // takes what is left in Redis
    clock.now += 499;
    expect((await holder('lease', 1, 20, 2)).ok).toBe(true); // spent from its lease, no round trip needed
    clock.now += 1;
    expect(await holder('lease', 1, 20, 2)).toMatchObject({ ok: false, code: 'rate_limited' });
  });

  test('with Redis unreachable, requests are admitted by default and refused when failing closed, with one log line per outage', async () => {
    const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => {});
    try {
      const registry = new Registry();
      const metrics = createRateLimitMetrics(registry, 'edge');
      const lines: string[] = [];
      const open = createRateLimiter({ redis: down, prefix: fx.config.rateLimitPrefix, metrics, log: (l) => lines.push(l) });
      expect(await open('outage', 10, 10, 1)).toMatchObject({ ok: true });
      expect(await open('outage', 10, 10, 1)).toMatchObject({ ok: true });
      expect(metrics.redisCalls.get({ result: 'failed' })).toBe(1); // the second skipped Redis for rateLimitRetryMs
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('failing open');
      expect(registry.render()).toContain('edge_rate_limit_redis_total{result="failed"} 1');
      const closed = createRateLimiter({ redis: down, prefix: fx.config.rateLimitPrefix, onRedisDown: 'closed', log: () => {} });
      expect(await closed('outage', 10, 10, 1)).toMatchObject({ ok: false, code: 'rate_limit_unavailable', retryAfterSeconds: 1 });
    } finally {
      down.disconnect();
    }
  });
});
