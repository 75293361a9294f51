import { Client } from '@elastic/elasticsearch';
import { FetchConnection } from '../shared/stores/es-connection.ts';
import Redis from 'ioredis';
import postgres, { type Sql } from 'postgres';
import type { StoreName } from './errors.ts';
import { whenRedisConnected } from '../shared/stores/redis-connection.ts';

/** The three clients the gateway reads through; one of each per gateway process, shared by all requests. */
export interface Stores {
  readonly es: Client;
  readonly sql: Sql;
  readonly redis: Redis;
}

export interface StoreUrls {
  readonly elasticsearchUrl: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

export interface StoreOptions {
  readonly urls: StoreUrls;
  readonly timeoutMs?: number;
  readonly pgMaxConnections?: number;
  /** Redis connection errors; without a listener ioredis prints every failed reconnect. */
  readonly onRedisError?: (error: Error) => void;
}

function ignore(): void {}

/**
 * FetchConnection because the client's default (undici) connection fails under Bun (shared/stores/es-connection.ts);
 * no client-side retries, because a query waiting on retries is slower than a partial answer naming the store that
 * is down.
 */
export const createSearchClient = (node: string, timeoutMs: number): Client =>
  new Client({ node, Connection: FetchConnection, requestTimeout: timeoutMs, maxRetries: 0 });

export function createSql(url: string, timeoutMs: number, maxConnections: number): Sql {
  return postgres(url, {
    max: maxConnections,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    idle_timeout: 60,
    connection: { application_name: 'event-lens-query', statement_timeout: timeoutMs },
    onnotice: ignore,
  });
}

export function createRedis(url: string, timeoutMs: number, onError: (error: Error) => void = ignore): Redis {
  const redis = new Redis(url, {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // Fail at once while disconnected: a dashboard is better served by a partial answer than by a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Every read of a request (and of concurrent requests) goes out in one write.
    enableAutoPipelining: true,
  });
  redis.on('error', onError);
  return redis;
}

/** The clients not given, created from the URLs; the caller closes only what this created (closeStores). */
export function createStores({ urls, timeoutMs = 5_000, pgMaxConnections = 10, onRedisError = ignore }: StoreOptions, given: Partial<Stores> = {}) {
  const created: Partial<Stores> = {
    ...(!given.es && { es: createSearchClient(urls.elasticsearchUrl, timeoutMs) }),
    ...(!given.sql && { sql: createSql(urls.databaseUrl, timeoutMs, pgMaxConnections) }),
    ...(!given.redis && { redis: createRedis(urls.redisUrl, timeoutMs, onRedisError) }),
  };
  return { stores: { ...created, ...given } as Stores, created };
}

/** Mirrors the workers' Redis sink: wait for a connection in progress, fail fast in reconnect backoff. */
export const redisConnected = whenRedisConnected;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type StoreCheck = 'ok' | string;

/** One probe per store, in parallel; the value is 'ok' or what went wrong. Used by /readyz. */
export async function checkStores(stores: Stores, timeoutMs: number): Promise<Record<Exclude<StoreName, 'kafka'>, StoreCheck>> {
  const probe = async (run: () => Promise<unknown>): Promise<StoreCheck> => {
    try {
      await withTimeout(run(), timeoutMs);
      return 'ok';
    } catch (error) {
      return error instanceof Error ? error.message || error.name : String(error);
    }
  };
  const [elasticsearch, postgres, redis] = await Promise.all([
    // cluster.health rather than ping (HEAD /): the embedded search node only answers GET /.
    probe(() => stores.es.cluster.health({}, { requestTimeout: timeoutMs })),
    probe(() => stores.sql`select 1`),
    probe(async () => {
      if (!(await redisConnected(stores.redis, timeoutMs))) throw new Error(`not connected (${stores.redis.status})`);
      return stores.redis.ping();
    }),
  ]);
  return { elasticsearch, postgres, redis };
}

export async function closeStores({ es, sql, redis }: Partial<Stores>): Promise<void> {
  await Promise.allSettled([
    es?.close(),
    sql?.end({ timeout: 5 }),
    (async () => {
      if (!redis) return;
      if (redis.status === 'ready') await redis.quit().catch(ignore);
      redis.disconnect();
    })(),
  ]);
}
