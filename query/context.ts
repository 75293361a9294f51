import type { estypes } from '@elastic/elasticsearch';
import DataLoader from 'dataloader';
import type { StampedEvent } from '../shared/contracts/index.ts';
import { readLatest, readLiveStats, type LatestValue, type LiveStats } from '../shared/stores/redis-readers.ts';
import type { GatewayKeys } from './auth/keys.ts';
import type { KafkaReader } from './kafka/reader.ts';
import type { QueryConfig } from './config.ts';
import type { DeadLetterReader } from './dlq/reader.ts';
import { fromStore, isMissingTable, SearchItemError, storeError, StoreUnavailable, type StoreName } from './errors.ts';
import type { QueryMetrics } from './metrics.ts';
import { eventOfHit, idsSearchBody } from './search.ts';
import { redisConnected, type Stores } from './stores.ts';
import { createTtlCache, type TtlCache } from './cache.ts';
import { readHealth, type HealthView } from './resolvers/health-read.ts';
import { readDelivery, type DeliveryView } from './resolvers/delivery-read.ts';
import type { MinuteRange } from './resolvers/delivery-stores.ts';

/** What every resolver gets: the shared clients plus loaders that live for one request (one operation). */
export interface GatewayContext {
  readonly stores: Stores;
  readonly config: QueryConfig;
  readonly metrics: QueryMetrics;
  readonly dlq: DeadLetterReader | undefined;
  /** The api_keys table, for the admin routes that manage keys. */
  readonly keys: GatewayKeys;
  /** Every search-node read of a request goes through here and leaves in one _msearch. */
  readonly search: { load(body: estypes.SearchRequest): Promise<estypes.SearchResponse<StampedEvent>> };
  /** Events by id: search node first, Postgres for what it does not have (not refreshed yet, or the node is down). */
  readonly events: DataLoader<string, StampedEvent | null>;
  readonly latest: DataLoader<string, LatestValue | null>;
  /** readLiveStats once per request, however many liveStats fields the operation selects. */
  readonly liveStats: () => Promise<LiveStats>;
  /** Runs a read against a store, counting and typing its outage (errors.ts). */
  readonly read: <T>(store: StoreName, run: () => Promise<T>) => Promise<T>;
  /** `read` for Redis, waiting for a connection in progress first (the client does not queue commands). */
  readonly redisRead: <T>(run: () => Promise<T>) => Promise<T>;
  /** Kafka lag, stores and supervised processes, shared across requests like the aggregations (cache.ts). */
  readonly health: () => Promise<HealthView>;
  /** Per-minute received / stored / dead-lettered counts, shared across requests like the aggregations. */
  readonly delivery: (range: MinuteRange, source: string | null) => Promise<DeliveryView>;
}

export interface ContextParts {
  /** Shared across requests: aggregation-only searches and liveStats (cache.ts). */
  readonly cache?: TtlCache;
  readonly stores: Stores;
  readonly config: QueryConfig;
  readonly metrics: QueryMetrics;
  readonly dlq: DeadLetterReader | undefined;
  readonly keys: GatewayKeys;
  /** The process the Kafka reads of health and delivery run in (kafka/reader.ts). */
  readonly kafka: KafkaReader;
}

interface EventRow {
  event_id: string;
  type: string;
  source: string | null;
  key: string;
  event_time: Date;
  received_at: Date;
  data: StampedEvent['data'];
}

const fromRow = (row: EventRow): StampedEvent => ({
  id: row.event_id,
  type: row.type,
  ...(row.source !== null && { source: row.source }),
  key: row.key,
  timestamp: row.event_time.toISOString(),
  receivedAt: row.received_at.toISOString(),
  data: row.data,
});

export function createContext({ stores, config, metrics, dlq, keys, kafka, cache = createTtlCache({ ttlMs: 0 }) }: ContextParts): GatewayContext {
  const read = <T>(store: StoreName, run: () => Promise<T>) => fromStore(store, run, (s) => metrics.storeErrors.inc({ store: s }));

  const searchNow = new DataLoader<estypes.SearchRequest, estypes.SearchResponse<StampedEvent>, string>(
    async function msearch(bodies) {
      const header: estypes.MsearchMultisearchHeader = { index: config.esAlias, ignore_unavailable: true, allow_no_indices: true };
      const response = await read('elasticsearch', () =>
        stores.es.msearch<StampedEvent>({ searches: bodies.flatMap((body) => [header, body as estypes.MsearchMultisearchBody]) }),
      );
      return response.responses.map((item) => {
        if (!('error' in item)) return item as estypes.SearchResponse<StampedEvent>;
        const error = storeError('elasticsearch', new SearchItemError(item.status, item.error.type, item.error.reason ?? ''));
        if (error instanceof StoreUnavailable) metrics.storeErrors.inc({ store: 'elasticsearch' });
        return error as Error;
      });
    },
    { cacheKeyFn: (body) => JSON.stringify(body) },
  );
  // Only aggregation-only bodies (size 0) are shared across requests: a list of events must show what was just stored.
  const search = {
    load(body: estypes.SearchRequest) {
      return body.size === 0 ? cache.get(`es:${JSON.stringify(body)}`, () => searchNow.load(body)) : searchNow.load(body);
    },
  };

  async function fromPostgres(ids: readonly string[]): Promise<Map<string, StampedEvent>> {
    const table = stores.sql(`${config.pgSchema}.events`);
    const rows = await read('postgres', async () => {
      try {
        return await stores.sql<EventRow[]>`
          select event_id, type, source, key, event_time, received_at, data from ${table} where event_id = any(${[...ids]})`;
      } catch (error) {
        if (isMissingTable(error)) return [];
        throw error;
      }
    });
    return new Map(rows.map((row) => [row.event_id, fromRow(row)]));
  }

  const events = new DataLoader<string, StampedEvent | null>(async function eventsById(ids) {
    let found = new Map<string, StampedEvent>();
    let searchDown: StoreUnavailable | undefined;
    try {
      const response = await search.load(idsSearchBody(ids));
      found = new Map(response.hits.hits.flatMap((hit) => {
        const event = eventOfHit(hit);
        return event ? [[event.id, event]] : [];
      }));
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      searchDown = error;
    }
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      try {
        for (const [id, event] of await fromPostgres(missing)) found.set(id, event);
      } catch (error) {
        // Both stores down: name the first, which is the one the answer normally comes from.
        if (error instanceof StoreUnavailable) return ids.map((id) => found.get(id) ?? searchDown ?? error);
        throw error;
      }
    }
    return ids.map((id) => found.get(id) ?? null);
  });

  async function redisRead<T>(run: () => Promise<T>): Promise<T> {
    return read('redis', async () => {
      if (!(await redisConnected(stores.redis, config.storeTimeoutMs))) throw new Error(`Redis is not connected (${stores.redis.status})`);
      return run();
    });
  }

  const latest = new DataLoader<string, LatestValue | null>((keys) =>
    // Auto-pipelining sends these as one write; readLatest keeps the key layout in the sink's module.
    redisRead(() => Promise.all(keys.map((key) => readLatest(stores.redis, config.redisPrefix, key)))),
  );

  const liveStats = () =>
    cache.get('redis:liveStats', () => redisRead(() => readLiveStats(stores.redis, config.redisPrefix, { latencyMinutes: config.latencyMinutes })));

  const health = () => cache.get('health', () => readHealth({ stores, config, kafka }));

  const delivery = (range: MinuteRange, source: string | null) =>
    cache.get(`delivery:${range.start}:${range.minutes}:${source ?? ''}`, () =>
      readDelivery({ stores, config, range, source, kafka, onStoreError: (store) => metrics.storeErrors.inc({ store }) }),
    );

  return { stores, config, metrics, dlq, keys, search, events, latest, liveStats, read, redisRead, health, delivery };
}
