import postgres from 'postgres';
import Redis from 'ioredis';
import { parseKeySpec } from '../auth/keys.ts';
import { createKey, migrateKeys, revokeKey } from '../auth/store.ts';
import { connectionsConfig } from '../config/connections.ts';
import { loadConfig } from '../config/index.ts';
import { createAdmin } from '../kafka/index.ts';
import { deleteKeys } from '../stores/redis-scan.ts';
import { uniqueName } from './names.ts';
import { createTopic } from './topics.ts';

/**
 * One isolated run on the shared servers: one id names the run's topic and dead-letter topic, consumer group, index
 * prefix and alias, Postgres schema (API keys included) and Redis key prefix (rate limits included), so tests and the
 * end-to-end bench can repeat and overlap; `removeIsolated` deletes all of it again.
 */
export interface Isolation {
  readonly id: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly esPrefix: string;
  readonly esAlias: string;
  readonly pgSchema: string;
  /** Ends in `:`; every key of the run (sinks, gateway, rate limits) starts with it. */
  readonly redisPrefix: string;
  /** The run's own AUTH_HASH_KEY: keys of one run never verify in another, nor under the public development key. */
  readonly hashKey: string;
  readonly rateLimitPrefix: string;
}

export interface IsolatedPorts {
  edge: number;
  workers: number;
  query: number;
  /** The edge's loopback admin port (/metrics); 0, the default, lets each edge process pick a free one. */
  edgeAdmin?: number;
}

/** A fresh run id (see names.ts): `what`, the time and a random part. */
export const isolationId = (what: string): string => uniqueName(what);

export const isolatedHashKey = (id: string): string => `event-lens-isolated-run-hash-key-${id}`;

/** Every name of the run `id`. */
export function isolation(id: string): Isolation {
  return {
    id,
    topic: id,
    dlqTopic: `${id}.dlq`,
    groupId: id,
    esPrefix: id,
    esAlias: id,
    pgSchema: id,
    redisPrefix: `${id}:`,
    hashKey: isolatedHashKey(id),
    rateLimitPrefix: `${id}:ratelimit:`,
  };
}

/** The environment that points edge, workers and query at the run's topic, group, index, schema, keys and Redis keys. */
export function isolatedStoresEnv(id: string): Record<string, string> {
  const run = isolation(id);
  return {
    AUTH_PG_SCHEMA: run.pgSchema,
    AUTH_HASH_KEY: run.hashKey,
    AUTH_RATE_LIMIT_PREFIX: run.rateLimitPrefix,
    EDGE_TOPIC: run.topic,
    WORKERS_TOPIC: run.topic,
    WORKERS_GROUP_ID: run.groupId,
    WORKERS_DLQ_TOPIC: run.dlqTopic,
    SINK_ES_INDEX_PREFIX: run.esPrefix,
    SINK_ES_ALIAS: run.esAlias,
    SINK_PG_SCHEMA: run.pgSchema,
    SINK_REDIS_KEY_PREFIX: run.redisPrefix,
    QUERY_ES_ALIAS: run.esAlias,
    QUERY_PG_SCHEMA: run.pgSchema,
    QUERY_REDIS_PREFIX: run.redisPrefix,
    QUERY_DLQ_TOPIC: run.dlqTopic,
    // Tests read right after they write; the result cache has tests of its own.
    QUERY_CACHE_TTL_MS: '0',
  };
}

/**
 * isolatedStoresEnv plus the ports. How many edge and worker processes run is the caller's choice (EDGE_PROCESSES,
 * WORKERS_COUNT). Keys are on: make the run's keys with `createIsolatedKeys`.
 */
export function isolatedEnv(id: string, ports: IsolatedPorts): Record<string, string> {
  return {
    ...isolatedStoresEnv(id),
    EDGE_PORT: String(ports.edge),
    EDGE_ADMIN_PORT: String(ports.edgeAdmin ?? 0),
    WORKERS_METRICS_PORT: String(ports.workers),
    QUERY_PORT: String(ports.query),
  };
}

const connections = () => loadConfig(connectionsConfig);

/** The run's topic and its dead-letter topic, created (partitions led) before anything produces or subscribes. */
export async function createIsolatedTopics(id: string, partitions = 3): Promise<void> {
  const run = isolation(id);
  const admin = createAdmin({ brokers: connections().kafkaBrokers, timeoutMs: 15_000 });
  try {
    await createTopic(admin, run.topic, partitions);
    await createTopic(admin, run.dlqTopic, 1);
  } finally {
    await admin.close();
  }
}

/** Secrets of the run's two default keys: `ingest` for the edge, `readAdmin` (scopes read and admin) for the gateway. */
export interface IsolatedKeys {
  ingest: string;
  readAdmin: string;
}

const DEFAULT_KEYS = { ingest: 'ingest', readAdmin: 'read,admin' } as const;

/**
 * Makes keys (name → comma-separated scopes) in the run's schema under its hash key, as `npm run keys -- create` would;
 * each is stored as `test-<name>` in kebab case (`readAdmin`: test-read-admin). The `revoked` ones are revoked at once,
 * as `npm run keys -- revoke` would, for tests of refused credentials.
 */
export async function createIsolatedKeys(id: string): Promise<IsolatedKeys>;
export async function createIsolatedKeys<K extends string>(id: string, specs: Record<K, string>, options?: { revoked?: readonly K[] }): Promise<Record<K, string>>;
export async function createIsolatedKeys(
  id: string,
  specs: Record<string, string> = DEFAULT_KEYS,
  { revoked = [] }: { revoked?: readonly string[] } = {},
): Promise<IsolatedKeys | Record<string, string>> {
  const run = isolation(id);
  const keyName = (name: string) => `test-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const sql = postgres(connections().databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await migrateKeys(sql, run.pgSchema);
    const secrets: Record<string, string> = {};
    for (const [name, scopes] of Object.entries(specs)) {
      secrets[name] = (await createKey(sql, run.pgSchema, parseKeySpec({ name: keyName(name), scopes }), run.hashKey)).secret;
    }
    for (const name of revoked) await revokeKey(sql, run.pgSchema, keyName(name));
    return secrets;
  } finally {
    await sql.end();
  }
}

/**
 * Deletes what a run under `id` wrote: its topics (and `topics`), indices and template, schema (API keys included),
 * Redis keys. Best effort: a store that is down leaves its part behind rather than failing the caller's clean-up.
 */
export async function removeIsolated(id: string, { topics = [] }: { topics?: readonly string[] } = {}): Promise<void> {
  const run = isolation(id);
  const conn = connections();
  const admin = createAdmin({ brokers: conn.kafkaBrokers });
  await admin.deleteTopics([run.topic, run.dlqTopic, ...topics]).catch(() => {});
  await admin.close();
  const es = conn.elasticsearchUrl.replace(/\/$/, '');
  const listed: unknown = await fetch(`${es}/_cat/indices/${run.esPrefix}-*?format=json`).then((r) => r.json()).catch(() => []);
  const indices = Array.isArray(listed) ? (listed as Array<{ index: string }>) : [];
  for (const { index } of indices) await fetch(`${es}/${index}`, { method: 'DELETE' }).catch(() => {});
  await fetch(`${es}/_index_template/${run.esPrefix}-template`, { method: 'DELETE' }).catch(() => {});
  const sql = postgres(conn.databaseUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop schema if exists "${run.pgSchema}" cascade`).catch(() => {});
  await sql.end();
  const redis = new Redis(conn.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await deleteKeys(redis, `${run.redisPrefix}*`).catch(() => {});
  redis.disconnect();
}
