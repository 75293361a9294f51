import type { QueryConfig } from '../config.ts';
import type { StoreName } from '../errors.ts';
import type { KafkaReader } from '../kafka/reader.ts';
import { redisConnected, type Stores } from '../stores.ts';
import { postgresPerMinute, redisPerMinute, searchPerMinute, type MinuteRange } from './delivery-stores.ts';

type Column = readonly number[] | null;

export interface DeliveryCounts {
  readonly received: number | null;
  readonly stored: { readonly elasticsearch: number | null; readonly postgres: number | null; readonly redis: number | null };
  readonly deadLettered: number | null;
  readonly missing: number | null;
}

export interface DeliveryView {
  readonly from: number;
  readonly to: number;
  readonly source: string | null;
  readonly checkedAt: number;
  readonly minutes: ReadonlyArray<DeliveryCounts & { readonly minute: number }>;
  readonly totals: DeliveryCounts;
}

export interface DeliveryOptions {
  readonly stores: Stores;
  readonly config: QueryConfig;
  readonly range: MinuteRange;
  readonly source: string | null;
  /** Called once per store that failed or did not answer in time; its column is null. */
  readonly onStoreError?: (store: StoreName, error: unknown) => void;
  /** Where the Kafka columns are read (query/kafka/reader.ts). */
  readonly kafka: KafkaReader;
}

function withTimeout<T>(run: () => Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([run(), timeout]).finally(() => clearTimeout(timer));
}

/** received and deadLettered from the workers' topic and the dead-letter topic, read in the gateway's Kafka reader. */
async function readKafka(config: QueryConfig, kafka: KafkaReader, range: MinuteRange, withDeadLetters: boolean): Promise<[Column, Column]> {
  const topics = withDeadLetters ? [config.workersTopic, config.dlqTopic] : [config.workersTopic];
  // The reader bounds its walk by timeoutMs; the caller's own bound (guard below) answers first if it is not heard from.
  const [received, dead] = await kafka.recordsPerMinute({ topics, ...range, timeoutMs: config.storeTimeoutMs }, config.storeTimeoutMs * 2);
  return [received ?? null, dead ?? null];
}

const sum = (column: Column): number | null => (column === null ? null : column.reduce((a, b) => a + b, 0));

function missingOf(received: number | null, stored: DeliveryCounts['stored']): number | null {
  const known = Object.values(stored).filter((n): n is number => n !== null);
  return received === null || known.length === 0 ? null : Math.max(0, received - Math.min(...known));
}

/**
 * Per-minute delivery from counters only, every source in parallel and each bounded by QUERY_STORE_TIMEOUT_MS: a
 * source that fails or is slower reads as a null column, never as an error of the field. With `source`, Kafka cannot
 * tell sources apart (the record holds the event as bytes), so received is the search node's count for that source,
 * Redis (whose counters are not kept per source) and deadLettered are null, and missing compares Postgres with it.
 */
export async function readDelivery({ stores, config, range, source, onStoreError = () => {}, kafka }: DeliveryOptions): Promise<DeliveryView> {
  const timeoutMs = config.storeTimeoutMs;
  const guard = async <T>(store: StoreName, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await withTimeout(run, timeoutMs);
    } catch (error) {
      onStoreError(store, error);
      return null;
    }
  };
  const [fromKafka, es, pg, redis] = await Promise.all([
    source === null ? guard('kafka', () => readKafka(config, kafka, range, config.dlqEnabled)) : Promise.resolve(null),
    guard('elasticsearch', () => searchPerMinute(stores, config.esAlias, range, source, timeoutMs)),
    guard('postgres', () => postgresPerMinute(stores, config.pgSchema, range, source)),
    source === null
      ? guard('redis', async () => {
          if (!(await redisConnected(stores.redis, timeoutMs))) throw new Error(`Redis is not connected (${stores.redis.status})`);
          return redisPerMinute(stores, config.redisPrefix, range);
        })
      : Promise.resolve(null),
  ]);
  const received: Column = source === null ? (fromKafka?.[0] ?? null) : es;
  const dead: Column = fromKafka?.[1] ?? null;
  const minutes = Array.from({ length: range.minutes }, (_, i) => {
    const stored = { elasticsearch: es?.[i] ?? null, postgres: pg?.[i] ?? null, redis: redis?.[i] ?? null };
    const got = received?.[i] ?? null;
    return { minute: range.start + i * 60_000, received: got, stored, deadLettered: dead?.[i] ?? null, missing: missingOf(got, stored) };
  });
  const totals: DeliveryCounts = {
    received: sum(received),
    stored: { elasticsearch: sum(es), postgres: sum(pg), redis: sum(redis) },
    deadLettered: sum(dead),
    // Per minute, then summed: a minute with more copies than records must not hide another minute's loss.
    missing: minutes.some((m) => m.missing === null) ? null : minutes.reduce((n, m) => n + m.missing!, 0),
  };
  return { from: range.start, to: range.start + range.minutes * 60_000, source, checkedAt: Date.now(), minutes, totals };
}
