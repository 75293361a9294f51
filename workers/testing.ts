/**
 * Test helpers for the workers: one isolated run (shared/testing/isolation.ts) as worker config, sinks and process
 * environment; readers for what each store holds; clean-up.
 */
import Redis from 'ioredis';
import postgres from 'postgres';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { workersConfig, type WorkersConfig } from './config.ts';
import { createElasticsearchClient, createElasticsearchSink, elasticsearchConfig } from './sinks/elasticsearch/index.ts';
import { createPostgresSink, postgresSinkConfig } from './sinks/postgres/index.ts';
import { createRedisSink, keys, readLiveStats } from './sinks/redis/index.ts';
import type { Sink } from './sinks/types.ts';
import { listKeys } from '../shared/stores/redis-scan.ts';
import type { Registry } from '../shared/telemetry/metrics.ts';
import { isolatedStoresEnv, isolation, isolationId, removeIsolated, type Isolation } from '../shared/testing/isolation.ts';

export const connections = loadConfig(connectionsConfig);

/** One run's names (shared/testing/isolation.ts): topic, dead-letter topic, group, index prefix, schema, key prefix. */
export type Run = Isolation;

export function newRun(what: string): Run {
  return isolation(isolationId(`workers_${what}`));
}

/** The worker config of a run, for `topic`, with quick retries; `overrides` as in loadConfig. */
export function runConfig(run: Run, topic: string, overrides: Partial<WorkersConfig> = {}): WorkersConfig {
  return loadConfig(workersConfig, {}, {
    topic,
    dlqTopic: run.dlqTopic,
    groupId: run.groupId,
    metricsPort: 0,
    retryInitialMs: 50,
    retryMaxMs: 1000,
    ...overrides,
  });
}

/** The same run as environment variables, for a worker started as a process (`bun workers/main.ts`). */
export function runEnv(run: Run, topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...isolatedStoresEnv(run.id),
    WORKERS_TOPIC: topic,
    WORKERS_METRICS_PORT: '0',
    WORKERS_RETRY_INITIAL_MS: '50',
    WORKERS_RETRY_MAX_MS: '1000',
    ...extra,
  };
}

/** The three sinks on this run's index prefix, schema and key prefix; their own metrics go on `registry` when given. */
export function runSinks(run: Run, { redisUrl = connections.redisUrl, registry }: { redisUrl?: string; registry?: Registry } = {}): Sink[] {
  return [
    createElasticsearchSink({ node: connections.elasticsearchUrl, config: loadConfig(elasticsearchConfig, {}, { indexPrefix: run.esPrefix, alias: run.esPrefix }), registry }),
    createPostgresSink({ url: connections.databaseUrl, config: loadConfig(postgresSinkConfig, {}, { schema: run.pgSchema, maxConnections: 4 }) }),
    createRedisSink({ url: redisUrl, config: { keyPrefix: run.redisPrefix, connectTimeoutMs: 500, commandTimeoutMs: 2000 }, registry }),
  ];
}

/** Read access to the three stores, for assertions; `close()` ends the connections. */
export function storeReaders({ redisUrl = connections.redisUrl }: { redisUrl?: string } = {}) {
  const es = createElasticsearchClient({ node: connections.elasticsearchUrl, requestTimeoutMs: 30_000 });
  const sql = postgres(connections.databaseUrl, { max: 2, onnotice: () => {} });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});

  async function esCount(run: Run): Promise<number> {
    try {
      await es.indices.refresh({ index: run.esPrefix });
      return (await es.count({ index: run.esPrefix })).count;
    } catch (error) {
      if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return 0;
      throw error;
    }
  }

  async function pgCount(run: Run): Promise<number> {
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(`${run.pgSchema}.events`)}`;
      return row?.n ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return 0; // the sink has not created its table yet
      throw error;
    }
  }

  /** Keys under the run's Redis prefix matching `pattern` (after the prefix). */
  const redisKeys = (run: Run, pattern: string): Promise<string[]> => listKeys(redis, `${run.redisPrefix}${pattern}`);

  const redisStats = (run: Run) => readLiveStats(redis, run.redisPrefix);
  const seenCount = async (run: Run) => (await redisKeys(run, 'seen:*')).length;

  async function counts(run: Run): Promise<{ es: number; pg: number; redis: number }> {
    const [esN, pgN, stats] = await Promise.all([esCount(run), pgCount(run), redisStats(run)]);
    return { es: esN, pg: pgN, redis: stats.total };
  }

  /** Deletes everything the run wrote: indices and template, schema, keys, and its own topic names. */
  const cleanup = (run: Run): Promise<void> => removeIsolated(run.id);

  async function close(): Promise<void> {
    await es.close();
    await sql.end({ timeout: 5 });
    redis.disconnect();
  }

  return { es, sql, redis, esCount, pgCount, redisStats, seenCount, counts, cleanup, close, seenKey: (run: Run, id: string) => keys(run.redisPrefix).seen(id) };
}
export type StoreReaders = ReturnType<typeof storeReaders>;

export { uncommitted } from '../shared/testing/topics.ts';
