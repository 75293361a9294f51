import type { Sql } from 'postgres';
import type { AuthConfig } from './config.ts';
import { hashSecret, SECRET_FORMAT, type ApiKey } from './keys.ts';
import { findByHash } from './store.ts';

export { parseCredentials, type Credentials } from './credentials.ts';

/**
 * `auth_unavailable` is Postgres not answering (an error, or slower than lookupTimeoutMs): the key may well be good,
 * so callers answer 503 rather than 401, and nothing is cached.
 */
export type Verification = { readonly ok: true; readonly key: ApiKey } | { readonly ok: false; readonly code: 'invalid_credentials' | 'auth_unavailable' };

export interface KeyVerifierOptions {
  sql: Sql;
  config: Pick<AuthConfig, 'hashKey' | 'pgSchema' | 'cacheTtlMs' | 'negativeCacheTtlMs' | 'cacheMaxEntries' | 'lookupTimeoutMs'>;
  now?: () => number;
  /** How a hash becomes a key; the store's query unless a caller wraps it (to count lookups, say). */
  lookup?: (sql: Sql, schema: string, hash: string) => Promise<ApiKey | null>;
}

const invalid: Verification = { ok: false, code: 'invalid_credentials' };
const unavailable: Verification = { ok: false, code: 'auth_unavailable' };

interface Entry {
  readonly result: Verification;
  readonly expiresAt: number;
  /** The secret's second seeded hash: with the map key, 128 bits that must both match. */
  readonly check: bigint;
}

/**
 * The cache is keyed by two wyhash values of the secret under seeds drawn per process, so a cached request costs two
 * ~50 ns hashes instead of the ~650 ns HMAC. The seeds never leave the process and nothing derived from them is
 * shown, so a caller cannot aim for a collision; a blind one succeeds with odds of entries / 2^128.
 */
function fastHashes(): (secret: string) => readonly [bigint, bigint] {
  const [a, b] = crypto.getRandomValues(new BigUint64Array(2)) as unknown as [bigint, bigint];
  return (secret) => [Bun.hash.wyhash(secret, a), Bun.hash.wyhash(secret, b)];
}

/**
 * Checks secrets against the api_keys table. Answers are remembered per secret hash (never the secret itself):
 * verified keys for cacheTtlMs, so a revocation reaches every process within that time, unknown and revoked ones for
 * negativeCacheTtlMs; at most cacheMaxEntries, the oldest dropped first. Concurrent checks of one secret share one
 * query. A string that is not shaped like a secret is refused without a query.
 */
export function createKeyVerifier({ sql, config, now = Date.now, lookup = findByHash }: KeyVerifierOptions) {
  const cache = new Map<bigint, Entry>();
  const inflight = new Map<string, Promise<Verification>>();
  const hashes = fastHashes();

  function remember([slot, check]: readonly [bigint, bigint], result: Verification, ttlMs: number): void {
    if (ttlMs <= 0) return;
    cache.delete(slot);
    // Map keeps insertion order, and a refreshed entry was just re-inserted: the first key is the oldest.
    if (cache.size >= config.cacheMaxEntries) cache.delete(cache.keys().next().value as bigint);
    cache.set(slot, { result, expiresAt: now() + ttlMs, check });
  }

  function query(hash: string, fast: readonly [bigint, bigint]): Promise<Verification> {
    const pending = lookup(sql, config.pgSchema, hash)
      .then(
        (key) => {
          const result: Verification = key && key.revokedAt === null ? { ok: true, key } : invalid;
          remember(fast, result, result.ok ? config.cacheTtlMs : config.negativeCacheTtlMs);
          return result;
        },
        () => unavailable,
      )
      .finally(() => inflight.delete(hash));
    inflight.set(hash, pending);
    return pending;
  }

  // A caller stops waiting after lookupTimeoutMs, but the query stays the one in flight, so a hung Postgres holds
  // at most one query per secret, not one per request.
  function bounded(pending: Promise<Verification>): Promise<Verification> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<Verification>((resolve) => {
      timer = setTimeout(() => resolve(unavailable), config.lookupTimeoutMs);
    });
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  }

  // A cached answer is returned as a value, not a promise: the hot path of every request with a known key should not
  // wait a microtask for something already in memory.
  return function verify(secret: string): Verification | Promise<Verification> {
    if (!SECRET_FORMAT.test(secret)) return invalid;
    const fast = hashes(secret);
    const hit = cache.get(fast[0]);
    if (hit !== undefined && hit.check === fast[1]) {
      if (hit.expiresAt > now()) return hit.result;
      cache.delete(fast[0]);
    }
    const hash = hashSecret(secret, config.hashKey);
    return bounded(inflight.get(hash) ?? query(hash, fast));
  };
}

export type KeyVerifier = ReturnType<typeof createKeyVerifier>;
