import postgres from 'postgres';
import Redis from 'ioredis';
import { parseKeySpec } from '../shared/auth/keys.ts';
import { createKey, migrateKeys } from '../shared/auth/store.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createAdmin } from '../shared/kafka/index.ts';
import { deleteKeys } from '../shared/stores/redis-scan.ts';

/**
 * Running the platform's own processes (edge, workers, query) beside everything else on the shared servers, for the
 * tests that start them and for the end-to-end bench: one id names the run's topic, group, index prefix, schema
 * (the API keys' too) and key prefix, and `removeIsolated` deletes all of them again.
 */
export interface IsolatedPorts {
  edge: number;
  workers: number;
  query: number;
  /** The edge's loopback admin port (/metrics); 0, the default, lets each edge process pick a free one. */
  edgeAdmin?: number;
}

/** `<what><time><random>`: lower-case letters and digits, so it is a valid topic, index prefix, schema and key prefix. */
export function isolationId(what: string): string {
  return `${what}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** The run's own AUTH_HASH_KEY: keys of one run never verify in another, nor under the public development key. */
export const isolatedHashKey = (id: string): string => `event-lens-isolated-run-hash-key-${id}`;

/**
 * The environment that points edge, workers and query at `id`'s own topic, group, index, schema, API keys and Redis
 * keys. How many edge and worker processes run is the caller's choice (EDGE_PROCESSES, WORKERS_COUNT). Keys are on:
 * make the run's keys with `createIsolatedKeys`.
 */
export function isolatedEnv(id: string, ports: IsolatedPorts): Record<string, string> {
  return {
    AUTH_PG_SCHEMA: id,
    AUTH_HASH_KEY: isolatedHashKey(id),
    AUTH_RATE_LIMIT_PREFIX: `${id}:ratelimit:`,
    EDGE_PORT: String(ports.edge),
    EDGE_ADMIN_PORT: String(ports.edgeAdmin ?? 0),
    EDGE_TOPIC: id,
    WORKERS_TOPIC: id,
    WORKERS_GROUP_ID: id,
    WORKERS_DLQ_TOPIC: `${id}.dlq`,
    WORKERS_METRICS_PORT: String(ports.workers),
    SINK_ES_INDEX_PREFIX: id,
    SINK_ES_ALIAS: id,
    SINK_PG_SCHEMA: id,
    SINK_REDIS_KEY_PREFIX: `${id}:`,
    QUERY_PORT: String(ports.query),
    QUERY_ES_ALIAS: id,
    QUERY_PG_SCHEMA: id,
    QUERY_REDIS_PREFIX: `${id}:`,
    QUERY_DLQ_TOPIC: `${id}.dlq`,
    QUERY_CACHE_TTL_MS: '0',
  };
}

const connections = () => loadConfig(connectionsConfig);

/** The run's topic and its dead-letter topic, created before the workers subscribe. */
export async function createIsolatedTopics(id: string, partitions = 3): Promise<void> {
  const admin = createAdmin({ brokers: connections().kafkaBrokers });
  try {
    await admin.createTopics([{ name: id, partitions }, { name: `${id}.dlq`, partitions: 1 }]);
  } finally {
    await admin.close();
  }
}

/** Secrets of the run's two keys: `ingest` for the edge, `readAdmin` (scopes read and admin) for the gateway. */
export interface IsolatedKeys {
  ingest: string;
  readAdmin: string;
}

/** Makes the run's keys in its own schema under its own hash key, as `npm run keys -- create` would. */
export async function createIsolatedKeys(id: string): Promise<IsolatedKeys> {
  const sql = postgres(connections().databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await migrateKeys(sql, id);
    const make = async (name: string, scopes: string) => (await createKey(sql, id, parseKeySpec({ name: `${id}-${name}`, scopes }), isolatedHashKey(id))).secret;
    return { ingest: await make('ingest', 'ingest'), readAdmin: await make('read-admin', 'read,admin') };
  } finally {
    await sql.end();
  }
}

/** Deletes what a run under `id` wrote: topics, indices and template, schema (API keys included), Redis keys. Best effort. */
export async function removeIsolated(id: string): Promise<void> {
  const conn = connections();
  const admin = createAdmin({ brokers: conn.kafkaBrokers });
  await admin.deleteTopics([id, `${id}.dlq`]).catch(() => {});
  await admin.close();
  const es = conn.elasticsearchUrl.replace(/\/$/, '');
  const indices = (await fetch(`${es}/_cat/indices/${id}-*?format=json`).then((r) => r.json()).catch(() => [])) as Array<{ index: string }>;
  for (const { index } of indices) await fetch(`${es}/${index}`, { method: 'DELETE' }).catch(() => {});
  await fetch(`${es}/_index_template/${id}-template`, { method: 'DELETE' }).catch(() => {});
  const sql = postgres(conn.databaseUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop schema if exists "${id}" cascade`).catch(() => {});
  await sql.end();
  const redis = new Redis(conn.redisUrl);
  await deleteKeys(redis, `${id}:*`);
  await redis.quit();
}
