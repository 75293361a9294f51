import * as v from 'valibot';
import { defineConfig, positiveInt, setting, type ConfigOf } from '../config/index.ts';

/**
 * API keys and per-key rate limits (shared/auth): read by the edge and the gateway, and by the keys CLI
 * (`npm run keys`). The hash key must be the same everywhere a key is created or checked.
 */

/**
 * Public on purpose: it lets a development machine work without setup. Anyone who knows it can compute the stored hash
 * of a guessed secret, so a deployment reachable from outside must set AUTH_HASH_KEY (see `usesDevelopmentHashKey`).
 */
export const DEVELOPMENT_HASH_KEY = 'event-lens-development-hash-key-do-not-use-in-production';

// The same safe subset the other components accept for their schema (query/config.ts, workers/sinks/postgres).
const schemaName = v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)'));
const nonNegativeInt = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0));
const keyPrefix = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{0,64}$/, 'expected letters, digits and . _ : - (at most 64)'));

export const authConfig = defineConfig('auth', 'AUTH', {
  mode: setting(v.picklist(['on', 'off']), 'on', 'API keys: on, every request needs a key with the right scope; off, requests are accepted without one.', {
    env: 'AUTH',
  }),
  hashKey: setting(
    v.pipe(v.string(), v.minLength(32, 'expected at least 32 characters')),
    DEVELOPMENT_HASH_KEY,
    'Secret key of the HMAC-SHA256 that stores API keys as hashes; the same on every edge, gateway and keys CLI. The default is public and only for development: services warn at start while it is in use, and keys created under one hash key do not verify under another.',
  ),
  pgSchema: setting(schemaName, 'public', 'Postgres schema holding the api_keys table (the gateway keeps its pipeline tables in QUERY_PG_SCHEMA, also public by default).'),
  cacheTtlMs: setting(
    nonNegativeInt,
    2000,
    'How long a verified key is trusted without asking Postgres again; a revoked key is refused by every process within this time (plus one lookup). 0 turns the cache off.',
  ),
  negativeCacheTtlMs: setting(
    nonNegativeInt,
    1000,
    'How long an unknown or revoked secret is refused without asking Postgres again, so a client retrying a bad key costs one lookup per interval. A key created meanwhile works after at most this long.',
  ),
  cacheMaxEntries: setting(positiveInt, 10_000, 'Most secrets (verified or refused) one process remembers; past it the oldest entry is dropped.'),
  lookupTimeoutMs: setting(positiveInt, 2000, 'Longest wait for Postgres when verifying a key; past it the request is refused with auth_unavailable (not cached).'),
  rateLimitPrefix: setting(keyPrefix, 'el:ratelimit:', 'Redis key prefix of the per-key rate limit buckets (one hash per key).'),
  rateLimitLeaseMs: setting(
    positiveInt,
    100,
    "Each process takes tokens from a key's shared bucket in Redis this many milliseconds' worth at a time (at least what the request needs, at most the burst) and spends them locally, so most requests cost no round trip.",
  ),
  rateLimitLeaseTtlMs: setting(
    v.pipe(positiveInt, v.maxValue(1000, 'expected at most 1000')),
    500,
    "Tokens a process took but has not spent are dropped after this long, so over any window a key's admitted events stay within rate x (window + this) + burst. At most 1000.",
  ),
  rateLimitTimeoutMs: setting(positiveInt, 100, 'Longest wait for Redis when taking tokens; past it (or on an error) the request is decided by AUTH_RATE_LIMIT_ON_REDIS_DOWN.'),
  rateLimitRetryMs: setting(positiveInt, 1000, 'After a Redis failure, rate limit decisions skip Redis for this long instead of waiting out a timeout on every request.'),
  rateLimitOnRedisDown: setting(
    v.picklist(['open', 'closed']),
    'open',
    'When Redis cannot be reached: open admits the request (each failed call counts in the service\'s rate_limit_redis_total metric with result="failed", e.g. edge_rate_limit_redis_total), closed refuses it with rate_limit_unavailable.',
  ),
});

export type AuthConfig = ConfigOf<typeof authConfig>;

/** True while keys are hashed with the public development key: services print a warning at start when exposed. */
export function usesDevelopmentHashKey(config: Pick<AuthConfig, 'hashKey'>): boolean {
  return config.hashKey === DEVELOPMENT_HASH_KEY;
}
