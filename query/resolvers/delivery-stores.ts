import type { estypes } from '@elastic/elasticsearch';
import { epochMinute, keys } from '../../shared/stores/redis-keys.ts';
import { isMissingTable } from '../errors.ts';
import type { Stores } from '../stores.ts';

const MINUTE_MS = 60_000;

/** The minutes asked: `minutes` whole minutes from `start` (epoch ms on a minute boundary). */
export interface MinuteRange {
  readonly start: number;
  readonly minutes: number;
}

const end = ({ start, minutes }: MinuteRange) => start + minutes * MINUTE_MS;

function zeroFilled(range: MinuteRange, rows: Iterable<readonly [number, number]>): number[] {
  const out = new Array<number>(range.minutes).fill(0);
  for (const [at, n] of rows) {
    const i = Math.floor((at - range.start) / MINUTE_MS);
    if (i >= 0 && i < range.minutes) out[i]! += n;
  }
  return out;
}

/**
 * Documents per minute of receivedAt on the alias, one date_histogram. A document id is unique per index, not per
 * alias, so an event stored in two indices counts twice here, as it does in the audit (workers/audit/stores.ts).
 */
export async function searchPerMinute(stores: Stores, alias: string, range: MinuteRange, source: string | null, timeoutMs: number): Promise<number[]> {
  const filter: estypes.QueryDslQueryContainer[] = [{ range: { receivedAt: { gte: String(range.start), lt: String(end(range)), format: 'epoch_millis' } } }];
  if (source !== null) filter.push({ term: { source } });
  const response = await stores.es.search(
    {
      index: alias,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      track_total_hits: false,
      query: { bool: { filter } },
      aggs: { per_minute: { date_histogram: { field: 'receivedAt', fixed_interval: '1m', min_doc_count: 1 } } },
    },
    { requestTimeout: timeoutMs },
  );
  const buckets = (response.aggregations?.['per_minute'] as estypes.AggregationsDateHistogramAggregate | undefined)?.buckets;
  const list = Array.isArray(buckets) ? buckets : Object.values(buckets ?? {});
  return zeroFilled(range, list.map((b) => [Number(b.key), b.doc_count] as const));
}

/**
 * Rows per minute of received_at. The table is partitioned by event_time with no index on received_at, so this scans
 * the partitions; statement_timeout (the gateway's store timeout) bounds it, and the answer is cached (cache.ts).
 */
export async function postgresPerMinute(stores: Stores, schema: string, range: MinuteRange, source: string | null): Promise<number[]> {
  const { sql } = stores;
  const bySource = source === null ? sql`` : sql`and source = ${source}`;
  try {
    const rows = await sql<{ minute: Date; n: number }[]>`
      select date_trunc('minute', received_at) as minute, count(*)::int as n from ${sql(`${schema}.events`)}
      where received_at >= ${new Date(range.start)} and received_at < ${new Date(end(range))} ${bySource}
      group by 1`;
    return zeroFilled(range, rows.map((r) => [r.minute.getTime(), r.n] as const));
  } catch (error) {
    if (isMissingTable(error)) return zeroFilled(range, []);
    throw error;
  }
}

/** The Redis sink's min:<epoch minute> counters (receivedAt minutes, shared/stores/redis-keys.ts), one MGET. */
export async function redisPerMinute(stores: Stores, prefix: string, range: MinuteRange): Promise<number[]> {
  const layout = keys(prefix);
  const first = epochMinute(range.start);
  const values = await stores.redis.mget(Array.from({ length: range.minutes }, (_, i) => layout.perMinute(first + i)));
  return values.map((v) => Number(v ?? 0));
}
