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
}

/**
 * Checks secrets against the api_keys table. Answers are remembered per secret hash (never the secret itself):
 * verified keys for cacheTtlMs, so a revocation reaches every process within that time, unknown and revoked ones for
 * negativeCacheTtlMs; at most cacheMaxEntries, the oldest dropped first. Concurrent checks of one secret share one
 * query. A string that is not shaped like a secret is refused without a query.
 */
export function createKeyVerifier({ sql, config, now = Date.now, lookup = findByHash }: KeyVerifierOptions) {
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Verification>>();

  function remember(hash: string, result: Verification, ttlMs: number): void {
    if (ttlMs <= 0) return;
    cache.delete(hash);
    // Map keeps insertion order, and a refreshed entry was just re-inserted: the first key is the oldest.
    if (cache.size >= config.cacheMaxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(hash, { result, expiresAt: now() + ttlMs });
  }

  function query(hash: string): Promise<Verification> {
    const pending = lookup(sql, config.pgSchema, hash)
      .then(
        (key) => {
          const result: Verification = key && key.revokedAt === null ? { ok: true, key } : invalid;
          remember(hash, result, result.ok ? config.cacheTtlMs : config.negativeCacheTtlMs);
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

  return function verify(secret: string): Promise<Verification> {
    if (!SECRET_FORMAT.test(secret)) return Promise.resolve(invalid);
    const hash = hashSecret(secret, config.hashKey);
    const hit = cache.get(hash);
    if (hit !== undefined) {
      if (hit.expiresAt > now()) return Promise.resolve(hit.result);
      cache.delete(hash);
    }
    return bounded(inflight.get(hash) ?? query(hash));
  };
}

export type KeyVerifier = ReturnType<typeof createKeyVerifier>;
