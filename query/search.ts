import type { estypes } from '@elastic/elasticsearch';
import type { JsonObject, StampedEvent } from '../shared/contracts/index.ts';
import { badInput } from './errors.ts';

/**
 * Search-node request bodies for the gateway's queries, as pure functions of their arguments (resolvers/search.ts
 * sends them). Field names follow workers/sinks/elasticsearch/template.ts: envelope fields are keywords, times are
 * dates, `data.*` strings are text with a `.keyword` sub-field.
 */

export interface EventFilter {
  readonly types?: readonly string[] | null;
  readonly sources?: readonly string[] | null;
  readonly key?: string | null;
  /** Epoch ms, inclusive, on the event's own `timestamp`. */
  readonly from?: number | null;
  /** Epoch ms, exclusive. */
  readonly to?: number | null;
}

export type Interval = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

/** fixed_interval where a unit is always the same length (UTC has no DST), calendar_interval for weeks and months. */
const INTERVALS: Record<Interval, { readonly histogram: estypes.AggregationsDateHistogramAggregation; readonly minMs: number }> = {
  SECOND: { histogram: { fixed_interval: '1s' }, minMs: 1_000 },
  MINUTE: { histogram: { fixed_interval: '1m' }, minMs: 60_000 },
  HOUR: { histogram: { fixed_interval: '1h' }, minMs: 3_600_000 },
  DAY: { histogram: { fixed_interval: '1d' }, minMs: 86_400_000 },
  WEEK: { histogram: { calendar_interval: '1w' }, minMs: 7 * 86_400_000 },
  MONTH: { histogram: { calendar_interval: '1M' }, minMs: 28 * 86_400_000 },
};

/** Newest first, the id breaking ties, so every event has exactly one place in the order and cursors are stable. */
export const EVENT_SORT: estypes.Sort = [{ timestamp: { order: 'desc' } }, { id: { order: 'desc' } }];

export type SearchAfter = [number, string];

export function encodeCursor(sort: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(sort)).toString('base64url');
}

export function decodeCursor(cursor: string): SearchAfter {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return [value[0], value[1]];
    }
  } catch {
    // falls through to the error below
  }
  throw badInput('`after` is not a cursor this API returned', { argument: 'after' });
}

export function checkRange(from: number | null | undefined, to: number | null | undefined): void {
  if (from != null && to != null && from >= to) throw badInput('`from` must be before `to`', { argument: 'from' });
}

function timeRange(from?: number | null, to?: number | null): estypes.QueryDslQueryContainer[] {
  if (from == null && to == null) return [];
  const range: estypes.QueryDslDateRangeQuery = { format: 'epoch_millis' };
  // Sent as strings (the client's DateMath type); format epoch_millis reads them as milliseconds.
  if (from != null) range.gte = String(from);
  if (to != null) range.lt = String(to);
  return [{ range: { timestamp: range } }];
}

export function filterClauses(filter: EventFilter = {}): estypes.QueryDslQueryContainer[] {
  const clauses: estypes.QueryDslQueryContainer[] = [];
  if (filter.types?.length) clauses.push({ terms: { type: [...filter.types] } });
  if (filter.sources?.length) clauses.push({ terms: { source: [...filter.sources] } });
  if (filter.key != null) clauses.push({ term: { key: filter.key } });
  clauses.push(...timeRange(filter.from, filter.to));
  return clauses;
}

/**
 * Full text over the envelope and every data field. simple_query_string never fails on user syntax, and lenient
 * skips numeric and date fields a word cannot match instead of failing the search. Chosen over query_string, whose
 * syntax lets a client send regular expressions and leading wildcards (either can make one search walk a whole term
 * dictionary) and name fields of its choosing; simple_query_string has none of those. Its costlier operators (a
 * trailing `*`, `~`) stay, bounded by the text's length: QUERY_MAX_SEARCH_CHARS (arguments.ts) refuses longer text
 * before this runs.
 */
function textQuery(text: string | null | undefined): estypes.QueryDslQueryContainer[] {
  if (!text?.trim()) return [];
  return [{ simple_query_string: { query: text, fields: ['type', 'source', 'key', 'id', 'data.*'], default_operator: 'and', lenient: true } }];
}

export interface EventsSearch {
  readonly query?: string | null;
  readonly filter?: EventFilter | null;
  /** Page size; one more is fetched to learn whether there is a next page. */
  readonly first: number;
  readonly after?: SearchAfter;
}

export function eventsSearchBody({ query, filter, first, after }: EventsSearch): estypes.SearchRequest {
  return {
    query: { bool: { must: textQuery(query), filter: filterClauses(filter ?? {}) } },
    sort: EVENT_SORT,
    size: first + 1,
    track_total_hits: true,
    ...(after && { search_after: after }),
  };
}

export function idsSearchBody(ids: readonly string[]): estypes.SearchRequest {
  return { query: { ids: { values: [...ids] } }, size: ids.length, track_total_hits: false };
}

export function countBody(filter: EventFilter): estypes.SearchRequest {
  return { query: { bool: { filter: filterClauses(filter) } }, size: 0, track_total_hits: true };
}

export function bucketsOf(from: number, to: number, interval: Interval): number {
  return Math.ceil((to - from) / INTERVALS[interval].minMs);
}

/**
 * Zero-filled from `from` to `to` (extended_bounds), so charts get every bucket. The query's time filter keeps
 * documents outside the range out; hard_bounds would also drop the first bucket whenever `from` is not on a bucket
 * boundary (an hour from 05:58 lost its 05:00 bucket and the events of 05:58–05:59 with it).
 */
export function histogramBody(from: number, to: number, interval: Interval, types?: readonly string[] | null): estypes.SearchRequest {
  const bounds = { min: from, max: to - 1 };
  return {
    query: { bool: { filter: filterClauses({ from, to, types }) } },
    size: 0,
    track_total_hits: false,
    aggs: {
      over_time: {
        date_histogram: { field: 'timestamp', ...INTERVALS[interval].histogram, min_doc_count: 0, extended_bounds: bounds },
      },
    },
  };
}

export function termsBody(field: 'type' | 'source', limit: number, from?: number | null, to?: number | null): estypes.SearchRequest {
  return {
    query: { bool: { filter: timeRange(from, to) } },
    size: 0,
    track_total_hits: false,
    aggs: { top: { terms: { field, size: limit } } },
  };
}

export interface Bucket {
  readonly key: number | string;
  readonly doc_count: number;
}

export function bucketsFrom(response: estypes.SearchResponse, name: string): Bucket[] {
  const agg = response.aggregations?.[name] as { buckets?: Bucket[] } | undefined;
  return agg?.buckets ?? [];
}

export function totalOf(response: estypes.SearchResponse): number {
  const total = response.hits.total;
  return typeof total === 'number' ? total : (total?.value ?? 0);
}

/** A stored document: the event, plus `data_unindexed` when the workers salvaged it (see eventOfHit). */
export type StoredEvent = StampedEvent & { readonly data_unindexed?: JsonObject };

/**
 * The event a search hit holds, or undefined for a hit without _source. The workers store an event whose data the
 * mapping refused with that data in `data_unindexed` and `data` empty (workers/sinks/elasticsearch/sink.ts); it is
 * answered with its data where clients expect it.
 */
export function eventOfHit(hit: estypes.SearchHit<StoredEvent>): StampedEvent | undefined {
  const source = hit._source;
  if (!source || source.data_unindexed === undefined) return source;
  const { data_unindexed: data, ...event } = source;
  return { ...event, data };
}
