import Redis from 'ioredis';
import postgres from 'postgres';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { createProducer, type KafkaConfig, type Producer } from '../../shared/kafka/index.ts';
import { failPipeline, listRunningPipelines, lookupEntries } from '../../shared/stores/pipelines.ts';
import { workersConfig } from '../config.ts';
import type { WorkerMetrics } from '../metrics.ts';
import { redisSinkConfig } from '../sinks/redis/config.ts';
import type { Backoff } from '../steps/sinks.ts';
import { createWindowMirror } from '../windows/live.ts';
import { createWindowOperator } from '../windows/operator.ts';
import { pipelinesConfig, type PipelinesConfig } from './config.ts';
import { createPipelineRegistry } from './registry.ts';
import { createPipelineRunner, type ValidEvent } from './runner.ts';

export { pipelinesConfig, type PipelinesConfig } from './config.ts';
export type { ValidEvent } from './runner.ts';

/**
 * How the pipelines' own producer differs from the defaults. A sink topic is created with its pipeline (by the gateway,
 * with its partition count), so one deleted since must fail the pipeline rather than come back with the broker's
 * defaults through auto.create.topics.enable. A topic absent from metadata for 10 s is then reported as unknown, which
 * is under message.timeout.ms (30 s), so a missing topic reads as missing rather than as a timeout.
 */
export const SINK_PRODUCER_CONFIG: KafkaConfig = { 'allow.auto.create.topics': false, 'topic.metadata.propagation.max.ms': 10_000 };

export interface PipelinesOptions {
  /** Writes the sink topics; default: a producer of its own (SINK_PRODUCER_CONFIG), which close() closes. */
  readonly producer?: Pick<Producer, 'produceBatch'>;
  readonly metrics: Pick<WorkerMetrics, 'pipelineEvents' | 'windowLate' | 'windowFlush'>;
  readonly backoff: Backoff;
  readonly config?: PipelinesConfig;
  readonly env?: Record<string, string | undefined>;
  /** Prefix of the live window keys; defaults to the Redis sink's (SINK_REDIS_KEY_PREFIX), so one prefix holds all. */
  readonly redisPrefix?: string;
  readonly log?: (line: string) => void;
  /** Run only these pipeline ids (replay --pipeline); default all running ones. */
  readonly only?: readonly string[];
}

export interface Pipelines {
  /** Resolves true when every running pipeline's output of the batch is durable and its window items buffered (runner.ts). */
  process(valid: readonly ValidEvent[], signal: AbortSignal): Promise<boolean>;
  /** Applies the buffered window items; resolves true when they are durable, false when shutdown cut retries short. */
  flush(signal: AbortSignal): Promise<boolean>;
  /** Window items buffered since the last flush: while there are any, the batches they came from stay uncommitted. */
  pending(): number;
  /** Whether the buffer must be flushed now even under a backlog (PIPELINES_FLUSH_MS passed, or PIPELINES_FLUSH_MAX_ITEMS reached). */
  due(): boolean;
  close(): Promise<void>;
}

/**
 * What a worker needs to run pipelines: its own Postgres pool (definitions, lookups, window state) and Redis client
 * (live windows), a registry that re-reads running pipelines every `refreshMs`, and the runner. Connections are
 * lazy, so creating this cannot fail because a store is down.
 */
export function createPipelines({ producer: given, metrics, backoff, env = process.env, config = loadConfig(pipelinesConfig, env), redisPrefix, log = console.log, only }: PipelinesOptions): Pipelines {
  const connections = loadConfig(connectionsConfig, env);
  const own = given ? undefined : sinkProducer(connections.kafkaBrokers, env, log);
  const producer = given ?? own!;
  const prefix = redisPrefix ?? loadConfig(redisSinkConfig, env).keyPrefix;
  const sql = postgres(connections.databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 5 });
  const redis = new Redis(connections.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {}); // failures surface as rejected writes, which the runner logs and retries
  const { schema } = config;
  const missingTable = (e: unknown) => (e as { code?: string }).code === '42P01';
  const registry = createPipelineRegistry({
    // No pipelines table yet means the gateway never created one: nothing is running.
    load: () =>
      listRunningPipelines(sql, schema).then(
        (rows) => (only ? rows.filter((r) => only.includes(r.id)) : rows),
        (e: unknown) => (missingTable(e) ? [] : Promise.reject(e)),
      ),
    limits: config,
    refreshMs: config.refreshMs,
    log,
    onRemoved: (revisions) => runner.forget(revisions),
    recordFailure: (p, reason) => failPipeline(sql, schema, { id: p.id, version: p.version, reason }),
  });
  const runner = createPipelineRunner({
    registry,
    operator: createWindowOperator({ sql, schema }),
    mirror: createWindowMirror({ redis, prefix, liveTtlSeconds: config.liveTtlSeconds }),
    lookup: (table, keys) => lookupEntries(sql, schema, table, keys),
    producer,
    metrics,
    backoff,
    retryTimeoutMs: config.retryTimeoutMs,
    sinkTopicMissingMs: config.sinkTopicMissingMs,
    flushMs: config.flushMs,
    flushMaxItems: config.flushMaxItems,
    maxPipelineLabels: config.maxPipelineLabels,
    log,
  });
  void registry.start();

  return {
    process: runner.process,
    flush: runner.flush,
    pending: runner.pending,
    due: runner.due,
    async close() {
      registry.stop();
      await own?.close();
      await sql.end({ timeout: 5 }).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** Records as large as the worker's dead-letter producer takes (WORKERS_DLQ_MAX_MESSAGE_BYTES), as before it had its own. */
function sinkProducer(brokers: string, env: Record<string, string | undefined>, log: (line: string) => void): Producer {
  const producer = createProducer({ brokers, config: { ...SINK_PRODUCER_CONFIG, 'message.max.bytes': loadConfig(workersConfig, env).dlqMaxMessageBytes } });
  let last = '';
  // librdkafka repeats a transient error (a broker away) until it clears; one line per change is enough.
  producer.on('error', (e) => void (e.message !== last && log(`pipelines producer: ${(last = e.message)}`)));
  return producer;
}

/** The worker's default: pipelines configured from PIPELINES_*, or none when PIPELINES_ENABLED=false. */
export function pipelinesFromEnv(backoff: Backoff, log: (line: string) => void, env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(pipelinesConfig, env);
  if (!config.enabled) return null;
  return ({ metrics }: Pick<PipelinesOptions, 'metrics'>) => createPipelines({ metrics, backoff, config, env, log });
}
