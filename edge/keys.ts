import Redis from 'ioredis';
import postgres, { type Sql } from 'postgres';
import type { AuthConfig } from '../shared/auth/config.ts';
import { createRateLimiter } from '../shared/auth/rate-limit.ts';
import { migrateKeys } from '../shared/auth/store.ts';
import { createKeyVerifier } from '../shared/auth/verifier.ts';
import { requireKey, type Guard } from './access.ts';
import type { EdgeMetrics } from './metrics.ts';

export interface KeyGuardOptions {
  sql: Sql;
  redis: Redis;
  auth: AuthConfig;
  metrics: EdgeMetrics;
  retryAfterSeconds: number;
  log?: (line: string) => void;
}

/** The ingestion routes' guard over a key store and a rate limit store: a key with the `ingest` scope is required. */
export function keyGuard({ sql, redis, auth, metrics, retryAfterSeconds, log }: KeyGuardOptions): Guard {
  const verify = createKeyVerifier({ sql, config: auth });
  const rateLimiter = createRateLimiter({
    redis,
    prefix: auth.rateLimitPrefix,
    leaseMs: auth.rateLimitLeaseMs,
    leaseTtlMs: auth.rateLimitLeaseTtlMs,
    timeoutMs: auth.rateLimitTimeoutMs,
    retryMs: auth.rateLimitRetryMs,
    onRedisDown: auth.rateLimitOnRedisDown,
    metrics: metrics.rateLimit,
    log,
  });
  return requireKey({ scope: 'ingest', verify, rateLimiter, metrics, retryAfterSeconds });
}

/**
 * One edge process's connections for keys: a small Postgres pool (a verified key is cached for AUTH_CACHE_TTL_MS, so
 * lookups are rare) and one Redis client, touched only by keys with a rate. The api_keys table is created if missing
 * (idempotent, under the migrations' lock); when Postgres is down at start the edge still starts and answers
 * auth_unavailable until it is back.
 */
export async function connectKeyStores({ databaseUrl, redisUrl, auth, log = (line: string) => console.error(line) }: {
  databaseUrl: string;
  redisUrl: string;
  auth: AuthConfig;
  log?: (line: string) => void;
}): Promise<{ sql: Sql; redis: Redis; close(): Promise<void> }> {
  const sql = postgres(databaseUrl, {
    max: 2,
    connect_timeout: Math.max(1, Math.ceil(auth.lookupTimeoutMs / 1000)),
    idle_timeout: 60,
    connection: { application_name: 'event-lens-edge', statement_timeout: auth.lookupTimeoutMs },
    onnotice: () => {},
  });
  const redis = new Redis(redisUrl, {
    connectTimeout: auth.rateLimitTimeoutMs * 10,
    // A lease queued while disconnected would reach Redis after its request gave up on it (shared/auth/rate-limit.ts).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  let redisDown = false;
  redis.on('error', (error: Error) => {
    if (!redisDown) log(`edge ${process.pid}: Redis: ${error.message}`);
    redisDown = true;
  });
  redis.on('ready', () => {
    redisDown = false;
  });
  await migrateKeys(sql, auth.pgSchema).catch((error: unknown) => log(`edge ${process.pid}: could not prepare the api_keys table (${error instanceof Error ? error.message : String(error)}); keys are refused with auth_unavailable until Postgres answers`));
  return {
    sql,
    redis,
    async close() {
      redis.disconnect();
      await sql.end({ timeout: 1 }).catch(() => undefined);
    },
  };
}
