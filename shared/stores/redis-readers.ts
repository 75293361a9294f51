import type Redis from 'ioredis';
import { epochMinute, epochSecond, keys, quantile } from './redis-keys.ts';

/**
 * Readers of what the workers' Redis sink writes (layout in redis-keys.ts). The query gateway answers from these, and
 * tests use them to check the sink; the types below are the read side of the contract.
 */

/** The compact form kept in the recent list (JSON). */
export interface RecentEntry {
  readonly id: string;
  readonly type: string;
  readonly source?: string;
  readonly key: string;
  readonly timestamp: string;
}

export interface TimeCount {
  /** Epoch second or epoch minute of the bucket, by the events' receivedAt. */
  readonly at: number;
  readonly count: number;
}

export interface LatencySummary {
  /** Events in the merged histogram. */
  readonly count: number;
  /** Milliseconds, interpolated inside the bucket the percentile falls in (as histogram_quantile); null without data. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export interface LiveStats {
  readonly total: number;
  /**
   * Count per type. Once the sink's maxTypes is reached, events of types not yet listed are counted under OTHER
   * (`(other)`), so the values still add up to `total`; readers show it as the rest, not as a type.
   */
  readonly byType: Record<string, number>;
  /** Count per source, with NO_SOURCE for events without one and OTHER past the sink's maxSources. */
  readonly bySource: Record<string, number>;
  /** The last `seconds` seconds up to and including the current one, oldest first, zero-filled. */
  readonly perSecond: TimeCount[];
  /** The last `minutes` minutes up to and including the current one, oldest first, zero-filled. */
  readonly perMinute: TimeCount[];
  /** Processing latency (write time - receivedAt) over the last `latencyMinutes` processing minutes. */
  readonly latency: LatencySummary;
}

export interface LiveStatsOptions {
  /** The reader's clock in epoch ms. */
  readonly now?: number;
  readonly seconds?: number;
  readonly minutes?: number;
  readonly latencyMinutes?: number;
}

export interface LatestValue {
  readonly value: number;
  readonly unit?: string;
  /** The event's own timestamp (ISO), which decides what "latest" means. */
  readonly timestamp: string;
  readonly id: string;
}

const counts = (hash: Record<string, string>): Record<string, number> =>
  Object.fromEntries(Object.entries(hash).map(([field, n]) => [field, Number(n)]));

const range = (last: number, length: number): number[] => Array.from({ length }, (_, i) => last - length + 1 + i);

type Reply = [Error | null, unknown];

/** Unwraps a pipeline reply; a failed read throws, since readers have no outcome to report it as. */
function replyOf(results: Reply[] | null, index: number): unknown {
  const [error, reply] = results?.[index] ?? [new Error('no reply'), null];
  if (error) throw error;
  return reply;
}

/**
 * Reads the live statistics the sink writes under `prefix`, in one round trip. The reads are not one snapshot (a
 * write may land between them), which live dashboards do not notice.
 */
export async function readLiveStats(
  redis: Redis,
  prefix: string,
  { now = Date.now(), seconds = 60, minutes = 60, latencyMinutes = 5 }: LiveStatsOptions = {},
): Promise<LiveStats> {
  const k = keys(prefix);
  const secs = range(epochSecond(now), seconds);
  const mins = range(epochMinute(now), minutes);
  const latencyMins = range(epochMinute(now), latencyMinutes);
  const pipeline = redis.pipeline().get(k.total).hgetall(k.byType).hgetall(k.bySource);
  pipeline.mget(secs.map(k.perSecond)).mget(mins.map(k.perMinute));
  for (const minute of latencyMins) pipeline.hgetall(k.latency(minute));
  const results = (await pipeline.exec()) as Reply[] | null;
  const series = (index: number, at: number[]): TimeCount[] => {
    const values = replyOf(results, index) as Array<string | null>;
    return at.map((t, i) => ({ at: t, count: Number(values[i] ?? 0) }));
  };
  const merged = new Map<string, number>();
  latencyMins.forEach((_, i) => {
    for (const [field, n] of Object.entries(replyOf(results, 5 + i) as Record<string, string>)) {
      merged.set(field, (merged.get(field) ?? 0) + Number(n));
    }
  });
  return {
    total: Number(replyOf(results, 0) ?? 0),
    byType: counts(replyOf(results, 1) as Record<string, string>),
    bySource: counts(replyOf(results, 2) as Record<string, string>),
    perSecond: series(3, secs),
    perMinute: series(4, mins),
    latency: {
      count: [...merged.values()].reduce((sum, n) => sum + n, 0),
      p50: quantile(merged, 0.5),
      p95: quantile(merged, 0.95),
      p99: quantile(merged, 0.99),
    },
  };
}

/** The latest value recorded for an event key (a sensor id), or null when none was. */
export async function readLatest(redis: Redis, prefix: string, eventKey: string): Promise<LatestValue | null> {
  const hash = await redis.hgetall(keys(prefix).latest(eventKey));
  if (hash['id'] === undefined || hash['timestamp'] === undefined) return null;
  return {
    value: Number(hash['value']),
    ...(hash['unit'] !== undefined && { unit: hash['unit'] }),
    timestamp: hash['timestamp'],
    id: hash['id'],
  };
}

/** The recent list, newest first, as the compact entries the sink wrote. */
export async function readRecent(redis: Redis, prefix: string): Promise<RecentEntry[]> {
  const entries = await redis.lrange(keys(prefix).recent, 0, -1);
  // Only the sink writes this list, in the shape of RecentEntry.
  return entries.map((entry) => JSON.parse(entry) as RecentEntry);
}
