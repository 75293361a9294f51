import type Redis from 'ioredis';
import { loadConfig } from '../config/index.ts';
import type { Counter, Registry } from '../telemetry/metrics.ts';
import { authConfig } from './config.ts';
import { leaseTokens, type Lease } from './rate-limit-script.ts';

/**
 * `limit` is the burst (the most events admitted at once); `remaining` an estimate of what could still be taken now,
 * at most the truth; `resetSeconds` how long until the bucket would be full again.
 */
export type RateDecision =
  | { readonly ok: true; readonly remaining: number; readonly limit: number; readonly resetSeconds: number }
  | {
      readonly ok: false;
      /** rate_limited: try again after retryAfterSeconds; batch_exceeds_burst: never fits, split the batch; rate_limit_unavailable: Redis is down and the limiter fails closed. */
      readonly code: 'rate_limited' | 'batch_exceeds_burst' | 'rate_limit_unavailable';
      readonly retryAfterSeconds: number;
      readonly limit: number;
      readonly remaining: 0;
      readonly resetSeconds: number;
    };

export interface RateLimitMetrics {
  readonly redisCalls: Counter<'result'>;
}

/** `<component>_rate_limit_redis_total{result=granted|refused|failed}`: round trips to the central buckets. */
export function createRateLimitMetrics(registry: Registry, component: string): RateLimitMetrics {
  return { redisCalls: registry.counter(`${component}_rate_limit_redis_total`, 'Rate limit leases asked of Redis, by result (granted, refused, failed).', ['result']) };
}

/** One key as this process sees it: tokens it leased and has not spent, and the last central level it was told. */
interface Slot {
  tokens: number;
  expiresAt: number;
  level: number;
  levelAt: number;
  pending: Promise<void> | null;
}

const DEFAULTS = loadConfig(authConfig, {});
const MAX_SLOTS = 10_000;

/**
 * Per-key token buckets shared by every process through Redis (rate-limit-script.ts). Each process leases a few
 * tokens at a time (leaseMs' worth of the rate, at least what the request needs, at most the burst) and spends them
 * locally, so most requests cost no round trip. Unspent tokens are dropped after leaseTtlMs: every admitted event
 * then spent a token leased at most leaseTtlMs earlier, so over any window W a key admits at most
 * rate x (W + leaseTtlMs) + burst, however many processes hold leases. A request that does not fit is refused whole.
 * Give it a client with the offline queue off: a queued lease would reach Redis after the request gave up on it.
 */
export function createRateLimiter({
  redis,
  prefix = DEFAULTS.rateLimitPrefix,
  now = Date.now,
  leaseMs = DEFAULTS.rateLimitLeaseMs,
  leaseTtlMs = DEFAULTS.rateLimitLeaseTtlMs,
  timeoutMs = DEFAULTS.rateLimitTimeoutMs,
  retryMs = DEFAULTS.rateLimitRetryMs,
  onRedisDown = DEFAULTS.rateLimitOnRedisDown,
  metrics,
  log = (line: string) => console.error(line),
}: {
  redis: Redis;
  prefix?: string;
  now?: () => number;
  leaseMs?: number;
  leaseTtlMs?: number;
  timeoutMs?: number;
  retryMs?: number;
  onRedisDown?: 'open' | 'closed';
  metrics?: RateLimitMetrics;
  log?: (line: string) => void;
}) {
  const slots = new Map<string, Slot>();
  let redisDownUntil = 0;

  function slotOf(keyId: string, burst: number, t: number): Slot {
    let slot = slots.get(keyId);
    if (slot === undefined) {
      if (slots.size >= MAX_SLOTS) slots.delete(slots.keys().next().value as string);
      slot = { tokens: 0, expiresAt: 0, level: burst, levelAt: t, pending: null };
      slots.set(keyId, slot);
    }
    if (slot.expiresAt <= t) slot.tokens = 0;
    return slot;
  }

  /** Adds tokens that must be spent by `until`; the pool keeps the earliest deadline, so no token outlives its own. */
  function keep(slot: Slot, tokens: number, until: number, t: number): void {
    if (tokens <= 0 || until <= t) return;
    slot.expiresAt = slot.tokens > 0 && slot.expiresAt > t ? Math.min(slot.expiresAt, until) : until;
    slot.tokens += tokens;
  }

  // Nobody hands tokens back, so the central level can only have grown by the refill since this process last saw it.
  const levelBound = (slot: Slot, rate: number, burst: number, t: number) => Math.min(burst, slot.level + (Math.max(0, t - slot.levelAt) * rate) / 1000);

  function admitted(slot: Slot, rate: number, burst: number, t: number): RateDecision {
    const remaining = Math.min(burst, Math.floor(slot.tokens + levelBound(slot, rate, burst, t)));
    return { ok: true, remaining, limit: burst, resetSeconds: Math.ceil((burst - remaining) / rate) };
  }

  function refused(code: 'rate_limited' | 'rate_limit_unavailable', waitMs: number, slot: Slot, rate: number, burst: number, t: number): RateDecision {
    const level = Math.min(burst, slot.tokens + levelBound(slot, rate, burst, t));
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    return { ok: false, code, retryAfterSeconds, limit: burst, remaining: 0, resetSeconds: Math.ceil((burst - level) / rate) };
  }

  function redisFailed(error: unknown, t: number): void {
    metrics?.redisCalls.inc({ result: 'failed' });
    // Logged once per outage, not per request: the metric counts the rest.
    if (redisDownUntil === 0) log(`rate limits: Redis unavailable (${error instanceof Error ? error.message : String(error)}); failing ${onRedisDown} until it answers`);
    redisDownUntil = t + retryMs;
  }

  /**
   * Redis unreachable: fail open by default. A key's limit protects the pipeline from one noisy client, while refusing
   * every client whenever Redis blips would turn a cache outage into an ingestion outage (events are what the
   * platform exists to keep); the failed-call metric shows how long limits were off.
   */
  function whileDown(slot: Slot, rate: number, burst: number, n: number, t: number): RateDecision {
    if (onRedisDown === 'closed') return refused('rate_limit_unavailable', retryMs, slot, rate, burst, t);
    return { ok: true, remaining: Math.max(0, burst - n), limit: burst, resetSeconds: 0 };
  }

  async function exchange(keyId: string, slot: Slot, rate: number, burst: number, n: number): Promise<RateDecision> {
    const sentAt = now();
    const reserved = slot.tokens;
    const reservedUntil = slot.expiresAt;
    slot.tokens = 0;
    const need = n - reserved;
    const want = Math.min(burst - reserved, Math.max(need, Math.ceil((rate * leaseMs) / 1000)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lease: Lease;
    try {
      lease = await Promise.race([
        leaseTokens(redis, `${prefix}${keyId}`, rate, burst, need, want),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      const t = now();
      keep(slot, reserved, reservedUntil, t);
      redisFailed(error, t);
      return whileDown(slot, rate, burst, n, t);
    } finally {
      clearTimeout(timer);
    }
    const t = now();
    redisDownUntil = 0;
    slot.level = lease.level;
    slot.levelAt = sentAt;
    if (lease.granted === 0) {
      metrics?.redisCalls.inc({ result: 'refused' });
      keep(slot, reserved, reservedUntil, t);
      return refused('rate_limited', lease.waitMs, slot, rate, burst, t);
    }
    metrics?.redisCalls.inc({ result: 'granted' });
    // What is left over is part of this lease (reserved < n), so it is due when this lease is.
    keep(slot, reserved + lease.granted - n, sentAt + leaseTtlMs, t);
    return admitted(slot, rate, burst, t);
  }

  /** One exchange with Redis; requests for the same key that arrive meanwhile wait for its tokens instead of asking too. */
  async function askRedis(keyId: string, slot: Slot, rate: number, burst: number, n: number): Promise<RateDecision> {
    const { promise, resolve } = Promise.withResolvers<void>();
    slot.pending = promise;
    try {
      return await exchange(keyId, slot, rate, burst, n);
    } finally {
      if (slot.pending === promise) slot.pending = null;
      resolve();
    }
  }

  return async function take(keyId: string, rate: number, burst: number, n: number): Promise<RateDecision> {
    if (!(Number.isInteger(n) && n >= 0 && rate > 0 && burst >= 1)) throw new RangeError(`take(${keyId}, ${rate}, ${burst}, ${n}): expected rate > 0, burst >= 1 and a whole n >= 0`);
    let t = now();
    if (n > burst) {
      return { ok: false, code: 'batch_exceeds_burst', retryAfterSeconds: 0, limit: burst, remaining: 0, resetSeconds: Math.ceil(burst / rate) };
    }
    let slot = slotOf(keyId, burst, t);
    if (slot.tokens < n && slot.pending !== null) {
      // Another request of this process is already asking for this key; its lease is likely to cover this one too.
      await slot.pending;
      t = now();
      slot = slotOf(keyId, burst, t);
    }
    if (slot.tokens >= n) {
      slot.tokens -= n;
      return admitted(slot, rate, burst, t);
    }
    const bound = slot.tokens + levelBound(slot, rate, burst, t);
    if (bound < n) return refused('rate_limited', ((n - bound) * 1000) / rate, slot, rate, burst, t);
    if (t < redisDownUntil) return whileDown(slot, rate, burst, n, t);
    return askRedis(keyId, slot, rate, burst, n);
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
